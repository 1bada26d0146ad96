"""Persons: the named figures, their name forms, roles and the claims about them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.claims import KindQuery, ModalityQuery, StanceQuery
from app.api.deps import PersonDep
from app.api.http import ETAG_HEADERS, conditional_json, page_response, present
from app.db import SessionDep
from app.models.claim import ClaimPublic
from app.models.common import SLUG_MAX, RoleStatus
from app.models.person import PersonPublic, PersonSummary
from app.models.role import RolePublic
from app.pagination import CursorQuery, LimitQuery, Page
from app.problems import problem_responses
from app.services import claims as claim_service
from app.services import persons as service

router = APIRouter(prefix="/v1/persons", tags=["persons"])


@router.get("", summary="List persons", responses=problem_responses(400, 422))
def list_persons(
    request: Request,
    response: Response,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Substring of any name form, any script, case- and accent-"
            "insensitive: `Набиуллина`, `gref`, `Sobianin`.",
            examples=["Набиуллина"],
        ),
    ] = None,
    organization: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX,
            description="Only persons with a role in this organisation.",
            examples=["russian-elite"],
        ),
    ] = None,
    role_status: Annotated[
        RoleStatus | None,
        Query(
            description="Only persons holding a role with this status (with `organization`: "
            "a role in that organisation)."
        ),
    ] = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[PersonSummary]:
    """Persons in id order, with every name form; filter by name, organisation, role status."""
    filters = present(q=q, organization=organization, role_status=role_status)
    items, next_cursor = service.list_persons(session, filters=filters, cursor=cursor, limit=limit)
    return page_response(request, response, items, next_cursor)


@router.get(
    "/{person_id}",
    summary="Get a person",
    response_model=PersonPublic,
    responses={
        200: {"headers": ETAG_HEADERS},
        304: {"description": "Not Modified"},
        **problem_responses(404, 422),
    },
)
def get_person(request: Request, session: SessionDep, person: PersonDep) -> Response:
    """A person with name forms in every script, identifiers, roles (with the claim that
    states each) and claim counts by kind. Example: `alexei-kudrin`."""
    return conditional_json(request, service.get_person(session, person))


@router.get(
    "/{person_id}/roles",
    summary="List a person's roles",
    responses=problem_responses(400, 404, 422),
)
def list_person_roles(
    request: Request,
    response: Response,
    session: SessionDep,
    person: PersonDep,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[RolePublic]:
    """Positions and memberships, each with its status as the source describes it and the
    claim that states it: Kudrin's is "former finance minister"."""
    items, next_cursor = service.list_roles_page(
        session, person_id=person.id, cursor=cursor, limit=limit
    )
    return page_response(request, response, items, next_cursor)


@router.get(
    "/{person_id}/claims",
    summary="List claims about a person",
    responses=problem_responses(400, 404, 422),
)
def list_person_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    person: PersonDep,
    kind: KindQuery = None,
    modality: ModalityQuery = None,
    stance: StanceQuery = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[ClaimPublic]:
    """Claims with this person among their subjects, in (source, offset) order."""
    filters = present(subject=person.id, kind=kind, modality=modality, stance=stance)
    items, next_cursor = claim_service.list_claims(
        session, filters=filters, cursor=cursor, limit=limit
    )
    return page_response(request, response, items, next_cursor)
