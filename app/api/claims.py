"""Claims: what sources say about persons and organisations, with their exact words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from app.api.deps import AsOfQuery, ClaimIdPath, DbDep, IfMatch
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
from app.models.claim import ClaimCreate, ClaimPublic, ClaimUpdate
from app.models.common import SLUG_MAX, ClaimKind, Modality, Stance
from app.models.record import ClaimRecord
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.catalog import claims as service
from app.services.catalog.claims import ClaimFilters
from app.services.catalog.versions import stored_record
from app.services.curation import claim_writes as writes

router = APIRouter(prefix="/v1/claims", tags=["claims"])
PREFIX = "/v1/claims"

KindQuery = Annotated[ClaimKind | None, Query(description="Only claims of this kind.")]
ModalityQuery = Annotated[
    Modality | None, Query(description="Only claims with this modality (e.g. hedged).")
]
StanceQuery = Annotated[Stance | None, Query(description="Only claims with this author stance.")]


@dataclass(frozen=True)
class ClaimListParams:
    """The filters and paging that every claim list shares."""

    kind: ClaimKind | None
    modality: Modality | None
    stance: Stance | None
    limit: int | None
    cursor: str | None


async def claim_list_params(
    kind: KindQuery = None,
    modality: ModalityQuery = None,
    stance: StanceQuery = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> ClaimListParams:
    return ClaimListParams(kind, modality, stance, limit, cursor)


ClaimListDep = Annotated[ClaimListParams, Depends(claim_list_params)]


async def scoped_claims_page(
    db: DbDep,
    params: ClaimListParams,
    *,
    scope: ClaimFilters,
    require: Callable[[Session], object],
) -> Response:
    """A page of the claims in `scope` (one person's or one source's), 404 (from `require`)
    if that person or source does not exist."""
    filters = replace(scope, kind=params.kind, modality=params.modality, stance=params.stance)

    def work(session: Session) -> tuple[list[ClaimPublic], str | None]:
        require(session)
        return service.list_claims(
            session, filters=filters, cursor=params.cursor, limit=params.limit
        )

    return await db.page(work)


@router.get("", summary="List claims", response_model=Page[ClaimPublic], responses=list_responses())
async def list_claims(
    request: Request,
    db: DbDep,
    subject: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX,
            description="Person or organisation id among the subjects.",
            examples=["german-gref"],
        ),
    ] = None,
    source: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX,
            description="Source id.",
            examples=["bondarev-2023-west-must-drive-a-wedge"],
        ),
    ] = None,
    kind: KindQuery = None,
    modality: ModalityQuery = None,
    stance: StanceQuery = None,
    attributed_to: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX,
            description="Id of the person or organisation whose claim it is.",
            examples=["boris-bondarev"],
        ),
    ] = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Claims in (source, start offset) order, filtered by subject, source, kind, modality,
    stance or attribution. Example: `?subject=alexei-kudrin&modality=hedged` gives the two
    beliefs the essay says Kudrin "almost certainly" holds."""
    filters = ClaimFilters(
        subject=subject,
        source=source,
        kind=kind,
        modality=modality,
        stance=stance,
        attributed_to=attributed_to,
    )
    return await db.page(
        lambda session: service.list_claims(session, filters=filters, cursor=cursor, limit=limit),
    )


@router.get(
    "/{claim_id}",
    summary="Get a claim",
    response_model=ClaimPublic | ClaimRecord,
    responses=single_responses(404, 410, 422),
)
async def get_claim(
    request: Request, db: DbDep, claim_id: ClaimIdPath, as_of: AsOfQuery = None
) -> Response:
    """One claim with its quote, offsets, context, subjects, attribution, kind, modality,
    hedge and stance."""
    return await db.one_as_of(
        as_of,
        lambda session: service.get_claim(session, claim_id),
        stored_record(ChangeEntity.claim, claim_id),
    )


@router.post(
    "",
    summary="Create a claim",
    status_code=201,
    response_model=ClaimPublic,
    responses=CREATE_RESPONSES,
)
async def create_claim(db: DbDep, caller: Curator, data: ClaimCreate) -> Response:
    """Curators: add a claim anchored to its exact words. Give `start`/`end` (verified:
    422 naming the expected and actual text if they differ) or let the server find the quote
    (`occurrence` picks one of several). The hedge must occur in the quote."""
    return await db.write_one(
        lambda session: writes.create_claim(session, caller.actor, data), location=PREFIX
    )


@router.patch(
    "/{claim_id}",
    summary="Edit a claim",
    response_model=ClaimPublic,
    responses=UPDATE_RESPONSES,
)
async def update_claim(
    db: DbDep, caller: Curator, claim_id: ClaimIdPath, patch: ClaimUpdate, if_match: IfMatch = None
) -> Response:
    """Curators: change any field; sending the quote, offsets, occurrence or source anchors
    the claim again. `If-Match` is required (428 without, 412 if stale)."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.update_claim(
            session, caller.actor, claim_id, patch, if_match=precondition
        )
    )


@router.delete(
    "/{claim_id}",
    summary="Delete a claim",
    status_code=204,
    response_class=Response,
    responses=DELETE_RESPONSES,
)
async def delete_claim(
    db: DbDep, caller: Curator, claim_id: ClaimIdPath, if_match: IfMatch = None
) -> Response:
    """Curators: delete a claim and its subject links; 409 listing the roles (provenance)
    and annotations that still refer to it. `If-Match` is required."""
    precondition = IfMatchHeader(if_match)
    await db.write(
        lambda session: writes.delete_claim(session, caller.actor, claim_id, if_match=precondition)
    )
    return Response(status_code=204)


add_versions_route(router, ChangeEntity.claim, "claim_id", 40, "clm_b2okhvymxr")
