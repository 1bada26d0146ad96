"""Sources: documents, their canonical text (as rights allow) and the claims anchored in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.claims import KindQuery, ModalityQuery, StanceQuery
from app.api.deps import SourceDep
from app.api.http import ETAG_HEADERS, conditional_json, page_response, present
from app.db import SessionDep
from app.models.claim import ClaimPublic
from app.models.common import SLUG_MAX
from app.models.source import SourcePublic, SourceSummary, SourceTextSlice
from app.pagination import CursorQuery, LimitQuery, Page
from app.problems import problem_responses
from app.services import claims as claim_service
from app.services import sources as service

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.get("", summary="List sources", responses=problem_responses(400, 422))
def list_sources(
    request: Request,
    response: Response,
    session: SessionDep,
    language: Annotated[str | None, Query(max_length=16, examples=["en"])] = None,
    genre: Annotated[str | None, Query(max_length=40, examples=["opinion"])] = None,
    author: Annotated[
        str | None,
        Query(max_length=SLUG_MAX, description="Author person id.", examples=["boris-bondarev"]),
    ] = None,
    publisher: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX,
            description="Publisher organisation id.",
            examples=["the-moscow-times"],
        ),
    ] = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[SourceSummary]:
    """Source metadata in id order (no text; fetch one source or its /text for that)."""
    filters = present(language=language, genre=genre, author=author, publisher=publisher)
    items, next_cursor = service.list_sources(session, filters=filters, cursor=cursor, limit=limit)
    return page_response(request, response, items, next_cursor)


@router.get(
    "/{source_id}",
    summary="Get a source",
    response_model=SourcePublic,
    responses={
        200: {"headers": ETAG_HEADERS},
        304: {"description": "Not Modified"},
        **problem_responses(404, 422),
    },
)
def get_source(request: Request, session: SessionDep, source: SourceDep) -> Response:
    """Metadata, how the stored text was derived from the original, its SHA-256, and the text
    itself when the source's rights are `full_text`."""
    return conditional_json(request, service.get_source(session, source))


@router.get(
    "/{source_id}/text",
    summary="Get a slice of a source's text",
    response_model=SourceTextSlice,
    responses={
        200: {"headers": ETAG_HEADERS},
        304: {"description": "Not Modified"},
        **problem_responses(403, 404, 422),
    },
)
def get_source_text(
    request: Request,
    source: SourceDep,
    start: Annotated[
        int | None,
        Query(ge=0, description="First code point, inclusive (default 0).", examples=[0]),
    ] = None,
    end: Annotated[
        int | None,
        Query(ge=0, description="Last code point, exclusive (default: the end).", examples=[200]),
    ] = None,
) -> Response:
    """`text[start:end]` in Unicode code points, half-open, so a claim's quote can be checked
    against its offsets. `excerpts` sources serve short slices only; `metadata_only` none."""
    return conditional_json(request, service.text_slice(source, start, end))


@router.get(
    "/{source_id}/claims",
    summary="List a source's claims",
    responses=problem_responses(400, 404, 422),
)
def list_source_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    source: SourceDep,
    kind: KindQuery = None,
    modality: ModalityQuery = None,
    stance: StanceQuery = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Page[ClaimPublic]:
    """Claims anchored in this source, in order of their start offset."""
    filters = present(source=source.id, kind=kind, modality=modality, stance=stance)
    items, next_cursor = claim_service.list_claims(
        session, filters=filters, cursor=cursor, limit=limit
    )
    return page_response(request, response, items, next_cursor)
