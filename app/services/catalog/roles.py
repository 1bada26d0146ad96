"""Reading roles: one by id, and pages filtered by person, organisation, kind and status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, col

from app.models import Role
from app.models.common import RoleKind, RoleStatus
from app.models.role import RolePublic
from app.pagination import Filters, Keyset, paginate
from app.services.catalog.loaders import role_public, role_select
from app.services.catalog.versions import missing

_ROLE_BY_ID = role_select().where(col(Role.id) == bindparam("id"))


def get_role(session: Session, role_id: str) -> RolePublic:
    row = session.execute(_ROLE_BY_ID, {"id": role_id}).first()
    if row is None:
        raise missing(session, "role", role_id)
    return role_public(row)


@dataclass(frozen=True)
class RoleFilters(Filters):
    person: str | None = None
    organization: str | None = None
    kind: RoleKind | None = None
    status: RoleStatus | None = None


ROLE_LIST = Keyset("role-list", (col(Role.id),), lambda row: (row[0].id,))


def list_roles(
    session: Session, *, filters: RoleFilters, cursor: str | None, limit: int | None
) -> tuple[list[RolePublic], str | None]:
    """Roles in id order, filtered by person, organisation, kind and status."""
    stmt = role_select()
    for value, column in (
        (filters.person, Role.person_id),
        (filters.organization, Role.organization_id),
        (filters.kind, Role.kind),
        (filters.status, Role.status),
    ):
        if value:
            stmt = stmt.where(col(column) == value)
    pager = paginate(session, stmt, ROLE_LIST, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.execute(pager.stmt)))
    return [role_public(row) for row in rows], next_cursor
