"""Organisations: state bodies, companies, media and informal groups such as the Russian elite."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import AsOfQuery, DbDep, IfMatch, OrganizationIdPath
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
from app.models.common import SLUG_MAX, EntityType, OrganizationKind
from app.models.organization import (
    OrganizationCreate,
    OrganizationPublic,
    OrganizationSummary,
    OrganizationUpdate,
)
from app.models.record import OrganizationRecord
from app.models.search import MentionPublic
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.catalog import mentions as mention_service
from app.services.catalog import organizations as service
from app.services.catalog.organizations import OrganizationFilters
from app.services.catalog.versions import stored_record
from app.services.curation import entity_writes as writes

router = APIRouter(prefix="/v1/organizations", tags=["organizations"])
PREFIX = "/v1/organizations"


@router.get(
    "",
    summary="List organisations",
    response_model=Page[OrganizationSummary],
    responses=list_responses(),
)
async def list_organizations(
    request: Request,
    db: DbDep,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Substring of any name form.",
            examples=["Сбербанк"],
        ),
    ] = None,
    kind: Annotated[OrganizationKind | None, Query(description="Only this kind.")] = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Organisations in id order with their name forms and member counts."""
    filters = OrganizationFilters(q=q, kind=kind)
    return await db.page(
        lambda session: service.list_organizations(
            session, filters=filters, cursor=cursor, limit=limit
        ),
    )


@router.get(
    "/{organization_id}",
    summary="Get an organisation",
    response_model=OrganizationPublic | OrganizationRecord,
    responses=single_responses(404, 410, 422),
)
async def get_organization(
    request: Request, db: DbDep, organization_id: OrganizationIdPath, as_of: AsOfQuery = None
) -> Response:
    """An organisation with its members and their roles. Example: `russian-elite`, the group
    the essay names Kudrin, Nabiullina, Gref, Mishustin and Sobyanin as examples of."""
    return await db.one_as_of(
        as_of,
        lambda session: service.get_organization(session, organization_id),
        stored_record(ChangeEntity.organization, organization_id),
    )


@router.post(
    "",
    summary="Create an organisation",
    status_code=201,
    response_model=OrganizationPublic,
    responses=CREATE_RESPONSES,
)
async def create_organization(db: DbDep, caller: Curator, data: OrganizationCreate) -> Response:
    """Curators: add an organisation with name forms and identifiers (409 if the id or an
    identifier is taken)."""
    return await db.write_one(
        lambda session: writes.create_organization(session, caller.actor, data), location=PREFIX
    )


@router.patch(
    "/{organization_id}",
    summary="Edit an organisation",
    response_model=OrganizationPublic,
    responses=UPDATE_RESPONSES,
)
async def update_organization(
    db: DbDep,
    caller: Curator,
    organization_id: OrganizationIdPath,
    patch: OrganizationUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Curators: change the name, kind, description, name forms or identifiers (lists sent
    replace the old ones). `If-Match` is required (428 without, 412 if stale)."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.update_organization(
            session, caller.actor, organization_id, patch, if_match=precondition
        )
    )


@router.delete(
    "/{organization_id}",
    summary="Delete an organisation",
    status_code=204,
    response_class=Response,
    responses=DELETE_RESPONSES,
)
async def delete_organization(
    db: DbDep, caller: Curator, organization_id: OrganizationIdPath, if_match: IfMatch = None
) -> Response:
    """Curators: delete an organisation and its name forms and identifiers; 409 listing the
    roles, claims, sources and annotations that still refer to it. `If-Match` is required."""
    precondition = IfMatchHeader(if_match)
    await db.write(
        lambda session: writes.delete_organization(
            session, caller.actor, organization_id, if_match=precondition
        )
    )
    return Response(status_code=204)


@router.get(
    "/{organization_id}/mentions",
    summary="List where a organisation is mentioned",
    response_model=Page[MentionPublic],
    responses=list_responses(404),
)
async def list_organization_mentions(
    request: Request,
    db: DbDep,
    organization_id: OrganizationIdPath,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Every place a source names this organisation, by source then offset, with the words as
    written there and the claims that cover each mention."""
    return await db.page(
        lambda session: mention_service.list_entity_mentions(
            session, EntityType.organization, organization_id, cursor=cursor, limit=limit
        ),
    )


add_versions_route(
    router, ChangeEntity.organization, "organization_id", SLUG_MAX, "central-bank-of-russia"
)
