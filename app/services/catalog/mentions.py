"""Reading mentions: per source in text order, per person or organisation across sources.

A mention's claims are worked out when it is read (claims of its source whose quote covers it
and that are about, or attributed to, its entity), so creating, editing or deleting a claim
links or unlinks mentions with nothing to keep in step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from app.models import Claim, ClaimSubject, Mention
from app.models.common import EntityType
from app.models.search import MentionPublic
from app.pagination import Filters, Keyset, paginate
from app.services.catalog.loaders import entity_refs
from app.services.catalog.organizations import require_organization
from app.services.catalog.persons import require_person
from app.services.catalog.sources import require_source

IN_SOURCE = Keyset(
    "source-mentions",
    (col(Mention.start), col(Mention.id)),
    lambda m: (m.start, m.id),
)
OF_ENTITY = Keyset(
    "entity-mentions",
    (col(Mention.source_id), col(Mention.start), col(Mention.id)),
    lambda m: (m.source_id, m.start, m.id),
)


@dataclass(frozen=True)
class MentionFilters(Filters):
    source: str | None = None
    person: str | None = None
    organization: str | None = None


def _owned_by(owner: EntityType, entity_id: str) -> MentionFilters:
    if owner is EntityType.person:
        return MentionFilters(person=entity_id)
    return MentionFilters(organization=entity_id)


def list_source_mentions(
    session: Session,
    source_id: str,
    *,
    filters: MentionFilters,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[MentionPublic], str | None]:
    require_source(session, source_id)
    stmt = select(Mention).where(col(Mention.source_id) == source_id)
    if filters.person:
        stmt = stmt.where(col(Mention.person_id) == filters.person)
    if filters.organization:
        stmt = stmt.where(col(Mention.organization_id) == filters.organization)
    pager = paginate(
        session,
        stmt,
        IN_SOURCE,
        cursor=cursor,
        limit=limit,
        filters=replace(filters, source=source_id),
    )
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return mention_publics(session, rows), next_cursor


def list_entity_mentions(
    session: Session,
    owner: EntityType,
    entity_id: str,
    *,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[MentionPublic], str | None]:
    if owner is EntityType.person:
        require_person(session, entity_id)
        column = col(Mention.person_id)
    else:
        require_organization(session, entity_id)
        column = col(Mention.organization_id)
    stmt = select(Mention).where(column == entity_id)
    pager = paginate(
        session, stmt, OF_ENTITY, cursor=cursor, limit=limit, filters=_owned_by(owner, entity_id)
    )
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return mention_publics(session, rows), next_cursor


def _claims(session: Session, rows: list[Mention]) -> dict[int, list[str]]:
    """Per mention id, the claims that cover it and concern its entity: two statements for a
    page, however many sources its mentions are in."""
    if not rows:
        return {}
    by_source: dict[str, list[Mention]] = defaultdict(list)
    for m in rows:
        by_source[m.source_id].append(m)
    spans = [
        and_(
            col(Claim.source_id) == source_id,
            col(Claim.quote_start) <= max(m.end for m in mentions),
            col(Claim.quote_end) >= min(m.start for m in mentions),
        )
        for source_id, mentions in by_source.items()
    ]
    found = session.execute(
        select(
            col(Claim.id),
            col(Claim.source_id),
            col(Claim.quote_start),
            col(Claim.quote_end),
            col(Claim.attributed_to_person_id),
            col(Claim.attributed_to_organization_id),
        ).where(or_(*spans))
    ).all()
    # Only the claims that cover one of the page's mentions (a claim spans a sentence or so).
    claims = [
        c
        for c in found
        if any(c.quote_start <= m.start and m.end <= c.quote_end for m in by_source[c.source_id])
    ]
    if not claims:
        return {}
    concerned: dict[str, set[tuple[str, str]]] = defaultdict(set)
    in_source: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for claim_id, source_id, start, end, by_person, by_org in claims:
        in_source[source_id].append((claim_id, start, end))
        if by_person:
            concerned[claim_id].add(("person", by_person))
        if by_org:
            concerned[claim_id].add(("organization", by_org))
    for claim_id, person_id, org_id in session.execute(
        select(
            col(ClaimSubject.claim_id),
            col(ClaimSubject.person_id),
            col(ClaimSubject.organization_id),
        ).where(col(ClaimSubject.claim_id).in_([c[0] for c in claims]))
    ):
        concerned[claim_id].add(("person", person_id) if person_id else ("organization", org_id))
    out: dict[int, list[str]] = {}
    for m in rows:
        entity = ("person", m.person_id) if m.person_id else ("organization", m.organization_id)
        assert m.id is not None
        out[m.id] = sorted(
            claim_id
            for claim_id, start, end in in_source[m.source_id]
            if start <= m.start and m.end <= end and entity in concerned[claim_id]
        )
    return out


def mention_publics(session: Session, rows: list[Mention]) -> list[MentionPublic]:
    refs = entity_refs(
        session,
        [m.person_id for m in rows if m.person_id],
        [m.organization_id for m in rows if m.organization_id],
    )
    claims = _claims(session, rows)
    out = []
    for m in rows:
        key = (
            (EntityType.person, m.person_id)
            if m.person_id
            else (EntityType.organization, str(m.organization_id))
        )
        assert m.id is not None
        out.append(
            MentionPublic(
                source_id=m.source_id,
                entity=refs[key],
                start=m.start,
                end=m.end,
                text=m.text,
                basis=m.basis,
                matched_name=m.matched_name,
                claim_ids=claims.get(m.id, []),
            )
        )
    return out
