"""Annotations: analysts' notes, tags, assessments, questions, links and reply threads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from app.api.deps import AsOfQuery, DbDep, IfMatch
from app.api.http import IfMatchHeader, list_responses, single_responses, write_responses
from app.auth import Annotator, CallerDep, Curator
from app.models.annotation import (
    AnnotationCreate,
    AnnotationPublic,
    AnnotationUpdate,
    AnnotationVersionPublic,
    FlagIn,
    HideIn,
    Motivation,
    TargetType,
    Verdict,
)
from app.models.record import AnnotationRecord
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.annotations import reads as service
from app.services.annotations import writes
from app.services.annotations.reads import AnnotationFilters

router = APIRouter(prefix="/v1/annotations", tags=["annotations"])

AnnotationIdPath = Annotated[
    str,
    Path(max_length=40, description="Opaque annotation id.", examples=["ann_01m8e82t9rhp1w6s"]),
]
# Moderation should not lose a race to an edit, so hide and unhide take If-Match if given.
OptionalIfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="Optional: if given, the ETag of the version being moderated (412 if stale).",
    ),
]
PREFIX = "/v1/annotations"


@router.post(
    "",
    summary="Create an annotation",
    status_code=201,
    response_model=AnnotationPublic,
    responses=write_responses(201, 404, 409, 422),
)
async def create_annotation(db: DbDep, caller: Annotator, data: AnnotationCreate) -> Response:
    """Annotate a person, organisation, role, source (optionally a span of its text: the
    server fills in and checks the quote), claim, or another annotation (a reply). Needs the
    `annotate` scope; the creator is the key."""
    return await db.write_one(
        lambda session: writes.create_annotation(session, caller.actor, data), location=PREFIX
    )


@router.get(
    "",
    summary="List annotations",
    response_model=Page[AnnotationPublic],
    responses=list_responses(401),
)
async def list_annotations(
    request: Request,
    db: DbDep,
    caller: CallerDep,
    target_type: Annotated[TargetType | None, Query(description="With target_id.")] = None,
    target_id: Annotated[
        str | None,
        Query(
            max_length=100, description="Annotations on this resource.", examples=["alexei-kudrin"]
        ),
    ] = None,
    tag: Annotated[str | None, Query(max_length=64, examples=["loyalty"])] = None,
    motivation: Motivation | None = None,
    creator: Annotated[
        str | None, Query(max_length=40, description="Key id of the creator.")
    ] = None,
    verdict: Annotated[Verdict | None, Query(description="Assessments with this verdict.")] = None,
    thread: Annotated[
        str | None, Query(max_length=40, description="Every annotation in this thread.")
    ] = None,
    flagged: Annotated[bool | None, Query(description="Only annotations with flags.")] = None,
    include_deleted: Annotated[bool, Query(description="Include tombstones.")] = False,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Annotations you may see, oldest first. Hidden ones are listed only for curators and
    their creator; deleted ones (tombstones) only with `include_deleted=true`."""
    filters = AnnotationFilters(
        target_type=target_type,
        target_id=target_id,
        tag=tag,
        motivation=motivation,
        creator=creator,
        verdict=verdict,
        thread=thread,
        flagged=bool(flagged),
        include_deleted=include_deleted,
    )
    return await db.page(
        lambda session: service.list_annotations(
            session, caller.actor, filters=filters, cursor=cursor, limit=limit
        ),
    )


@router.get(
    "/{annotation_id}",
    summary="Get an annotation",
    response_model=AnnotationPublic | AnnotationRecord,
    responses=single_responses(401, 404, 410, 422),
)
async def get_annotation(
    request: Request,
    db: DbDep,
    caller: CallerDep,
    annotation_id: AnnotationIdPath,
    as_of: AsOfQuery = None,
) -> Response:
    """One annotation with its reply count; its ETag is what PATCH and DELETE need. With
    `as_of`, its stored record as of then (hidden or deleted ones only to their creator and
    curators, as now)."""
    return await db.one_as_of(
        as_of,
        lambda session: service.get_annotation(session, annotation_id, caller.actor),
        lambda session, point: service.annotation_as_of(
            session, annotation_id, caller.actor, point
        ),
    )


@router.patch(
    "/{annotation_id}",
    summary="Edit an annotation",
    response_model=AnnotationPublic,
    responses=write_responses(200, 403, 404, 409, 412, 422, 428),
)
async def update_annotation(
    db: DbDep,
    caller: Annotator,
    annotation_id: AnnotationIdPath,
    patch: AnnotationUpdate,
    if_match: IfMatch = None,
) -> Response:
    """Change the body, tags, assessment or links (the fields sent replace the old ones).
    Only the creator or a curator; `If-Match` is required (428 without, 412 if stale)."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.update_annotation(
            session, caller.actor, annotation_id, patch, if_match=precondition
        )
    )


@router.delete(
    "/{annotation_id}",
    summary="Delete an annotation",
    response_model=AnnotationPublic,
    responses=write_responses(200, 403, 404, 409, 412, 422, 428),
)
async def delete_annotation(
    db: DbDep, caller: Annotator, annotation_id: AnnotationIdPath, if_match: IfMatch = None
) -> Response:
    """Soft delete: the annotation becomes a tombstone (content removed, history and replies
    kept). Only the creator or a curator; `If-Match` is required."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.delete_annotation(
            session, caller.actor, annotation_id, if_match=precondition
        )
    )


@router.get(
    "/{annotation_id}/replies",
    summary="List replies",
    response_model=Page[AnnotationPublic],
    responses=list_responses(401, 404),
)
async def list_replies(
    request: Request,
    db: DbDep,
    caller: CallerDep,
    annotation_id: AnnotationIdPath,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Direct replies to an annotation, oldest first, tombstones included."""
    return await db.page(
        lambda session: service.list_replies(
            session, annotation_id, caller.actor, cursor=cursor, limit=limit
        ),
    )


@router.get(
    "/{annotation_id}/versions",
    summary="List an annotation's versions",
    response_model=Page[AnnotationVersionPublic],
    responses=list_responses(401, 404),
)
async def list_versions(
    request: Request,
    db: DbDep,
    caller: CallerDep,
    annotation_id: AnnotationIdPath,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Every accepted version, oldest first: content, who wrote it, when and how
    (create, update, delete, hide, unhide)."""
    return await db.page(
        lambda session: service.list_versions(
            session, annotation_id, caller.actor, cursor=cursor, limit=limit
        ),
    )


@router.post(
    "/{annotation_id}/flag",
    summary="Flag an annotation",
    response_model=AnnotationPublic,
    responses=write_responses(200, 404, 409, 422),
)
async def flag_annotation(
    db: DbDep, caller: Annotator, annotation_id: AnnotationIdPath, data: FlagIn
) -> Response:
    """Ask curators to review an annotation, with a reason; once per key."""
    return await db.write_one(
        lambda session: writes.flag_annotation(session, caller.actor, annotation_id, data.reason)
    )


@router.post(
    "/{annotation_id}/hide",
    summary="Hide an annotation",
    response_model=AnnotationPublic,
    responses=write_responses(200, 403, 404, 409, 412, 422),
)
async def hide_annotation(
    db: DbDep,
    caller: Curator,
    annotation_id: AnnotationIdPath,
    data: HideIn | None = None,
    if_match: OptionalIfMatch = None,
) -> Response:
    """Curators only: hide from everyone but curators and the creator."""
    reason = data.reason if data else None
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.set_hidden(
            session,
            caller.actor,
            annotation_id,
            hidden=True,
            reason=reason,
            if_match=precondition,
        )
    )


@router.post(
    "/{annotation_id}/unhide",
    summary="Unhide an annotation",
    response_model=AnnotationPublic,
    responses=write_responses(200, 403, 404, 409, 412, 422),
)
async def unhide_annotation(
    db: DbDep, caller: Curator, annotation_id: AnnotationIdPath, if_match: OptionalIfMatch = None
) -> Response:
    """Curators only: show a hidden annotation again."""
    precondition = IfMatchHeader(if_match)
    return await db.write_one(
        lambda session: writes.set_hidden(
            session,
            caller.actor,
            annotation_id,
            hidden=False,
            reason=None,
            if_match=precondition,
        )
    )
