"""The change feed: every accepted write in commit order, with what the entity became.

A reader resumes with `after=<last_seq>` (every page says where: the `last_seq` field and a
`Link rel="next"`, the last page included) and may long-poll with `wait=`, which holds no
database connection or worker thread while it waits (app/api/notify.py). Items carry the
stored record of each version as the exact JSON text the write stored, spliced into the page
unparsed, so a page costs one indexed range read and no re-serialisation of documents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

import pydantic_core
from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from app.api.deps import DbDep, RequestDb
from app.api.http import list_responses
from app.auth import CallerDep
from app.models.change import ChangeEntity, FeedPage
from app.pagination import CursorQuery
from app.services.catalog import changes as service
from app.services.catalog.changes import ChangeFilters, FeedRows

router = APIRouter(prefix="/v1/changes", tags=["changes"])

MAX_WAIT = 30.0
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
FEED_LINK_HEADERS = {
    "Link": {
        "description": 'RFC 8288 link to what follows, `<url>; rel="next"`, on every page: '
        "the next page, or on the last page the same request resumed after `last_seq`.",
        "schema": {"type": "string"},
    }
}


def _body(rows: FeedRows) -> bytes:
    """The page's JSON: each item's fields, then its stored record spliced in as stored."""
    parts = [b'{"items":[']
    for n, entry in enumerate(rows.entries):
        if n:
            parts.append(b",")
        parts.append(pydantic_core.to_json(entry.change)[:-1])
        parts.append(b',"document":')
        parts.append(entry.document.encode() if entry.document is not None else b"null")
        parts.append(b',"tombstone":')
        parts.append(pydantic_core.to_json(entry.tombstone))
        parts.append(b"}")
    parts.append(b'],"next_cursor":')
    parts.append(pydantic_core.to_json(rows.next_cursor))
    parts.append(b',"last_seq":' + str(rows.last_seq).encode() + b"}")
    return b"".join(parts)


def _next_link(request: Request, rows: FeedRows) -> str:
    if rows.next_cursor is not None:
        url = request.url.include_query_params(cursor=rows.next_cursor)
    else:
        url = request.url.remove_query_params("cursor").include_query_params(after=rows.last_seq)
    # A header is ASCII: percent-encode what the path holds beyond it (RFC 3986).
    return f'<{quote(str(url), safe=_URL_SAFE)}>; rel="next"'


@router.get(
    "",
    summary="Follow the change feed",
    response_model=FeedPage,
    responses={**list_responses(401), 200: {"headers": FEED_LINK_HEADERS}},
)
async def list_changes(
    request: Request,
    db: DbDep,
    caller: CallerDep,
    entity_type: Annotated[
        ChangeEntity | None, Query(description="Only this kind of entity.")
    ] = None,
    entity_id: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only this entity (the audit trail of one record).",
            examples=["alexei-kudrin"],
        ),
    ] = None,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**63 - 1,
            description="Only changes after this sequence number: a previous page's "
            "`last_seq`, to resume where it stopped.",
            examples=[60],
        ),
    ] = None,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT,
            description="Long-poll: with nothing newer to show, wait up to this many seconds "
            "(at most 30, or the server's ELITEKB_FEED_MAX_WAIT) for a change to commit, "
            "then answer (an empty page if none did).",
        ),
    ] = 0,
    limit: Annotated[
        int | None, Query(ge=1, le=1000, description="Page size, 1..1000 (default 50).")
    ] = None,
    cursor: str | None = CursorQuery,
) -> Response:
    """Every accepted write in commit order: sequence number, time, acting key, entity,
    operation, the entity's new version, and its stored record after the change (`document`),
    or a `tombstone` for a delete. What each reader sees follows the read rules: hidden
    annotations go as tombstones to whoever could not read them, their content never shown;
    API-key rows reach admin keys only, without secrets.

    To mirror the knowledge base, walk from the start, then keep asking with
    `after=<last_seq>&wait=30`: a poller never starts over and never misses a commit."""
    filters = ChangeFilters(entity_type=entity_type, entity_id=entity_id, after=after)

    def read(session: Session) -> FeedRows:
        return service.list_changes(
            session, caller.actor, filters=filters, cursor=cursor, limit=limit
        )

    wait = min(wait, request.app.state.settings.feed_max_wait)
    # A long-poll's answer depends on when it was asked, so only wait=0 pages are cached.
    rows = await (_long_poll(db, read, wait) if wait else db.cached(read))
    return feed_response(request, rows)


async def _long_poll(db: RequestDb, read: Callable[[Session], FeedRows], wait: float) -> FeedRows:
    """Read; while there is nothing to show, wait (no connection, no thread) for a commit
    past what was read, then read again, until `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    rows = await db.run(read)
    notifier = db.db.notifier
    while not rows.entries and rows.next_cursor is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not await notifier.wait_beyond(rows.last_seq, remaining):
            break
        rows = await db.run(read)
    return rows


def feed_response(request: Request, rows: FeedRows) -> Response:
    """A page of the feed with its Link to what follows."""
    response = Response(content=_body(rows), media_type="application/json")
    response.headers["Link"] = _next_link(request, rows)
    return response
