"""Reading the change log: the audit trail of one entity, or of a type of entity."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.models.change import Change, ChangePublic
from app.pagination import Keyset, paginate

CHANGES = Keyset("changes", (col(Change.seq),), (int,), lambda c: (c.seq,))


def list_changes(
    session: Session, *, filters: dict[str, Any], cursor: str | None, limit: int | None
) -> tuple[list[ChangePublic], str | None]:
    stmt = select(Change)
    if filters.get("entity_type"):
        stmt = stmt.where(col(Change.entity_type) == filters["entity_type"])
    if filters.get("entity_id"):
        stmt = stmt.where(col(Change.entity_id) == filters["entity_id"])
    pager = paginate(stmt, CHANGES, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return [ChangePublic.model_validate(r, from_attributes=True) for r in rows], next_cursor
