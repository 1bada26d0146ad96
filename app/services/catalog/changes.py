"""Reading the change log: the audit trail of one entity, or of a type of entity.

The log shows every reader what they could see for themselves, and no more. Curators see every
row as written. For anyone else, annotations follow the visibility rules of
app/services/annotations/reads.py, applied to each row as of its own version and to the annotation
as it stands now:
- rows written while the annotation was hidden (edits, flags, a delete) are left out, and of
  an annotation hidden now only its creation and its hides and unhides are shown, unless the
  reader is its creator;
- to a reader who is not its creator, its hide reads as a removal (op `delete`, the shape a
  delete has) and its unhide as an appearance (op `create`), without the curator's key, so a
  tool that follows the log drops the annotation and picks it up again; and while it is hidden
  none of its rows carries a key id;
- flags are moderation data: a flag row names its key only to curators and to that key;
- an annotation's stored records (the feed's `document`) reach only its creator and curators
  while it is hidden or deleted now: anyone else sees its rows without content, and its hide
  (or delete) as a tombstone;
- API-key rows reach admin keys only (their records never hold a secret).

The feed reads the log in sequence order from `after`. On PostgreSQL the writes append their
rows under an advisory lock taken at commit (app/services/curation/transaction.py), so every
sequence number at or below the highest committed one is committed or never will be: the
highest number, read before the page, is where a reader that reached the end resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, select
from sqlmodel import Session, col

from app.auth import Actor
from app.models import Annotation, AnnotationVersion
from app.models.api_key import Scope
from app.models.change import Change, ChangeEntity, ChangeOp
from app.pagination import Filters, Keyset, paginate
from app.services.catalog.loaders import AnySelect

CHANGES = Keyset("changes", (col(Change.seq),), lambda row: (row[0],))
# What a feed row reads: the change's own columns, its stored record, and for an annotation
# whether it is hidden or deleted now and who created it. Plain columns, not ORM objects: a
# page of a thousand rows is built in a few milliseconds.
_FEED_COLUMNS = (
    col(Change.seq),
    col(Change.at),
    col(Change.key_id),
    col(Change.origin),
    col(Change.entity_type),
    col(Change.entity_id),
    col(Change.op),
    col(Change.version),
    col(Change.document),
    col(Annotation.hidden),
    col(Annotation.creator_key_id),
    col(Annotation.deleted_at).is_not(None),
)

_ANNOTATION = col(Change.entity_type) == ChangeEntity.annotation.value
# The annotation as it stands, and whether it was hidden as of the row's version (a flag row
# shares the version of the write before it).
_JOIN_ANNOTATION = and_(_ANNOTATION, col(Annotation.id) == col(Change.entity_id))
_JOIN_VERSION = and_(
    _ANNOTATION,
    col(AnnotationVersion.annotation_id) == col(Change.entity_id),
    col(AnnotationVersion.version) == col(Change.version),
)
_HIDDEN_THEN = func.coalesce(col(AnnotationVersion.content)["hidden"].as_boolean(), false())


@dataclass(frozen=True)
class ChangeFilters(Filters):
    entity_type: ChangeEntity | None = None
    entity_id: str | None = None
    after: int | None = None


@dataclass(frozen=True)
class FeedEntry:
    """One change as a reader sees it (the fields of `ChangePublic`, `at` in UTC), with the
    stored record it may see (exact JSON text) or the tombstone of what went (the fields of
    `Tombstone`)."""

    change: dict[str, Any]
    document: str | None
    tombstone: dict[str, Any] | None

    @property
    def seq(self) -> int:
        return int(self.change["seq"])


@dataclass(frozen=True)
class FeedRows:
    entries: list[FeedEntry]
    next_cursor: str | None
    last_seq: int


_HEAD = select(func.coalesce(func.max(col(Change.seq)), 0))


def list_changes(
    session: Session,
    actor: Actor,
    *,
    filters: ChangeFilters,
    cursor: str | None,
    limit: int | None,
) -> FeedRows:
    """A page of the log from `filters.after` (or the cursor), and where to resume: the last
    row's sequence, or at the end the highest sequence committed when the page was read."""
    head = session.execute(_HEAD).scalar_one()
    stmt: AnySelect = select(*_FEED_COLUMNS).outerjoin(Annotation, _JOIN_ANNOTATION)
    if not actor.curator:
        stmt = stmt.outerjoin(AnnotationVersion, _JOIN_VERSION).where(_shown_to(actor))
    if not actor.has(Scope.admin):
        stmt = stmt.where(col(Change.entity_type) != ChangeEntity.api_key.value)
    if filters.entity_type:
        stmt = stmt.where(col(Change.entity_type) == filters.entity_type)
    if filters.entity_id:
        stmt = stmt.where(col(Change.entity_id) == filters.entity_id)
    if filters.after is not None:
        stmt = stmt.where(col(Change.seq) > filters.after)
    pager = paginate(session, stmt, CHANGES, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.execute(pager.stmt)))
    entries = [_entry(row, actor) for row in rows]
    if next_cursor is not None:
        last = entries[-1].seq
    else:
        last = max(head, filters.after or 0, entries[-1].seq if entries else 0)
    return FeedRows(entries, next_cursor, last)


def ever_logged(session: Session, entity: ChangeEntity, entity_id: str) -> bool:
    """Whether the log has any row of the entity (one indexed probe)."""
    probe = select(col(Change.seq)).where(
        col(Change.entity_type) == entity.value, col(Change.entity_id) == entity_id
    )
    return session.execute(probe.limit(1)).first() is not None


# Enum values looked up once, not twice per row of a page.
_ANNOTATION_TYPE = ChangeEntity.annotation.value
_DELETE = ChangeOp.delete.value


def _entry(row: Any, actor: Actor) -> FeedEntry:
    (
        seq,
        at,
        key_id,
        origin,
        entity_type,
        entity_id,
        op,
        version,
        document,
        hidden,
        creator,
        gone,
    ) = row
    if at.tzinfo is None:  # SQLite hands back naive datetimes; everything is stored in UTC
        at = at.replace(tzinfo=UTC)
    change = {
        "seq": seq,
        "at": at,
        "key_id": key_id,
        "origin": origin,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "op": op,
        "version": version,
    }
    annotation = entity_type == _ANNOTATION_TYPE
    if annotation and not actor.curator:
        _as_seen(change, hidden, creator, actor)
    if change["op"] == _DELETE:
        tombstone = {"type": entity_type, "id": entity_id, "deleted_at": at, "version": version}
        return FeedEntry(change, None, tombstone)
    private = annotation and (hidden or gone)
    if private and not actor.curator and (creator is None or creator != actor.key_id):
        return FeedEntry(change, None, None)
    return FeedEntry(change, document, None)


_APPEARANCES = (ChangeOp.create.value, ChangeOp.hide.value, ChangeOp.unhide.value)


def _shown_to(actor: Actor) -> Any:
    """SQL: the rows a reader who is not a curator may see at all."""
    written_while_hidden = and_(_ANNOTATION, _HIDDEN_THEN, col(Change.op) != ChangeOp.hide.value)
    # Of an annotation hidden now, only that it appeared and went: no edits, no flags.
    hidden_now = and_(
        _ANNOTATION,
        func.coalesce(col(Annotation.hidden), false()),
        col(Change.op).not_in(_APPEARANCES),
    )
    concealed = or_(written_while_hidden, hidden_now)
    if actor.anonymous:
        return not_(concealed)
    return or_(not_(concealed), col(Annotation.creator_key_id) == actor.key_id)


def _as_seen(
    change: dict[str, Any], hidden: bool | None, creator: str | None, actor: Actor
) -> None:
    """Rewrite an annotation's row as a reader who is not a curator sees it (module doc)."""
    if change["op"] == ChangeOp.flag.value and change["key_id"] != actor.key_id:
        change["key_id"] = None
    if creator is not None and creator == actor.key_id:
        return
    if change["op"] == ChangeOp.hide.value:
        change["op"], change["key_id"] = ChangeOp.delete.value, None
    elif change["op"] == ChangeOp.unhide.value:
        change["op"], change["key_id"] = ChangeOp.create.value, None
    if hidden:
        change["key_id"] = None
