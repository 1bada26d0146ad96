"""Reading sources and their text, honouring each source's `rights`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.db import settings_of
from app.models import Claim, Source, SourceAuthor
from app.models.annotation import TargetType
from app.models.common import EntityRef, EntityType, Rights
from app.models.source import SourcePublic, SourceSummary, SourceTextSlice
from app.pagination import Filters, Keyset, paginate
from app.problems import Forbidden, InvalidRange
from app.services.annotations.reads import annotation_count
from app.services.catalog.loaders import entity_refs, require

SOURCES = Keyset("sources", (col(Source.id),), lambda row: (row.id,))

# Every column but the text, so listing sources never reads megabytes of article bodies.
_SUMMARY_COLUMNS = [c for c in Source.__table__.columns if c.name != "text"]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SourceFilters(Filters):
    language: str | None = None
    genre: str | None = None
    author: str | None = None
    publisher: str | None = None


def list_sources(
    session: Session, *, filters: SourceFilters, cursor: str | None, limit: int | None
) -> tuple[list[SourceSummary], str | None]:
    stmt = select(*_SUMMARY_COLUMNS)
    for value, column in (
        (filters.language, col(Source.language)),
        (filters.genre, col(Source.genre)),
        (filters.publisher, col(Source.publisher_organization_id)),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.author:
        stmt = stmt.where(
            col(Source.id).in_(
                select(col(SourceAuthor.source_id)).where(
                    col(SourceAuthor.person_id) == filters.author
                )
            )
        )
    pager = paginate(session, stmt, SOURCES, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.execute(pager.stmt)))
    return _summaries(session, rows), next_cursor


def _summaries(session: Session, rows: list[Any]) -> list[SourceSummary]:
    ids = [r.id for r in rows]
    authors: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, int] = {}
    if ids:
        for source_id, person_id in session.execute(
            select(col(SourceAuthor.source_id), col(SourceAuthor.person_id))
            .where(col(SourceAuthor.source_id).in_(ids))
            .order_by(col(SourceAuthor.source_id), col(SourceAuthor.ordinal))
        ):
            authors[source_id].append(person_id)
        counts = dict(
            session.execute(
                select(col(Claim.source_id), func.count())
                .where(col(Claim.source_id).in_(ids))
                .group_by(col(Claim.source_id))
            ).all()
        )
    refs = entity_refs(
        session,
        {p for ps in authors.values() for p in ps},
        {r.publisher_organization_id for r in rows if r.publisher_organization_id},
    )
    return [
        SourceSummary(
            id=r.id,
            title=r.title,
            url=r.url,
            authors=[refs[(EntityType.person, p)] for p in authors[r.id]],
            publisher=_publisher(refs, r.publisher_organization_id),
            published_date=r.published_date,
            language=r.language,
            genre=r.genre,
            rights=r.rights,
            text_length=r.text_length,
            text_sha256=r.text_sha256,
            claim_count=counts.get(r.id, 0),
            updated_at=r.updated_at,
            version=r.version,
        )
        for r in rows
    ]


def _publisher(
    refs: dict[tuple[EntityType, str], EntityRef], org_id: str | None
) -> EntityRef | None:
    return refs[(EntityType.organization, org_id)] if org_id else None


def require_source(session: Session, source_id: str) -> Source:
    return require(session, Source, source_id)


def get_source(session: Session, source_id: str) -> SourcePublic:
    source = require_source(session, source_id)
    summary = _summaries(session, [source])[0]
    full = source.rights == Rights.full_text
    return SourcePublic(
        **dict(summary),
        original_sha256=source.original_sha256,
        derivation=source.derivation,
        publisher_notes=source.publisher_notes,
        text=source.text if full else None,
        text_available=_availability(session, source.rights),
        annotation_count=annotation_count(session, TargetType.source, source.id),
        created_at=source.created_at,
    )


def _availability(session: Session, rights: str) -> str:
    if rights == Rights.full_text:
        return "The whole text is included and can be sliced at /text."
    if rights == Rights.excerpts:
        limit = settings_of(session).excerpt_max_chars
        return f"Only excerpts: /text serves slices of at most {limit} code points."
    return "Metadata only: the text is stored for verifying claims but is not served."


def text_slice(
    session: Session, source_id: str, start: int | None, end: int | None
) -> SourceTextSlice:
    """Return text[start:end] (code points, half-open), within what the rights allow."""
    source = require_source(session, source_id)
    length = source.text_length
    lo = 0 if start is None else start
    hi = length if end is None else end
    if lo > length or hi > length or lo > hi:
        raise InvalidRange(
            f"The range [{lo}, {hi}) is not within the text, which has {length} code points; "
            "need 0 <= start <= end <= length."
        )
    if source.rights == Rights.metadata_only:
        raise Forbidden(f"Source {source.id!r} is metadata_only: its text is not served.")
    if source.rights == Rights.excerpts:
        limit = settings_of(session).excerpt_max_chars
        if hi - lo > limit:
            raise Forbidden(
                f"Source {source.id!r} allows excerpts of at most {limit} code points; "
                f"[{lo}, {hi}) is {hi - lo}."
            )
    return SourceTextSlice(
        source_id=source.id,
        start=lo,
        end=hi,
        text=source.text[lo:hi],
        rights=source.rights,
        text_sha256=source.text_sha256,
    )
