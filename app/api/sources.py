"""Sources: documents, their canonical text (as rights allow) and the claims anchored in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.claims import ClaimListDep, scoped_claims_page
from app.api.deps import AsOfQuery, DbDep, IfMatch, SourceIdPath
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
from app.models.claim import ClaimPublic
from app.models.common import SLUG_MAX
from app.models.record import SourceRecord
from app.models.search import MentionPublic
from app.models.source import (
    SourceCreate,
    SourcePublic,
    SourceSummary,
    SourceTextSlice,
    SourceUpdate,
)
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.catalog import mentions as mention_service
from app.services.catalog import sources as service
from app.services.catalog.claims import ClaimFilters
from app.services.catalog.mentions import MentionFilters
from app.services.catalog.sources import SourceFilters
from app.services.catalog.versions import stored_record
from app.services.curation import source_writes as writes

router = APIRouter(prefix="/v1/sources", tags=["sources"])
PREFIX = "/v1/sources"


@router.get(
    "", summary="List sources", response_model=Page[SourceSummary], responses=list_responses()
)
async def list_sources(
    request: Request,
    db: DbDep,
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
) -> Response:
    """Source metadata in id order (no text; fetch one source or its /text for that)."""
    filters = SourceFilters(language=language, genre=genre, author=author, publisher=publisher)
    return await db.page(
        lambda session: service.list_sources(session, filters=filters, cursor=cursor, limit=limit),
    )


@router.get(
    "/{source_id}",
    summary="Get a source",
    response_model=SourcePublic | SourceRecord,
    responses=single_responses(404, 410, 422),
)
async def get_source(
    request: Request, db: DbDep, source_id: SourceIdPath, as_of: AsOfQuery = None
) -> Response:
    """Metadata, how the stored text was derived from the original, its SHA-256, and the text
    itself when the source's rights are `full_text`."""
    return await db.one_as_of(
        as_of,
        lambda session: service.get_source(session, source_id),
        stored_record(ChangeEntity.source, source_id),
    )


@router.get(
    "/{source_id}/text",
    summary="Get a slice of a source's text",
    response_model=SourceTextSlice,
    responses=single_responses(403, 404, 422),
)
async def get_source_text(
    request: Request,
    db: DbDep,
    source_id: SourceIdPath,
    start: Annotated[
        int | None,
        Query(ge=0, description="First code point, inclusive (default 0).", examples=[1355]),
    ] = None,
    end: Annotated[
        int | None,
        Query(ge=0, description="Last code point, exclusive (default: the end).", examples=[1430]),
    ] = None,
) -> Response:
    """`text[start:end]` in Unicode code points, half-open, so a claim's quote can be checked
    against its offsets. `excerpts` sources serve short slices only; `metadata_only` none."""
    return await db.one(lambda session: service.text_slice(session, source_id, start, end))


@router.get(
    "/{source_id}/claims",
    summary="List a source's claims",
    response_model=Page[ClaimPublic],
    responses=list_responses(404),
)
async def list_source_claims(
    request: Request, db: DbDep, source_id: SourceIdPath, params: ClaimListDep
) -> Response:
    """Claims anchored in this source, in order of their start offset."""
    return await scoped_claims_page(
        db,
        params,
        scope=ClaimFilters(source=source_id),
        require=lambda session: service.require_source(session, source_id),
    )


@router.post(
    "",
    summary="Create a source",
    status_code=201,
    response_model=SourcePublic,
    responses=CREATE_RESPONSES,
)
async def create_source(db: DbDep, caller: Curator, data: SourceCreate) -> Response:
    """Curators: add a document with its canonical text (stored as sent; its SHA-256 and
    length in code points are computed). Publisher and authors must exist (422)."""
    return await db.write_one(
        lambda session: writes.create_source(session, caller.actor, data), location=PREFIX
    )


@router.patch(
    "/{source_id}",
    summary="Edit a source",
    response_model=SourcePublic,
    responses=UPDATE_RESPONSES,
)
async def update_source(
    db: DbDep,
    caller: Curator,
    source_id: SourceIdPath,
    patch: SourceUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Curators: change metadata, or the text: a new text is refused (409, listing them)
    while any claim's quote would no longer match it at its offsets. `If-Match` is required."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.update_source(
            session, caller.actor, source_id, patch, if_match=precondition
        )
    )


@router.delete(
    "/{source_id}",
    summary="Delete a source",
    status_code=204,
    response_class=Response,
    responses=DELETE_RESPONSES,
)
async def delete_source(
    db: DbDep, caller: Curator, source_id: SourceIdPath, if_match: IfMatch = None
) -> Response:
    """Curators: delete a source with no claims or annotations left (409 lists them).
    `If-Match` is required."""
    precondition = IfMatchHeader(if_match)
    await db.write(
        lambda session: writes.delete_source(
            session, caller.actor, source_id, if_match=precondition
        )
    )
    return Response(status_code=204)


@router.get(
    "/{source_id}/mentions",
    summary="List a source's mentions",
    response_model=Page[MentionPublic],
    responses=list_responses(404),
)
async def list_source_mentions(
    request: Request,
    db: DbDep,
    source_id: SourceIdPath,
    person: Annotated[
        str | None,
        Query(max_length=SLUG_MAX, description="Only this person.", examples=["alexei-kudrin"]),
    ] = None,
    organization: Annotated[
        str | None,
        Query(max_length=SLUG_MAX, description="Only this organisation.", examples=["sberbank"]),
    ] = None,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Where this source names known persons and organisations (any spelling, any Russian
    case, initials, a known surname alone), in text order, with the claims that cover each."""
    filters = MentionFilters(person=person, organization=organization)
    return await db.page(
        lambda session: mention_service.list_source_mentions(
            session, source_id, filters=filters, cursor=cursor, limit=limit
        ),
    )


add_versions_route(
    router, ChangeEntity.source, "source_id", SLUG_MAX, "bondarev-2023-west-must-drive-a-wedge"
)
