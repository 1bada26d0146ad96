"""The change log: who changed what, when, as which version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import DbDep
from app.api.http import list_responses
from app.auth import CallerDep
from app.models.change import ChangeEntity, ChangePublic
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.catalog import changes as service
from app.services.catalog.changes import ChangeFilters

router = APIRouter(prefix="/v1/changes", tags=["changes"])


@router.get(
    "", summary="List changes", response_model=Page[ChangePublic], responses=list_responses(401)
)
async def list_changes(
    request: Request,
    db: DbDep,
    caller: CallerDep,
    entity_type: Annotated[
        ChangeEntity | None, Query(description="Only this kind of entity.")
    ] = None,
    entity_id: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only this entity (the audit trail of one record).",
            examples=["alexei-kudrin"],
        ),
    ] = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Every accepted write in order: sequence number, time, acting key, entity, operation
    and the entity's new version, as far as the reader may see it (hidden annotations and
    flags: see the annotation endpoints)."""
    filters = ChangeFilters(entity_type=entity_type, entity_id=entity_id)
    return await db.page(
        lambda session: service.list_changes(
            session, caller.actor, filters=filters, cursor=cursor, limit=limit
        ),
    )
