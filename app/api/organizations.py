"""Organisations: state bodies, companies, media and informal groups such as the Russian elite."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import OrganizationDep
from app.api.http import ETAG_HEADERS, conditional_json, page_response, present
from app.db import SessionDep
from app.models.common import OrganizationKind
from app.models.organization import OrganizationPublic, OrganizationSummary
from app.pagination import CursorQuery, LimitQuery, Page
from app.problems import problem_responses
from app.services import organizations as service

router = APIRouter(prefix="/v1/organizations", tags=["organizations"])


@router.get("", summary="List organisations", responses=problem_responses(400, 422))
def list_organizations(
    request: Request,
    response: Response,
    session: SessionDep,
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
) -> Page[OrganizationSummary]:
    """Organisations in id order with their name forms and member counts."""
    filters = present(q=q, kind=kind)
    items, next_cursor = service.list_organizations(
        session, filters=filters, cursor=cursor, limit=limit
    )
    return page_response(request, response, items, next_cursor)


@router.get(
    "/{organization_id}",
    summary="Get an organisation",
    response_model=OrganizationPublic,
    responses={
        200: {"headers": ETAG_HEADERS},
        304: {"description": "Not Modified"},
        **problem_responses(404, 422),
    },
)
def get_organization(
    request: Request, session: SessionDep, organization: OrganizationDep
) -> Response:
    """An organisation with its members and their roles. Example: `russian-elite`, the group
    the essay names Kudrin, Nabiullina, Gref, Mishustin and Sobyanin as examples of."""
    return conditional_json(request, service.get_organization(session, organization))
