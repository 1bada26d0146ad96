"""Curating sources: create, edit metadata (or the text, while every claim still matches),
delete.

`insert_source` and `apply_source_update` check and write inside the caller's transaction (with
the change-log rows, without reindexing or committing), so the seed loader writes through the
same rules; `add_source` is an insert plus its search rows and mentions, for callers that add
more to the transaction before their own single commit; `create_source` and `update_source`
are the whole writes. A source's `TextOrigin` says where its text came from: what was
submitted, unless the caller (the seed) derived it from an original file.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.auth import Actor
from app.models import Annotation, Claim, Organization, Person, Source, SourceAuthor
from app.models.annotation import TargetType
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import utcnow
from app.models.source import SourceCreate, SourcePublic, SourceUpdate
from app.problems import Conflict, ValidationFailed
from app.services.catalog.sources import get_source
from app.services.curation.integrity import (
    REFERENCES_LISTED,
    delete_unreferenced,
    flush_or_conflict,
    must_exist,
)
from app.services.curation.transaction import Precondition, bump, lock, plain, record_change
from app.services.search.index import reindex
from app.services.search.lexicon import Lexicon
from app.services.text.spans import CONTEXT_CHARS

SUBMITTED = "submitted over the API"
TEXT_REPLACED = "text replaced over the API; every claim still matches at its offsets"
METADATA = ("title", "url", "published_date", "language", "genre", "rights")
# Claims whose quote would break shown in the detail text (all are in `references`).
_DETAIL_SHOWN = 3


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TextOrigin:
    """The digest of the original a source's text came from, the steps that derived the text
    from it, and the publisher's notes kept aside from the text."""

    original_sha256: str
    derivation: list[str]
    publisher_notes: list[str] = field(default_factory=list)


def _check_people(session: Session, publisher_id: str | None, author_ids: list[str] | None) -> None:
    authors = author_ids or []
    for i, author in enumerate(authors):
        if author in authors[:i]:
            raise ValidationFailed(
                f"The author {author!r} is listed twice.",
                errors=[
                    {"loc": ["body", "author_ids", i], "msg": "duplicate", "type": "duplicate"}
                ],
            )
    wanted: list[tuple[list[Any], Any, str]] = [
        (["author_ids", i], Person, a) for i, a in enumerate(authors)
    ]
    if publisher_id is not None:
        wanted.insert(0, (["publisher_id"], Organization, publisher_id))
    must_exist(session, wanted)


def _write_authors(session: Session, source_id: str, author_ids: list[str]) -> None:
    session.add_all(
        SourceAuthor(source_id=source_id, ordinal=i, person_id=p) for i, p in enumerate(author_ids)
    )


def insert_source(
    session: Session,
    actor: Actor | None,
    data: SourceCreate,
    *,
    origin: str = "api",
    text_origin: TextOrigin | None = None,
) -> Source:
    """Check a new source against the API's rules and add it, its authors and its change-log
    row; the caller reindexes and commits. Without a `text_origin`, what was submitted is the
    original: the stored text is that, unchanged."""
    if session.get(Source, data.id) is not None:
        raise Conflict(f"A source with id {data.id!r} already exists.")
    _check_people(session, data.publisher_id, data.author_ids)
    now = utcnow()
    digest = text_sha256(data.text)
    text_origin = text_origin or TextOrigin(original_sha256=digest, derivation=[SUBMITTED])
    source = Source(
        id=data.id,
        **{name: plain(getattr(data, name)) for name in METADATA},
        publisher_organization_id=data.publisher_id,
        text=data.text,
        text_sha256=digest,
        text_length=len(data.text),
        **asdict(text_origin),
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(source)
    flush_or_conflict(session)
    _write_authors(session, data.id, data.author_ids)
    record_change(session, actor, ChangeEntity.source, data.id, ChangeOp.create, 1, origin=origin)
    flush_or_conflict(session)
    return source


def add_source(
    session: Session,
    actor: Actor | None,
    data: SourceCreate,
    *,
    origin: str = "api",
    lexicon: Lexicon | None = None,
) -> Source:
    """Insert a source, its authors, its search document and mentions, and the change-log
    row; the caller commits."""
    source = insert_source(session, actor, data, origin=origin)
    reindex(session, [("source", data.id)], lexicon=lexicon)
    return source


def create_source(session: Session, actor: Actor, data: SourceCreate) -> SourcePublic:
    add_source(session, actor, data)
    session.commit()
    return get_source(session, data.id)


def update_source(
    session: Session, actor: Actor, source_id: str, patch: SourceUpdate, *, if_match: Precondition
) -> SourcePublic:
    row = lock(session, Source, source_id)
    if_match.check(get_source(session, source_id))
    if not apply_source_update(session, actor, row, patch):
        session.rollback()
        return get_source(session, source_id)
    reindex(session, [("source", source_id)])
    session.commit()
    return get_source(session, source_id)


def apply_source_update(
    session: Session,
    actor: Actor | None,
    row: Source,
    patch: SourceUpdate,
    *,
    origin: str = "api",
    text_origin: TextOrigin | None = None,
) -> bool:
    """Check and apply an edit of a (locked) source with a new version and its change-log row,
    and those of the claims whose context a new text changes; False, with nothing written, if
    it changes nothing. A new text keeps the stored derivation (plus a note that it was
    replaced) unless a `text_origin` says how it was derived. The caller reindexes and
    commits."""
    sent = patch.model_fields_set
    values = _changed_metadata(row, patch, text_origin)
    authors = patch.author_ids if "author_ids" in sent else None
    if authors == _authors_of(session, row.id):
        authors = None
    text = patch.text if "text" in sent and patch.text != row.text else None
    if not values and authors is None and text is None:
        return False
    _check_people(session, values.get("publisher_organization_id"), authors)
    for name, value in values.items():
        setattr(row, name, value)
    if authors is not None:
        session.execute(delete(SourceAuthor).where(col(SourceAuthor.source_id) == row.id))
        session.flush()
        _write_authors(session, row.id, authors)
    refreshed = _replace_text(session, row, text) if text is not None else []
    if text is not None and text_origin is None:
        row.derivation = [*row.derivation, TEXT_REPLACED]
    bump(row)
    record_change(
        session, actor, ChangeEntity.source, row.id, ChangeOp.update, row.version, origin=origin
    )
    for claim in refreshed:
        record_change(
            session,
            actor,
            ChangeEntity.claim,
            claim.id,
            ChangeOp.update,
            claim.version,
            origin=origin,
        )
    flush_or_conflict(session)
    return True


def _changed_metadata(
    row: Source, patch: SourceUpdate, text_origin: TextOrigin | None
) -> dict[str, Any]:
    """The columns the edit (and a given text origin) would change, with their new values."""
    sent = patch.model_fields_set
    values = {
        name: plain(getattr(patch, name))
        for name in METADATA
        if name in sent and plain(getattr(patch, name)) != getattr(row, name)
    }
    if "publisher_id" in sent and patch.publisher_id != row.publisher_organization_id:
        values["publisher_organization_id"] = patch.publisher_id
    if text_origin is not None:
        values |= {k: v for k, v in asdict(text_origin).items() if v != getattr(row, k)}
    return values


def _authors_of(session: Session, source_id: str) -> list[str]:
    return list(
        session.scalars(
            select(col(SourceAuthor.person_id))
            .where(col(SourceAuthor.source_id) == source_id)
            .order_by(col(SourceAuthor.ordinal))
        )
    )


def _replace_text(session: Session, source: Source, text: str) -> list[Claim]:
    """Accept a new text only if every claim's quote (and every annotation's selected quote)
    is still at its offsets. Claims whose context (prefix/suffix) changes get it recomputed
    and a new version; they are returned so the caller logs their change too."""
    claims = list(session.scalars(select(Claim).where(col(Claim.source_id) == source.id)))
    annotations = session.scalars(
        select(Annotation).where(
            col(Annotation.target_type) == TargetType.source.value,
            col(Annotation.target_id) == source.id,
            col(Annotation.deleted_at).is_(None),
            col(Annotation.selector_start).is_not(None),
        )
    )
    broken: list[tuple[str, str, int, int, str]] = [
        ("claim", c.id, c.quote_start, c.quote_end, c.quote)
        for c in claims
        if text[c.quote_start : c.quote_end] != c.quote
    ]
    broken += [
        ("annotation", a.id, a.selector_start, a.selector_end, a.quote or "")
        for a in annotations
        if a.selector_start is not None
        and a.selector_end is not None
        and text[a.selector_start : a.selector_end] != (a.quote or "")
    ]
    if broken:
        broken.sort(key=lambda b: (b[0] != "claim", b[2], b[1]))
        shown = "; ".join(
            f"{kind} {ref_id} at [{start}, {end}): {quote!r} would become {text[start:end]!r}"
            for kind, ref_id, start, end, quote in broken[:_DETAIL_SHOWN]
        )
        more = f" (and {len(broken) - _DETAIL_SHOWN} more)" if len(broken) > _DETAIL_SHOWN else ""
        raise Conflict(
            f"The new text of {source.id!r} would break {len(broken)} quote(s) anchored in it: "
            f"{shown}{more}. Edit or delete those first, or keep their words at their offsets.",
            extensions={
                "references": [
                    {"type": kind, "id": ref_id, "relation": "quote"}
                    for kind, ref_id, *_ in broken[:REFERENCES_LISTED]
                ],
                "reference_count": len(broken),
            },
        )
    source.text = text
    source.text_sha256 = text_sha256(text)
    source.text_length = len(text)
    refreshed = []
    for claim in sorted(claims, key=lambda c: (c.quote_start, c.id)):
        start, end = claim.quote_start, claim.quote_end
        prefix = text[max(0, start - CONTEXT_CHARS) : start]
        suffix = text[end : end + CONTEXT_CHARS]
        if (prefix, suffix) != (claim.prefix, claim.suffix):
            claim.prefix, claim.suffix = prefix, suffix
            bump(claim)
            refreshed.append(claim)
    return refreshed


def delete_source(
    session: Session, actor: Actor, source_id: str, *, if_match: Precondition
) -> None:
    row = lock(session, Source, source_id)
    if_match.check(get_source(session, source_id))
    delete_unreferenced(session, actor, ChangeEntity.source, row, source_id)
