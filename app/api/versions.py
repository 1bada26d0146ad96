"""`GET /v1/{persons|organizations|roles|sources|claims}/{id}/versions`: every stored version
of one curated record, oldest first, as the change feed carries them (sequence, time, acting
key, operation, version and the record after it; a tombstone for the delete)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import Session

from app.api.changes import FEED_LINK_HEADERS, feed_response
from app.api.deps import DbDep
from app.api.http import list_responses
from app.auth import CallerDep
from app.models.change import ChangeEntity, FeedPage
from app.pagination import CursorQuery
from app.problems import NotFound
from app.services.catalog import changes as service
from app.services.catalog.changes import ChangeFilters, FeedRows


def add_versions_route(
    router: APIRouter, entity: ChangeEntity, id_name: str, id_max: int, example: str
) -> None:
    """Add `GET /{<id_name>}/versions` for one type of record to its router."""
    label = entity.value

    @router.get(
        f"/{{{id_name}}}/versions",
        summary=f"List a {label}'s versions",
        response_model=FeedPage,
        responses={**list_responses(404), 200: {"headers": FEED_LINK_HEADERS}},
        operation_id=f"list_{label}_versions",
    )
    async def list_versions(
        request: Request,
        db: DbDep,
        caller: CallerDep,
        entity_id: Annotated[str, Path(alias=id_name, max_length=id_max, examples=[example])],
        after: Annotated[
            int | None,
            Query(ge=0, le=2**63 - 1, description="Only versions after this sequence number."),
        ] = None,
        limit: Annotated[
            int | None, Query(ge=1, le=1000, description="Page size, 1..1000 (default 50).")
        ] = None,
        cursor: str | None = CursorQuery,
    ) -> Response:
        filters = ChangeFilters(entity_type=entity, entity_id=entity_id, after=after)

        def read(session: Session) -> FeedRows:
            rows = service.list_changes(
                session, caller.actor, filters=filters, cursor=cursor, limit=limit
            )
            if not rows.entries and not service.ever_logged(session, entity, entity_id):
                raise NotFound(f"No {label} with id {entity_id!r}.")
            return rows

        return feed_response(request, await db.cached(read))

    list_versions.__doc__ = (
        f"Every stored version of the {label}, oldest first: sequence number, time, acting "
        "key, operation, version, and the record as that version left it (`document`); a "
        "deleted one ends with its tombstone. Read one version alone with `as_of=` on the "
        f"{label}'s GET."
    )
