"""Curating roles: create, edit (partial), delete; the person, organisation and claim a role
names must exist.

`insert_role` and `apply_role_update` check and write inside the caller's transaction (with the
change-log row, without committing), so the seed loader writes through the same rules under its
own ids; `create_role` and `update_role` are those plus the one commit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.auth import Actor
from app.models import Claim, Organization, Person, Role
from app.models.annotation import TargetType
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import utcnow
from app.models.role import RoleCreate, RolePublic, RoleUpdate
from app.problems import ValidationFailed
from app.services.annotations.about import retarget
from app.services.catalog.roles import get_role
from app.services.curation.integrity import delete_unreferenced, must_exist
from app.services.curation.transaction import (
    Precondition,
    bump,
    flush_or_conflict,
    lock,
    new_id,
    plain,
    record_change,
)

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
    role = insert_role(session, actor, data)
    session.commit()
    return get_role(session, role.id)


def insert_role(
    session: Session,
    actor: Actor | None,
    data: RoleCreate,
    *,
    role_id: str | None = None,
    origin: str = "api",
) -> Role:
    """Check a new role against the API's rules and add it and its change-log row under
    `role_id` (a new random id if None); the caller commits."""
    values = {name: plain(getattr(data, name)) for name in FIELDS}
    _check(session, values, set(FIELDS))
    now = utcnow()
    role = Role(id=role_id or new_id("rol_"), **values, created_at=now, updated_at=now, version=1)
    session.add(role)
    record_change(session, actor, ChangeEntity.role, role.id, ChangeOp.create, 1, origin=origin)
    flush_or_conflict(session)
    return role


def update_role(
    session: Session, actor: Actor, role_id: str, patch: RoleUpdate, *, if_match: Precondition
) -> RolePublic:
    row = lock(session, Role, role_id)
    if_match.check(get_role(session, role_id))
    if not apply_role_update(session, actor, row, patch):
        session.rollback()
        return get_role(session, role_id)
    session.commit()
    return get_role(session, role_id)


def apply_role_update(
    session: Session, actor: Actor | None, row: Role, patch: RoleUpdate, *, origin: str = "api"
) -> bool:
    """Check and apply an edit of a (locked) role with a new version and its change-log row;
    False, with nothing written, if it changes nothing. The caller commits."""
    sent = patch.model_fields_set
    values = {
        name: plain(getattr(patch, name)) if name in sent else getattr(row, name) for name in FIELDS
    }
    changed = {name for name in FIELDS if values[name] != getattr(row, name)}
    if not changed:
        return False
    _check(session, values, changed)
    before = row.person_id
    for name in changed:
        setattr(row, name, values[name])
    retarget(session, TargetType.role, row.id, [before], [row.person_id])
    bump(row)
    record_change(
        session, actor, ChangeEntity.role, row.id, ChangeOp.update, row.version, origin=origin
    )
    flush_or_conflict(session)
    return True


def delete_role(session: Session, actor: Actor, role_id: str, *, if_match: Precondition) -> None:
    row = lock(session, Role, role_id)
    if_match.check(get_role(session, role_id))
    delete_unreferenced(session, actor, ChangeEntity.role, row, role_id)
