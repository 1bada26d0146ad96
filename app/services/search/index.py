"""Keeping the search rows current: name variants, full-text documents and mentions.

Every write service calls `reindex` with what it touched, inside its own transaction, so the
index commits (or rolls back) with the data. The rows are the same on both backends; each
backend's index over them (FTS5 via triggers on SQLite, tsvector/pg_trgm on PostgreSQL) follows
from the rows by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from app.models import (
    Claim,
    Mention,
    NameFormRow,
    NameVariant,
    Organization,
    Person,
    SearchDoc,
    Source,
)
from app.models.common import EntityType
from app.services.search import detection, terms
from app.services.search.lexicon import Lexicon, name_skels

# search_doc.entity_type values.
DOC_TYPES = ("person", "organization", "claim", "source")


def variant_words(variant: str) -> str:
    """Every skeleton the words of a spelling are known by, once each, space-separated."""
    known: dict[str, None] = {}
    for word in terms.words(variant):
        for skel in sorted(name_skels(word.surface)):
            known[skel] = None
    return " ".join(known)


def variants_of(display_name: str, forms: Iterable[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """The spellings an entity is found by: each curated form (origin "form", with the form's
    scheme), its display name, and every stored romanisation of each Cyrillic form (origin
    "transliteration", scheme = the iuliia scheme). Each spelling is kept once, under the
    first of these it appears as."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(variant: str, origin: str, scheme: str | None) -> None:
        key = " ".join(terms.keys(variant))
        if not key or variant in seen:
            return
        seen.add(variant)
        out.append(
            {
                "variant": variant[:300],
                "origin": origin,
                "scheme": scheme,
                "key": key[:300],
                "skel": terms.skeleton(variant)[:300],
                "words": variant_words(variant),
            }
        )

    forms = list(forms)
    for name, scheme in forms:
        add(name, "form", scheme)
    add(display_name, "display", None)
    for name, _ in forms:
        for scheme, latin in terms.transliterations(name):
            add(latin, "transliteration", scheme)
    return out


def reindex_names(session: Session, owner: EntityType, entity_id: str) -> bool:
    """Bring an entity's name variants in line with its names; True if its spellings
    changed. Unchanged spellings keep their rows (and ids, which cached lexicons rely on)."""
    is_person = owner is EntityType.person
    owner_col = col(NameVariant.person_id if is_person else NameVariant.organization_id)
    before = {
        (variant, origin, scheme)
        for variant, origin, scheme in session.execute(
            select(
                col(NameVariant.variant), col(NameVariant.origin), col(NameVariant.scheme)
            ).where(owner_col == entity_id)
        )
    }
    model: Any = Person if is_person else Organization
    row = session.get(model, entity_id)
    variants: list[dict[str, Any]] = []
    if row is not None:
        form_owner = col(NameFormRow.person_id if is_person else NameFormRow.organization_id)
        forms = session.execute(
            select(col(NameFormRow.name), col(NameFormRow.scheme))
            .where(form_owner == entity_id)
            .order_by(col(NameFormRow.ordinal))
        ).all()
        variants = variants_of(row.name, [(f[0], f[1]) for f in forms])
    if before == {(v["variant"], v["origin"], v["scheme"]) for v in variants}:
        return False
    session.execute(delete(NameVariant).where(owner_col == entity_id))
    person_id, org_id = (entity_id, None) if is_person else (None, entity_id)
    session.add_all(NameVariant(person_id=person_id, organization_id=org_id, **v) for v in variants)
    return True


def doc_terms(session: Session, entity_type: str, entity_id: str) -> str | None:
    """The indexed terms of one record, or None if it no longer exists."""
    if entity_type == "claim":
        claim = session.get(Claim, entity_id)
        return None if claim is None else terms.index_text(claim.quote, claim.statement)
    if entity_type == "source":
        source = session.get(Source, entity_id)
        return None if source is None else terms.index_text(source.title, source.text)
    model: Any = Person if entity_type == "person" else Organization
    row = session.get(model, entity_id)
    return None if row is None else terms.index_text(row.description)


def reindex_doc(session: Session, entity_type: str, entity_id: str) -> None:
    where = (col(SearchDoc.entity_type) == entity_type, col(SearchDoc.entity_id) == entity_id)
    text = doc_terms(session, entity_type, entity_id)
    existing = session.scalars(select(SearchDoc).where(*where)).first()
    if text is None:
        if existing is not None:
            session.delete(existing)
    elif existing is None:
        session.add(SearchDoc(entity_type=entity_type, entity_id=entity_id, terms=text))
    elif existing.terms != text:
        existing.terms = text


def reindex(
    session: Session, touched: Iterable[tuple[str, str]], *, lexicon: Lexicon | None = None
) -> None:
    """Bring the search rows of these (entity type, id) pairs up to date, in the caller's
    transaction. Persons and organisations get their name variants and description; a
    source gets its mentions found again; a changed name refreshes the mentions of the
    sources that name it."""
    touched = list(dict.fromkeys(touched))
    named: list[tuple[EntityType, str]] = []
    for entity_type, entity_id in touched:
        if entity_type in ("person", "organization"):
            owner = EntityType(entity_type)
            if reindex_names(session, owner, entity_id):
                named.append((owner, entity_id))
        if entity_type in DOC_TYPES:
            reindex_doc(session, entity_type, entity_id)
    session.flush()
    sources = [entity_id for entity_type, entity_id in touched if entity_type == "source"]
    detection.refresh(session, sources=sources, names=named, lexicon=lexicon)


_REBUILD_BATCH = 5_000


def rebuild(session: Session) -> None:
    """Recompute every search row from the curated data (the migration's backfill, and
    `elitekb search rebuild`), in the caller's transaction. Documents are written in batches
    straight from the rows, so a million claims take minutes, not hours."""
    session.execute(delete(NameVariant))
    session.execute(delete(SearchDoc))
    session.execute(delete(Mention))
    session.flush()
    named = [("person", i) for i in session.scalars(select(col(Person.id)))]
    named += [("organization", i) for i in session.scalars(select(col(Organization.id)))]
    for entity_type, entity_id in named:
        reindex_names(session, EntityType(entity_type), entity_id)
        reindex_doc(session, entity_type, entity_id)
    session.flush()
    for entity_type, columns in (
        ("claim", (col(Claim.id), col(Claim.quote), col(Claim.statement))),
        ("source", (col(Source.id), col(Source.title), col(Source.text))),
    ):
        batch: list[dict[str, str]] = []
        for entity_id, first, second in session.execute(select(*columns)):
            batch.append(
                {
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "terms": terms.index_text(first, second),
                }
            )
            if len(batch) >= _REBUILD_BATCH:
                session.execute(insert(SearchDoc), batch)
                batch = []
        if batch:
            session.execute(insert(SearchDoc), batch)
    session.flush()
    detection.refresh(session, sources=list(session.scalars(select(col(Source.id)))))
