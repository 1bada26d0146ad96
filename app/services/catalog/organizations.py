"""Reading organisations, including informal groups and who belongs to them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.models import Organization, Role
from app.models.annotation import TargetType
from app.models.common import ClaimCounts, EntityType, NameForm, OrganizationKind
from app.models.organization import OrganizationPublic, OrganizationSummary
from app.pagination import Filters, Keyset, paginate
from app.services.annotations.reads import annotation_count
from app.services.catalog.loaders import claim_counts, identifiers_for, names_for, require
from app.services.catalog.persons import list_roles, name_matches

ORGANIZATIONS = Keyset("organizations", (col(Organization.id),), lambda o: (o.id,))


@dataclass(frozen=True)
class OrganizationFilters(Filters):
    q: str | None = None
    kind: OrganizationKind | None = None


def list_organizations(
    session: Session, *, filters: OrganizationFilters, cursor: str | None, limit: int | None
) -> tuple[list[OrganizationSummary], str | None]:
    stmt = select(Organization)
    if filters.q:
        stmt = stmt.where(
            name_matches(
                EntityType.organization, col(Organization.id), col(Organization.name), filters.q
            )
        )
    if filters.kind:
        stmt = stmt.where(col(Organization.kind) == filters.kind)
    pager = paginate(session, stmt, ORGANIZATIONS, cursor=cursor, limit=limit, filters=filters)
    orgs, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    ids = [o.id for o in orgs]
    names = names_for(session, EntityType.organization, ids)
    members = _member_counts(session, ids)
    return [_summary(o, names.get(o.id, []), members.get(o.id, 0)) for o in orgs], next_cursor


def _member_counts(session: Session, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(col(Role.organization_id), func.count(func.distinct(col(Role.person_id))))
        .where(col(Role.organization_id).in_(ids))
        .group_by(col(Role.organization_id))
    ).all()
    return {org_id: int(n) for org_id, n in rows}


def _summary(org: Organization, names: list[NameForm], member_count: int) -> OrganizationSummary:
    return OrganizationSummary(
        id=org.id,
        name=org.name,
        kind=org.kind,
        description=org.description,
        names=names,
        member_count=member_count,
        updated_at=org.updated_at,
        version=org.version,
    )


def require_organization(session: Session, organization_id: str) -> Organization:
    return require(session, Organization, organization_id)


def get_organization(session: Session, organization_id: str) -> OrganizationPublic:
    org = require_organization(session, organization_id)
    names = names_for(session, EntityType.organization, [org.id]).get(org.id, [])
    counts = claim_counts(session, org.id)
    roles = list_roles(session, EntityType.organization, org.id)
    members = sorted({r.person.id: r.person for r in roles}.values(), key=lambda p: p.id)
    return OrganizationPublic(
        **dict(_summary(org, names, len(members))),
        members=members,
        identifiers=identifiers_for(session, EntityType.organization, org.id),
        roles=roles,
        claim_counts=ClaimCounts(total=sum(counts.values()), by_kind=counts),
        annotation_count=annotation_count(session, TargetType.organization, org.id),
        created_at=org.created_at,
    )
