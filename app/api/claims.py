"""Claims: what sources say about persons and organisations, with their exact words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.http import ETAG_HEADERS, conditional_json, page_response, present
from app.db import SessionDep
from app.models.claim import ClaimPublic
from app.models.common import SLUG_MAX, ClaimKind, Modality, Stance
from app.pagination import CursorQuery, LimitQuery, Page
from app.problems import problem_responses
from app.services import claims as service

router = APIRouter(prefix="/v1/claims", tags=["claims"])

KindQuery = Annotated[ClaimKind | None, Query(description="Only claims of this kind.")]
ModalityQuery = Annotated[
    Modality | None, Query(description="Only claims with this modality (e.g. hedged).")
]
StanceQuery = Annotated[Stance | None, Query(description="Only claims with this author stance.")]


@router.get(
    "",
    summary="List claims",
    responses=problem_responses(400, 422),
)
def list_claims(
    request: Request,
    response: Response,
    session: SessionDep,
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
) -> Page[ClaimPublic]:
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
    items, next_cursor = service.list_claims(session, filters=filters, cursor=cursor, limit=limit)
    return page_response(request, response, items, next_cursor)


@router.get(
    "/{claim_id}",
    summary="Get a claim",
    response_model=ClaimPublic,
    responses={
        200: {"headers": ETAG_HEADERS},
        304: {"description": "Not Modified"},
        **problem_responses(404, 422),
    },
)
def get_claim(
    request: Request,
    session: SessionDep,
    claim_id: Annotated[str, Path(max_length=40, examples=["clm_b2okhvymxr"])],
) -> Response:
    """One claim with its quote, offsets, context, subjects, attribution, kind, modality,
    hedge and stance."""
    return conditional_json(request, service.get_claim(session, claim_id))
