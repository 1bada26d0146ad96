"""What every write shares: ids, row locks, preconditions (If-Match) and the change log.

Each write service runs in one transaction that ends with one commit, and appends its change
log row(s) in that same transaction, so the log never misses or invents a write.
"""

from __future__ import annotations

import base64
import secrets
import time
from enum import Enum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import event, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from app.auth import Actor
from app.models.change import Change, ChangeEntity, ChangeOp
from app.models.common import utcnow
from app.problems import Conflict
from app.services.catalog.versions import missing
from app.services.curation.records import document_for

M = TypeVar("M", bound=SQLModel)

# Any constant works; it only has to be the same in every process writing to the database.
_CHANGE_LOG_LOCK = 0x656B62  # "ekb"


def new_id(prefix: str) -> str:
    """A short random id (50 bits) like `key_k3v9x2m4qa`."""
    return prefix + base64.b32encode(secrets.token_bytes(10)).decode()[:10].lower()


# Crockford's base32 digits are in ASCII order, so ids sort as their numbers do.
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def new_sortable_id(prefix: str) -> str:
    """An id that sorts by creation time, in the manner of a ULID: 48 bits of milliseconds
    since the epoch then 30 random bits (`ann_01jq4n5c8x7k2m9t`), so keyset pages in id order
    are chronological."""
    value = (time.time_ns() // 1_000_000) << 30 | secrets.randbits(30)
    digits = []
    for _ in range(16):
        value, digit = divmod(value, 32)
        digits.append(_CROCKFORD[digit])
    return prefix + "".join(reversed(digits))


def lock(session: Session, model: type[M], entity_id: str) -> M:
    """Load a row for update (PostgreSQL: FOR UPDATE; SQLite holds the database write lock
    from BEGIN IMMEDIATE), or NotFound."""
    pk = sa_inspect(model).primary_key[0]
    row = session.exec(select(model).where(pk == entity_id).with_for_update()).first()
    if row is None:
        raise missing(session, str(model.__tablename__), entity_id)
    return row


class Precondition(Protocol):
    """What a write must find true of a record before changing it, checked once the row is
    locked. The API passes the request's If-Match header (app/api/http.py `IfMatchHeader`),
    which compares the ETag of the record's representation, so services never compute ETags:
    how a representation is serialised and tagged is the HTTP layer's alone."""

    @property
    def given(self) -> bool:
        """Whether the client stated a precondition at all."""
        ...

    def check(self, current: BaseModel) -> None:
        """Raise PreconditionRequired or PreconditionFailed unless `current` (the record as
        its writer reads it now) is what the client last saw."""
        ...


def record_change(
    session: Session,
    actor: Actor | None,
    entity_type: ChangeEntity,
    entity_id: str,
    op: ChangeOp,
    version: int,
    *,
    origin: str = "api",
) -> None:
    """Record a change in the current transaction, with the entity's record as this version
    leaves it (so call it once the entity is as the version leaves it); the change-log row is
    written when the transaction commits (`_write_changes`)."""
    flush_or_conflict(session)
    document = document_for(session, entity_type, entity_id, op)
    session.info.setdefault(_PENDING, []).append(
        Change(
            at=utcnow(),
            key_id=actor.key_id if actor else None,
            origin=origin,
            entity_type=entity_type.value,
            entity_id=entity_id,
            op=op.value,
            version=version,
            document=document,
        )
    )


_PENDING = "elitekb.pending_changes"
# The PostgreSQL NOTIFY channel the feed's long-pollers listen on (app/api/notify.py).
CHANGE_CHANNEL = "elitekb_changes"


@event.listens_for(Session, "before_commit")
def _write_changes(session: Session) -> None:
    """Append the transaction's change-log rows as the last thing before it commits.

    On PostgreSQL a transaction-scoped advisory lock makes the log's sequence numbers commit
    in order: a writer takes its numbers only once the writer before it has committed (locks
    are released after the commit is visible), so a reader that has seen n never later finds
    a smaller number appearing, and a feed that resumes after n skips nothing. Taking the lock
    here, rather than when the write began, holds it only for the insert and the commit.
    SQLite has one writer at a time anyway."""
    pending: list[Change] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHANGE_LOG_LOCK})
    now = utcnow()
    for change in pending:
        change.at = now
    session.add_all(pending)
    if session.get_bind().dialect.name == "postgresql":
        # Wake the feed's long-pollers in every process (app/api/notify.py) as this commits.
        session.flush()
        head = max(change.seq or 0 for change in pending)
        session.execute(text("SELECT pg_notify(:c, :s)"), {"c": CHANGE_CHANNEL, "s": str(head)})


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)


def flush_or_conflict(session: Session) -> None:
    """Flush, turning a constraint violation into 409. The checks before a write normally catch
    these; a concurrent writer (on PostgreSQL) can still win the race between check and write."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "The write conflicts with a concurrent change (a duplicate id or identifier, or a "
            "reference to a record just deleted); read the records again and retry."
        ) from exc


def plain(value: Any) -> Any:
    """An enum member as its stored value; anything else as it is."""
    return value.value if isinstance(value, Enum) else value


def bump(row: Any) -> None:
    """Mark a row as changed: a new version and updated_at."""
    row.version += 1
    row.updated_at = utcnow()
