"""Stored versions: an entity's record as it stood at a sequence number or a time, and what a
read of a missing entity answers (404 if it never existed, 410 Gone if it was deleted).

Each accepted write stores the entity's record with its change-log row (app/models/record.py,
written by app/services/curation/transaction.py), so every version is one indexed lookup on
ix_change_entity (entity_type, entity_id, seq), and served as the exact text stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from app.models.change import Change, ChangeEntity, ChangeOp
from app.models.common import UTCDatetime
from app.problems import Gone, NotFound, ProblemError, ValidationFailed

_TIME = TypeAdapter(UTCDatetime)

_LAST = (
    select(Change)
    .where(
        col(Change.entity_type) == bindparam("type"),
        col(Change.entity_id) == bindparam("id"),
    )
    .order_by(col(Change.seq).desc())
    .limit(1)
)


def _label(entity: ChangeEntity) -> str:
    return entity.value.replace("_", " ")


def gone(entity: ChangeEntity, entity_id: str, change: Change) -> Gone:
    at = _TIME.dump_python(_TIME.validate_python(change.at), mode="json")
    return Gone(
        f"The {_label(entity)} {entity_id!r} was deleted at {at} (version {change.version}); "
        "its earlier versions remain readable with as_of= and /versions.",
        extensions={"deleted_at": at, "last_version": change.version},
    )


def missing(session: Session, table: str, entity_id: str) -> ProblemError:
    """What a read of a row that is not there answers: 410 Gone if the change log says the
    entity was deleted, else 404."""
    try:
        entity = ChangeEntity(table)
    except ValueError:
        return NotFound(f"No {table} with id {entity_id!r}.")
    last = session.execute(_LAST, {"type": entity.value, "id": entity_id}).scalar_one_or_none()
    if last is not None and last.op == ChangeOp.delete.value:
        return gone(entity, entity_id, last)
    return NotFound(f"No {_label(entity)} with id {entity_id!r}.")


def parse_as_of(value: str) -> int | datetime:
    """`as_of=`: a change-feed sequence number, or an RFC 3339 time with its offset."""
    text = value.strip()
    if text.isdigit():
        seq = int(text)
        if seq < 2**63:
            return seq
    else:
        try:
            when = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            when = None
        if when is not None and when.tzinfo is not None and "T" in text.upper():
            return when
    raise ValidationFailed(
        "as_of must be a sequence number of the change feed (e.g. 120) or an RFC 3339 time "
        "with its offset (e.g. 2026-11-27T09:05:00Z).",
        errors=[{"loc": ["query", "as_of"], "msg": "not a sequence number or an RFC 3339 time"}],
    )


def stored_record(entity: ChangeEntity, entity_id: str) -> Callable[[Session, int | datetime], str]:
    """`record_as_of` for one entity, as single GETs take it (app/api/deps.py `one_as_of`)."""
    return lambda session, point: record_as_of(session, entity, entity_id, point)


def record_as_of(
    session: Session, entity: ChangeEntity, entity_id: str, point: int | datetime
) -> str:
    """The stored record of the entity's version current at `point` (the latest change at or
    before it): the exact text stored. 404 if it did not exist yet, 410 if it was deleted."""
    stmt: Any = select(Change).where(
        col(Change.entity_type) == entity.value, col(Change.entity_id) == entity_id
    )
    if isinstance(point, int):
        stmt = stmt.where(col(Change.seq) <= point)
    else:
        stmt = stmt.where(col(Change.at) <= point)
    change = session.execute(stmt.order_by(col(Change.seq).desc()).limit(1)).scalar_one_or_none()
    if change is None:
        raise NotFound(f"The {_label(entity)} {entity_id!r} did not exist as of {point}.")
    if change.op == ChangeOp.delete.value:
        raise gone(entity, entity_id, change)
    if change.document is None:
        raise NotFound(
            f"Version {change.version} of the {_label(entity)} {entity_id!r} was written before "
            "versions were stored; no record of it is kept."
        )
    return change.document
