"""Reading claims: filters, keyset pages and the assembled public shape."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from app.models import Claim, ClaimSubject, Person, Source
from app.models.annotation import TargetType
from app.models.claim import AttributedTo, ClaimPublic, ClaimSourceRef
from app.models.common import ClaimKind, EntityRef, EntityType, Modality, Stance
from app.pagination import Filters, Keyset, paginate
from app.services.annotations.reads import annotation_counts
from app.services.catalog.loaders import entity_refs, require

CLAIMS = Keyset(
    "claims",
    (col(Claim.source_id), col(Claim.quote_start), col(Claim.id)),
    lambda c: (c.source_id, c.quote_start, c.id),
)
# The same order and cursors, read off a subject's rows: with `subject=`, the page is a range
# of ix_claim_subject_keyset, joined to the claims it names.
SUBJECT_CLAIMS = Keyset(
    "claims",
    (col(ClaimSubject.source_id), col(ClaimSubject.quote_start), col(ClaimSubject.claim_id)),
    lambda c: (c.source_id, c.quote_start, c.id),
)


_IS_PERSON = select(col(Person.id)).where(col(Person.id) == bindparam("id"))


def _attributed_to(session: Session, who: str) -> Any:
    """The attribution column `who` would be in (ids are unique across persons and
    organisations): one column's index serves the page, where an OR of both would not."""
    if session.execute(_IS_PERSON, {"id": who}).first() is not None:
        return col(Claim.attributed_to_person_id) == who
    return col(Claim.attributed_to_organization_id) == who


@dataclass(frozen=True)
class ClaimFilters(Filters):
    subject: str | None = None
    source: str | None = None
    kind: ClaimKind | None = None
    modality: Modality | None = None
    stance: Stance | None = None
    attributed_to: str | None = None


def list_claims(
    session: Session,
    *,
    filters: ClaimFilters,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[ClaimPublic], str | None]:
    """Claims matching `filters` (subject, source, kind, modality, stance, attributed_to)."""
    stmt = select(Claim)
    keyset = CLAIMS
    if filters.subject:
        stmt = stmt.join(ClaimSubject, col(ClaimSubject.claim_id) == col(Claim.id)).where(
            col(ClaimSubject.subject_id) == filters.subject
        )
        keyset = SUBJECT_CLAIMS
    if filters.source:
        stmt = stmt.where(col(Claim.source_id) == filters.source)
    for value, column in (
        (filters.kind, col(Claim.kind)),
        (filters.modality, col(Claim.modality)),
        (filters.stance, col(Claim.stance)),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.attributed_to:
        stmt = stmt.where(_attributed_to(session, filters.attributed_to))
    pager = paginate(session, stmt, keyset, cursor=cursor, limit=limit, filters=filters)
    claims, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return assemble(session, claims), next_cursor


def get_claim(session: Session, claim_id: str) -> ClaimPublic:
    return assemble(session, [require(session, Claim, claim_id)])[0]


_SUBJECTS = (
    select(
        col(ClaimSubject.claim_id), col(ClaimSubject.person_id), col(ClaimSubject.organization_id)
    )
    .where(col(ClaimSubject.claim_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(ClaimSubject.claim_id), col(ClaimSubject.ordinal))
)
_TITLES = select(col(Source.id), col(Source.title)).where(
    col(Source.id).in_(bindparam("ids", expanding=True))
)


def assemble(session: Session, claims: list[Claim]) -> list[ClaimPublic]:
    """Public claims with subjects, attribution and source titles, in three queries."""
    if not claims:
        return []
    ids = [c.id for c in claims]
    subjects: dict[str, list[tuple[EntityType, str]]] = defaultdict(list)
    for claim_id, person_id, organization_id in session.execute(_SUBJECTS, {"ids": ids}):
        if person_id is not None:
            subjects[claim_id].append((EntityType.person, person_id))
        else:
            subjects[claim_id].append((EntityType.organization, organization_id))
    person_ids = {pid for subs in subjects.values() for t, pid in subs if t is EntityType.person}
    org_ids = {oid for subs in subjects.values() for t, oid in subs if t is EntityType.organization}
    person_ids |= {c.attributed_to_person_id for c in claims if c.attributed_to_person_id}
    org_ids |= {c.attributed_to_organization_id for c in claims if c.attributed_to_organization_id}
    refs = entity_refs(session, person_ids, org_ids)
    titles: dict[str, str] = dict(
        session.execute(_TITLES, {"ids": list({c.source_id for c in claims})}).all()
    )
    annotations = annotation_counts(session, TargetType.claim, ids)
    return [
        ClaimPublic(
            id=c.id,
            source=ClaimSourceRef(id=c.source_id, title=titles[c.source_id]),
            quote=c.quote,
            start=c.quote_start,
            end=c.quote_end,
            prefix=c.prefix,
            suffix=c.suffix,
            subjects=[refs[key] for key in subjects[c.id]],
            attributed_to=_attribution(c, refs),
            kind=c.kind,
            statement=c.statement,
            modality=c.modality,
            hedge=c.hedge,
            stance=c.stance,
            rationale=c.rationale,
            annotation_count=annotations.get(c.id, 0),
            created_at=c.created_at,
            updated_at=c.updated_at,
            version=c.version,
        )
        for c in claims
    ]


def _attribution(
    claim: Claim, refs: dict[tuple[EntityType, str], EntityRef]
) -> AttributedTo | None:
    if claim.attributed_to_person_id:
        ref = refs[(EntityType.person, claim.attributed_to_person_id)]
        return AttributedTo(type="person", id=ref.id, name=ref.name)
    if claim.attributed_to_organization_id:
        ref = refs[(EntityType.organization, claim.attributed_to_organization_id)]
        return AttributedTo(type="organization", id=ref.id, name=ref.name)
    if claim.attributed_to_label:
        return AttributedTo(type=None, id=None, name=claim.attributed_to_label)
    return None
