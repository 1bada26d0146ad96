"""Roles: a person's position in, or membership of, an organisation, as a resource of its own
(read one, and curate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.deps import AsOfQuery, DbDep, IfMatch
from app.api.http import (
    CREATE_RESPONSES,
    DELETE_RESPONSES,
    UPDATE_RESPONSES,
    IfMatchHeader,
    list_responses,
    single_responses,
)
from app.api.versions import add_versions_route
from app.auth import Curator
from app.models.change import ChangeEntity
from app.models.common import SLUG_MAX, RoleKind, RoleStatus
from app.models.record import RoleRecord
from app.models.role import RoleCreate, RolePublic, RoleUpdate
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.catalog import roles as service
from app.services.catalog.roles import RoleFilters
from app.services.catalog.versions import stored_record
from app.services.curation import role_writes as writes

router = APIRouter(prefix="/v1/roles", tags=["roles"])
PREFIX = "/v1/roles"

RoleIdPath = Annotated[
    str, Path(max_length=40, description="Opaque role id.", examples=["rol_lmqsafklax"])
]


@router.get("", summary="List roles", response_model=Page[RolePublic], responses=list_responses())
async def list_roles(
    request: Request,
    db: DbDep,
    person: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX, description="Roles of this person.", examples=["elvira-nabiullina"]
        ),
    ] = None,
    organization: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX,
            description="Roles in this organisation.",
            examples=["russian-elite"],
        ),
    ] = None,
    kind: Annotated[RoleKind | None, Query(description="position or membership.")] = None,
    status: Annotated[RoleStatus | None, Query(description="As the source describes it.")] = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Positions and memberships in id order: who holds which role where, with the claim
    that states it. Example: `organization=russian-elite` lists the elite's members."""
    filters = RoleFilters(person=person, organization=organization, kind=kind, status=status)
    return await db.page(
        lambda session: service.list_roles(session, filters=filters, cursor=cursor, limit=limit),
    )


@router.get(
    "/{role_id}",
    summary="Get a role",
    response_model=RolePublic | RoleRecord,
    responses=single_responses(404, 410, 422),
)
async def get_role(
    request: Request, db: DbDep, role_id: RoleIdPath, as_of: AsOfQuery = None
) -> Response:
    """One role with its person, organisation, status and the claim that states it; its
    ETag is what PATCH and DELETE need."""
    return await db.one_as_of(
        as_of,
        lambda session: service.get_role(session, role_id),
        stored_record(ChangeEntity.role, role_id),
    )


@router.post(
    "",
    summary="Create a role",
    status_code=201,
    response_model=RolePublic,
    responses=CREATE_RESPONSES,
)
async def create_role(db: DbDep, caller: Curator, data: RoleCreate) -> Response:
    """Curators: add a position or membership. The person, organisation and claim must exist
    (422 naming which does not); the end date may not come before the start."""
    return await db.write_one(
        lambda session: writes.create_role(session, caller.actor, data), location=PREFIX
    )


@router.patch(
    "/{role_id}",
    summary="Edit a role",
    response_model=RolePublic,
    responses=UPDATE_RESPONSES,
)
async def update_role(
    db: DbDep, caller: Curator, role_id: RoleIdPath, patch: RoleUpdate, if_match: IfMatch = None
) -> Response:
    """Curators: change any field (the fields sent replace the old ones). `If-Match` is
    required (428 without, 412 if stale)."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.update_role(
            session, caller.actor, role_id, patch, if_match=precondition
        )
    )


@router.delete(
    "/{role_id}",
    summary="Delete a role",
    status_code=204,
    response_class=Response,
    responses=DELETE_RESPONSES,
)
async def delete_role(
    db: DbDep, caller: Curator, role_id: RoleIdPath, if_match: IfMatch = None
) -> Response:
    """Curators: delete a role; 409 while annotations on it remain. `If-Match` is required."""
    precondition = IfMatchHeader(if_match)
    await db.write(
        lambda session: writes.delete_role(session, caller.actor, role_id, if_match=precondition)
    )
    return Response(status_code=204)


add_versions_route(router, ChangeEntity.role, "role_id", 40, "rol_lmqsafklax")
