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
- flags are moderation data: a flag row names its key only to curators and to that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, select
from sqlmodel import Session, col

from app.auth import Actor
from app.models import Annotation, AnnotationVersion
from app.models.change import Change, ChangeEntity, ChangeOp, ChangePublic
from app.pagination import Filters, Keyset, paginate
from app.services.catalog.loaders import AnySelect

CHANGES = Keyset("changes", (col(Change.seq),), lambda row: (row[0].seq,))

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


def list_changes(
    session: Session,
    actor: Actor,
    *,
    filters: ChangeFilters,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[ChangePublic], str | None]:
    stmt: AnySelect = select(Change, col(Annotation.hidden), col(Annotation.creator_key_id))
    stmt = stmt.outerjoin(Annotation, _JOIN_ANNOTATION)
    if not actor.curator:
        stmt = stmt.outerjoin(AnnotationVersion, _JOIN_VERSION).where(_shown_to(actor))
    if filters.entity_type:
        stmt = stmt.where(col(Change.entity_type) == filters.entity_type)
    if filters.entity_id:
        stmt = stmt.where(col(Change.entity_id) == filters.entity_id)
    pager = paginate(session, stmt, CHANGES, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.execute(pager.stmt)))
    return [_public(change, hidden, creator, actor) for change, hidden, creator in rows], (
        next_cursor
    )


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


def _public(change: Change, hidden: bool | None, creator: str | None, actor: Actor) -> ChangePublic:
    public = ChangePublic.model_validate(change, from_attributes=True)
    if change.entity_type != ChangeEntity.annotation.value or actor.curator:
        return public
    if change.op == ChangeOp.flag.value and change.key_id != actor.key_id:
        public.key_id = None
    if creator is not None and creator == actor.key_id:
        return public
    if change.op == ChangeOp.hide.value:
        public.op, public.key_id = ChangeOp.delete, None
    elif change.op == ChangeOp.unhide.value:
        public.op, public.key_id = ChangeOp.create, None
    if hidden:
        public.key_id = None
    return public
