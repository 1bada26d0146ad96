"""Persons: the named figures, their name forms, roles and the claims about them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.claims import ClaimListDep, scoped_claims_page
from app.api.deps import AsOfQuery, DbDep, IfMatch, PersonIdPath
from app.api.http import (
    CREATE_RESPONSES,
    DELETE_RESPONSES,
    UPDATE_RESPONSES,
    IfMatchHeader,
    list_responses,
    single_responses,
)
from app.api.versions import add_versions_route
from app.auth import CallerDep, Curator
from app.models.annotation import AnnotationPublic
from app.models.change import ChangeEntity
from app.models.claim import ClaimPublic
from app.models.common import SLUG_MAX, EntityType, RoleStatus
from app.models.person import PersonCreate, PersonPublic, PersonSummary, PersonUpdate
from app.models.record import PersonRecord
from app.models.role import RolePublic
from app.models.search import MentionPublic
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.annotations import reads as annotation_service
from app.services.catalog import mentions as mention_service
from app.services.catalog import persons as service
from app.services.catalog.claims import ClaimFilters
from app.services.catalog.persons import PersonFilters
from app.services.catalog.versions import stored_record
from app.services.curation import entity_writes as writes

router = APIRouter(prefix="/v1/persons", tags=["persons"])
PREFIX = "/v1/persons"


@router.get(
    "", summary="List persons", response_model=Page[PersonSummary], responses=list_responses()
)
async def list_persons(
    request: Request,
    db: DbDep,
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
) -> Response:
    """Persons in id order, with every name form; filter by name, organisation, role status."""
    filters = PersonFilters(q=q, organization=organization, role_status=role_status)
    return await db.page(
        lambda session: service.list_persons(session, filters=filters, cursor=cursor, limit=limit),
    )


@router.get(
    "/{person_id}",
    summary="Get a person",
    response_model=PersonPublic | PersonRecord,
    responses=single_responses(404, 410, 422),
)
async def get_person(
    request: Request, db: DbDep, person_id: PersonIdPath, as_of: AsOfQuery = None
) -> Response:
    """A person with name forms in every script, identifiers, roles (with the claim that
    states each) and claim counts by kind. Example: `alexei-kudrin`."""
    return await db.one_as_of(
        as_of,
        lambda session: service.get_person(session, person_id),
        stored_record(ChangeEntity.person, person_id),
    )


@router.get(
    "/{person_id}/roles",
    summary="List a person's roles",
    response_model=Page[RolePublic],
    responses=list_responses(404),
)
async def list_person_roles(
    request: Request,
    db: DbDep,
    person_id: PersonIdPath,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Positions and memberships, each with its status as the source describes it and the
    claim that states it: Kudrin's is "former finance minister"."""
    return await db.page(
        lambda session: service.list_roles_page(
            session, person_id=person_id, cursor=cursor, limit=limit
        ),
    )


@router.get(
    "/{person_id}/annotations",
    summary="List annotations about a person",
    response_model=Page[AnnotationPublic],
    responses=list_responses(401, 404),
)
async def list_person_annotations(
    request: Request,
    db: DbDep,
    caller: CallerDep,
    person_id: PersonIdPath,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Annotations on the person, on the claims about them and on their roles, oldest
    first (tombstones left out; hidden ones only for curators and their creator)."""
    return await db.page(
        lambda session: annotation_service.list_person_annotations(
            session, person_id, caller.actor, cursor=cursor, limit=limit
        ),
    )


@router.get(
    "/{person_id}/claims",
    summary="List claims about a person",
    response_model=Page[ClaimPublic],
    responses=list_responses(404),
)
async def list_person_claims(
    request: Request, db: DbDep, person_id: PersonIdPath, params: ClaimListDep
) -> Response:
    """Claims with this person among their subjects, in (source, offset) order."""
    return await scoped_claims_page(
        db,
        params,
        scope=ClaimFilters(subject=person_id),
        require=lambda session: service.require_person(session, person_id),
    )


@router.post(
    "",
    summary="Create a person",
    status_code=201,
    response_model=PersonPublic,
    responses=CREATE_RESPONSES,
)
async def create_person(db: DbDep, caller: Curator, data: PersonCreate) -> Response:
    """Curators: add a person with name forms and identifiers (an identifier names one record
    only: 409 if another has it; 409 too if the id is taken)."""
    return await db.write_one(
        lambda session: writes.create_person(session, caller.actor, data), location=PREFIX
    )


@router.patch(
    "/{person_id}",
    summary="Edit a person",
    response_model=PersonPublic,
    responses=UPDATE_RESPONSES,
)
async def update_person(
    db: DbDep,
    caller: Curator,
    person_id: PersonIdPath,
    patch: PersonUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Curators: change the name, description, name forms or identifiers (lists sent replace
    the old ones). `If-Match` is required (428 without, 412 if stale)."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.update_person(
            session, caller.actor, person_id, patch, if_match=precondition
        )
    )


@router.delete(
    "/{person_id}",
    summary="Delete a person",
    status_code=204,
    response_class=Response,
    responses=DELETE_RESPONSES,
)
async def delete_person(
    db: DbDep, caller: Curator, person_id: PersonIdPath, if_match: IfMatch = None
) -> Response:
    """Curators: delete a person and their name forms and identifiers; 409 listing the claims,
    roles, sources and annotations that still refer to them. `If-Match` is required."""
    precondition = IfMatchHeader(if_match)
    await db.write(
        lambda session: writes.delete_person(
            session, caller.actor, person_id, if_match=precondition
        )
    )
    return Response(status_code=204)


@router.get(
    "/{person_id}/mentions",
    summary="List where a person is mentioned",
    response_model=Page[MentionPublic],
    responses=list_responses(404),
)
async def list_person_mentions(
    request: Request,
    db: DbDep,
    person_id: PersonIdPath,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Every place a source names this person, by source then offset, with the words as
    written there and the claims that cover each mention."""
    return await db.page(
        lambda session: mention_service.list_entity_mentions(
            session, EntityType.person, person_id, cursor=cursor, limit=limit
        ),
    )


add_versions_route(router, ChangeEntity.person, "person_id", SLUG_MAX, "alexei-kudrin")
