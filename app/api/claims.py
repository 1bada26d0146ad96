"""Claims: what sources say about persons and organisations, with their exact words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from app.api.deps import ClaimIdPath, DbDep
from app.api.http import list_responses, present, single_responses
from app.models.claim import ClaimPublic
from app.models.common import SLUG_MAX, ClaimKind, Modality, Stance
from app.pagination import CursorQuery, LimitQuery, Page
from app.services import claims as service

router = APIRouter(prefix="/v1/claims", tags=["claims"])

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
    request: Request,
    db: DbDep,
    params: ClaimListParams,
    *,
    scope: dict[str, str],
    require: Callable[[Session, str], object],
) -> Response:
    """A page of claims within one person or source (`scope`), 404 if that does not exist."""
    filters = present(**scope, kind=params.kind, modality=params.modality, stance=params.stance)

    def work(session: Session) -> tuple[list[ClaimPublic], str | None]:
        require(session, next(iter(scope.values())))
        return service.list_claims(
            session, filters=filters, cursor=params.cursor, limit=params.limit
        )

    return await db.page(request, work)


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
    filters = present(
        subject=subject,
        source=source,
        kind=kind,
        modality=modality,
        stance=stance,
        attributed_to=attributed_to,
    )
    return await db.page(
        request,
        lambda session: service.list_claims(session, filters=filters, cursor=cursor, limit=limit),
    )


@router.get(
    "/{claim_id}",
    summary="Get a claim",
    response_model=ClaimPublic,
    responses=single_responses(404, 422),
)
async def get_claim(request: Request, db: DbDep, claim_id: ClaimIdPath) -> Response:
    """One claim with its quote, offsets, context, subjects, attribution, kind, modality,
    hedge and stance."""
    return await db.one(request, lambda session: service.get_claim(session, claim_id))
