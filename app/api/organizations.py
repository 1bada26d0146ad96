"""Organisations: state bodies, companies, media and informal groups such as the Russian elite."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import DbDep, OrganizationIdPath
from app.api.http import list_responses, present, single_responses
from app.models.common import OrganizationKind
from app.models.organization import OrganizationPublic, OrganizationSummary
from app.pagination import CursorQuery, LimitQuery, Page
from app.services import organizations as service

router = APIRouter(prefix="/v1/organizations", tags=["organizations"])


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
    filters = present(q=q, kind=kind)
    return await db.page(
        request,
        lambda session: service.list_organizations(
            session, filters=filters, cursor=cursor, limit=limit
        ),
    )


@router.get(
    "/{organization_id}",
    summary="Get an organisation",
    response_model=OrganizationPublic,
    responses=single_responses(404, 422),
)
async def get_organization(
    request: Request, db: DbDep, organization_id: OrganizationIdPath
) -> Response:
    """An organisation with its members and their roles. Example: `russian-elite`, the group
    the essay names Kudrin, Nabiullina, Gref, Mishustin and Sobyanin as examples of."""
    return await db.one(request, lambda session: service.get_organization(session, organization_id))
