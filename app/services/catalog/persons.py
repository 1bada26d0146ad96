"""Reading persons: name search over every stored form, role filters, the assembled record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlmodel import Session, col

from app.models import NameFormRow, Person, Role
from app.models.common import ClaimCounts, EntityType, NameForm, RoleStatus
from app.models.person import PersonPublic, PersonSummary
from app.models.role import RolePublic
from app.pagination import Filters, Keyset, paginate
from app.services.annotations.reads import person_annotation_count
from app.services.catalog.loaders import (
    claim_counts,
    identifiers_for,
    names_for,
    owner_column,
    require,
    role_public,
    role_select,
    roles_of_stmt,
)
from app.services.catalog.roles import RoleFilters
from app.services.search.terms import name_key

PERSONS = Keyset("persons", (col(Person.id),), lambda p: (p.id,))
ROLES = Keyset("roles", (col(Role.id),), lambda row: (row[0].id,))


def name_matches(owner: EntityType, id_column: Any, display_column: Any, q: str) -> Any:
    """Case- and diacritic-insensitive substring match over the display name and every form."""
    display_match = func.lower(display_column).contains(q.lower(), autoescape=True)
    key = name_key(q)
    if not key:
        # Only punctuation or spaces: an empty key would match every name form.
        return display_match
    return or_(
        display_match,
        exists(
            select(col(NameFormRow.id)).where(
                owner_column(NameFormRow, owner) == id_column,
                col(NameFormRow.name_key).contains(key, autoescape=True),
            )
        ),
    )


@dataclass(frozen=True)
class PersonFilters(Filters):
    q: str | None = None
    organization: str | None = None
    role_status: RoleStatus | None = None


def list_persons(
    session: Session, *, filters: PersonFilters, cursor: str | None, limit: int | None
) -> tuple[list[PersonSummary], str | None]:
    stmt = select(Person)
    if filters.q:
        stmt = stmt.where(
            name_matches(EntityType.person, col(Person.id), col(Person.name), filters.q)
        )
    role_conditions = []
    if filters.organization:
        role_conditions.append(col(Role.organization_id) == filters.organization)
    if filters.role_status:
        role_conditions.append(col(Role.status) == filters.role_status)
    if filters.organization:
        # From the organisation's roles (an index range), not a walk of every person.
        stmt = stmt.where(col(Person.id).in_(select(col(Role.person_id)).where(*role_conditions)))
    elif role_conditions:
        # A status most persons have: walking persons in order finds a page at once.
        stmt = stmt.where(
            exists(
                select(col(Role.id)).where(col(Role.person_id) == col(Person.id), *role_conditions)
            )
        )
    pager = paginate(session, stmt, PERSONS, cursor=cursor, limit=limit, filters=filters)
    persons, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    names = names_for(session, EntityType.person, [p.id for p in persons])
    return [_summary(p, names.get(p.id, [])) for p in persons], next_cursor


def _summary(person: Person, names: list[NameForm]) -> PersonSummary:
    return PersonSummary(
        id=person.id,
        name=person.name,
        description=person.description,
        names=names,
        updated_at=person.updated_at,
        version=person.version,
    )


def require_person(session: Session, person_id: str) -> Person:
    return require(session, Person, person_id)


def get_person(session: Session, person_id: str) -> PersonPublic:
    person = require_person(session, person_id)
    counts = claim_counts(session, person.id)
    return PersonPublic(
        **dict(_summary(person, names_for(session, EntityType.person, [person.id])[person.id])),
        birth_date=person.birth_date,
        identifiers=identifiers_for(session, EntityType.person, person.id),
        roles=list_roles(session, EntityType.person, person.id),
        claim_counts=ClaimCounts(total=sum(counts.values()), by_kind=counts),
        annotation_count=person_annotation_count(session, person.id),
        created_at=person.created_at,
    )


def list_roles(session: Session, owner: EntityType, entity_id: str) -> list[RolePublic]:
    """Every role of a person, or in an organisation, in id order."""
    return [role_public(row) for row in session.execute(roles_of_stmt(owner), {"id": entity_id})]


def list_roles_page(
    session: Session, *, person_id: str, cursor: str | None, limit: int | None
) -> tuple[list[RolePublic], str | None]:
    require_person(session, person_id)
    filters = RoleFilters(person=person_id)
    stmt = role_select().where(col(Role.person_id) == person_id)
    pager = paginate(session, stmt, ROLES, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.execute(pager.stmt)))
    return [role_public(row) for row in rows], next_cursor
