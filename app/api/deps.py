"""Request-scoped database work and the path parameters shared by the routers.

Handlers are `async` and hand all of a request's database work to one worker thread: the
session, the queries and the JSON encoding run together there. A connection is therefore never
held while its request waits for a thread (the pool stall of FastAPI issue 3205), each request
pays for one thread hop instead of one per sync dependency, and the event loop never blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar, cast

import anyio.to_thread
import pydantic_core
from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from app.api.cache import MISS_STATE, STORABLE_STATE, RepresentationCache, SeqProbe
from app.api.http import conditional_response, etag_of, representation
from app.api.notify import ChangeNotifier
from app.auth import caller_of
from app.config import Settings
from app.db import SETTINGS_KEY, write_session
from app.models.common import SLUG_MAX
from app.pagination import CURSOR_KEY_CACHE, set_link_header
from app.problems import ProblemError
from app.services.catalog.versions import parse_as_of

R = TypeVar("R")

_SLUG_DOC = "Stable slug id: lowercase letters, digits and hyphens."

PersonIdPath = Annotated[
    str, Path(max_length=SLUG_MAX, description=_SLUG_DOC, examples=["elvira-nabiullina"])
]
OrganizationIdPath = Annotated[
    str, Path(max_length=SLUG_MAX, description=_SLUG_DOC, examples=["central-bank-of-russia"])
]
SourceIdPath = Annotated[
    str,
    Path(
        max_length=SLUG_MAX,
        description=_SLUG_DOC,
        examples=["bondarev-2023-west-must-drive-a-wedge"],
    ),
]
ClaimIdPath = Annotated[
    str, Path(max_length=40, description="Opaque claim id.", examples=["clm_b2okhvymxr"])
]

AsOfQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="Read the record as it stood then: a change-feed sequence number or an "
        "RFC 3339 time. Answers the version's stored record (the shape `/versions` and the "
        "change feed carry), byte for byte as stored; 404 if the entity did not exist yet, "
        "410 if it had been deleted.",
        examples=["120", "2026-11-27T09:05:00Z"],
    ),
]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="The ETag of the version being changed (from GET or the last write); "
        "428 without it, 412 if it is no longer current.",
    ),
]


class Db:
    """The database of one app: its engine, and the settings every session it opens carries
    (`app.db.settings_of`), with the cursor-key cache its sessions share."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        # Shared by this app's sessions: the cursor key, once configured or read (pagination).
        self.cursor_cache: dict[str, bytes] = {}
        # Anonymous readers' bodies, checked against the change log's sequence on every read.
        self.cache = RepresentationCache(settings.cache_max_bytes)
        self.probe = SeqProbe(engine)
        # Wakes the change feed's long-pollers (app/api/notify.py).
        self.notifier = ChangeNotifier(engine, self.probe)
        if settings.cursor_secret:
            self.cursor_cache["key"] = settings.cursor_secret.encode()

    def session(self, *, write: bool = False) -> Session:
        """A session of this app; with `write`, a write transaction (BEGIN IMMEDIATE on
        SQLite)."""
        session = (
            write_session(self.engine) if write else Session(self.engine, expire_on_commit=False)
        )
        session.info.update({CURSOR_KEY_CACHE: self.cursor_cache, SETTINGS_KEY: self.settings})
        return session


class RequestDb:
    """The database, as a handler sees it: run a function of a session in a worker thread.

    Each method first checks the request's key (app/auth.py `Caller`) in that same thread and
    session, then runs the function: one hop and one connection per request, keyed or not."""

    def __init__(self, db: Db, request: Request) -> None:
        self.db = db
        self.engine = db.engine
        self.request = request

    async def run(self, fn: Callable[[Session], R], *, write: bool = False) -> R:
        """Check the caller's key, then run `fn`; with `write`, in a write transaction (the
        service commits; an exception rolls everything back)."""
        caller = caller_of(self.request)

        def work() -> R:
            with self.db.session(write=write) as session:
                caller.resolve(session)
                return fn(session)

        return await anyio.to_thread.run_sync(work)

    async def check_caller(self) -> None:
        """Check the caller's key on its own (401/403), for a request refused before its work
        ran, so a bad key is answered before the request's other faults."""
        if not caller_of(self.request).checked:
            await self.run(lambda session: None)

    async def cached(self, make: Callable[[Session], R]) -> R:
        """Run `make`; for an anonymous GET that the cache missed (app/api/cache.py
        `CacheMiddleware` read the change log's sequence before it), mark the response as
        one to keep, unless the caller turns out to hold a key."""
        state = self.request.scope.get("state", {})
        if MISS_STATE in state and caller_of(self.request).secret is None:
            state[STORABLE_STATE] = True
        return await self.run(make)

    async def one(self, fn: Callable[[Session], BaseModel]) -> Response:
        """A single resource, tagged with a strong ETag (304 on a matching If-None-Match)."""

        def make(session: Session) -> tuple[bytes, str | None]:
            body = representation(fn(session))
            return body, etag_of(body)

        body, etag = await self.cached(make)
        return conditional_response(self.request, body, etag)

    async def one_as_of(
        self,
        as_of: str | None,
        fn: Callable[[Session], BaseModel],
        stored: Callable[[Session, int | datetime], str],
    ) -> Response:
        """`one(fn)`, or with `as_of` the stored record of the version current then
        (`stored`), served as the exact bytes stored (so its ETag never changes)."""
        if as_of is None:
            return await self.one(fn)
        point = parse_as_of(as_of)

        def make(session: Session) -> tuple[bytes, str | None]:
            body = stored(session, point).encode()
            return body, etag_of(body)

        body, etag = await self.cached(make)
        return conditional_response(self.request, body, etag)

    async def write(self, fn: Callable[[Session], R]) -> R:
        """Run a write service in a worker thread, in a write transaction."""
        return await self.run(fn, write=True)

    async def write_one(
        self, fn: Callable[[Session], Any], *, status: int = 200, location: str | None = None
    ) -> Response:
        """A write answered with the resource as it now stands and its ETag; with `location`
        (a path prefix) the response is 201 Created with Location: prefix/<id>."""

        def work(session: Session) -> tuple[bytes, str]:
            model = fn(session)
            return representation(model), model.id

        body, entity_id = await self.write(work)
        headers = {"ETag": etag_of(body), "Cache-Control": "no-cache"}
        if location is not None:
            headers["Location"] = f"{location}/{entity_id}"
            status = 201
        return Response(
            content=body, status_code=status, media_type="application/json", headers=headers
        )

    async def page(
        self, fn: Callable[[Session], tuple[Sequence[BaseModel], str | None]]
    ) -> Response:
        """A page of a list as `{"items", "next_cursor"}` plus a Link rel="next" header."""

        def make(session: Session) -> tuple[bytes, str | None]:
            items, next_cursor = fn(session)
            body: Any = {"items": items, "next_cursor": next_cursor}
            return pydantic_core.to_json(body), next_cursor

        body, next_cursor = await self.cached(make)
        response = Response(content=body, media_type="application/json")
        set_link_header(self.request, response, next_cursor)
        return response


async def get_db(request: Request) -> RequestDb:
    return RequestDb(request.app.state.db, request)


DbDep = Annotated[RequestDb, Depends(get_db)]


def check_callers_first(app: FastAPI) -> None:
    """Make a request refused before its work ran (invalid parameters or body, a problem
    raised by its handler) answer 401 or 403 first if its key is bad or lacks the scope, as
    when keys were checked in the dependencies. Requests refused before the dependencies ran
    (a body that is not JSON, an unknown path) have no caller and are answered as they were."""
    originals: dict[Any, Any] = {
        t: app.exception_handlers[t] for t in (RequestValidationError, ProblemError)
    }
    render_problem = originals[ProblemError]

    def caller_first(inner: Any) -> Any:
        async def handler(request: Request, exc: Exception) -> Response:
            if getattr(request.state, "caller", None) is not None:
                try:
                    await RequestDb(request.app.state.db, request).check_caller()
                except ProblemError as refused:
                    return cast(Response, await render_problem(request, refused))
            return cast(Response, await inner(request, exc))

        return handler

    for exc_type, inner in originals.items():
        app.add_exception_handler(exc_type, caller_first(inner))
