"""Roles as resources: read one, and curate them (create, edit, delete)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col

from app.auth import Actor
from app.models import Claim, Organization, Person, Role
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import utcnow
from app.models.curation import RoleCreate, RoleUpdate
from app.models.role import RolePublic
from app.pagination import Keyset, paginate
from app.problems import NotFound, ValidationFailed
from app.services.references import delete_unreferenced, flush_or_conflict, must_exist
from app.services.refs import role_public, role_select
from app.services.writes import bump, check_if_match, lock, new_id, plain, record_change

_ROLE_BY_ID = role_select().where(col(Role.id) == bindparam("id"))

FIELDS = (
    "person_id",
    "organization_id",
    "title",
    "kind",
    "status",
    "start_date",
    "start_date_precision",
    "end_date",
    "end_date_precision",
    "claim_id",
)
_REFERENCES = (("person_id", Person), ("organization_id", Organization), ("claim_id", Claim))


def get_role(session: Session, role_id: str) -> RolePublic:
    row = session.execute(_ROLE_BY_ID, {"id": role_id}).first()
    if row is None:
        raise NotFound(f"No role with id {role_id!r}.")
    return role_public(row)


def _check(session: Session, values: dict[str, Any], sent: set[str]) -> None:
    """The referenced records exist (of those sent); a precision needs its date; the end
    does not come before the start."""
    must_exist(
        session,
        [
            ([name], model, values[name])
            for name, model in _REFERENCES
            if name in sent and values[name]
        ],
    )
    problems = []
    for end in ("start", "end"):
        if values[f"{end}_date_precision"] is not None and values[f"{end}_date"] is None:
            problems.append((f"{end}_date_precision", f"{end}_date_precision needs {end}_date"))
    start, end = values["start_date"], values["end_date"]
    if start is not None and end is not None and end < start:
        problems.append(("end_date", f"end_date {end} is before start_date {start}"))
    if problems:
        raise ValidationFailed(
            "The role is not valid: " + "; ".join(msg for _, msg in problems) + ".",
            errors=[
                {"loc": ["body", loc], "msg": msg, "type": "role_rule"} for loc, msg in problems
            ],
        )


def create_role(session: Session, actor: Actor, data: RoleCreate) -> RolePublic:
    values = {name: plain(getattr(data, name)) for name in FIELDS}
    _check(session, values, set(FIELDS))
    now = utcnow()
    role_id = new_id("rol_")
    session.add(Role(id=role_id, **values, created_at=now, updated_at=now, version=1))
    record_change(session, actor, ChangeEntity.role, role_id, ChangeOp.create, 1)
    flush_or_conflict(session)
    session.commit()
    return get_role(session, role_id)


def update_role(
    session: Session, actor: Actor, role_id: str, patch: RoleUpdate, *, if_match: str | None
) -> RolePublic:
    row = lock(session, Role, role_id)
    check_if_match(if_match, get_role(session, role_id))
    sent = patch.model_fields_set
    values = {
        name: plain(getattr(patch, name)) if name in sent else getattr(row, name) for name in FIELDS
    }
    changed = {name for name in FIELDS if values[name] != getattr(row, name)}
    if not changed:
        session.rollback()
        return get_role(session, role_id)
    _check(session, values, changed)
    for name in changed:
        setattr(row, name, values[name])
    bump(row)
    record_change(session, actor, ChangeEntity.role, role_id, ChangeOp.update, row.version)
    flush_or_conflict(session)
    session.commit()
    return get_role(session, role_id)


def delete_role(session: Session, actor: Actor, role_id: str, *, if_match: str | None) -> None:
    row = lock(session, Role, role_id)
    check_if_match(if_match, get_role(session, role_id))
    delete_unreferenced(session, actor, ChangeEntity.role, row, role_id)


ROLE_LIST = Keyset("role-list", (col(Role.id),), lambda row: (row[0].id,))


def list_roles(
    session: Session, *, filters: dict[str, Any], cursor: str | None, limit: int | None
) -> tuple[list[RolePublic], str | None]:
    """Roles in id order, filtered by person, organisation, kind and status."""
    stmt = role_select()
    for name, column in (
        ("person", Role.person_id),
        ("organization", Role.organization_id),
        ("kind", Role.kind),
        ("status", Role.status),
    ):
        if filters.get(name):
            stmt = stmt.where(col(column) == filters[name])
    pager = paginate(session, stmt, ROLE_LIST, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.execute(pager.stmt)))
    return [role_public(row) for row in rows], next_cursor
