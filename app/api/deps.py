"""Request-scoped database work and the path parameters shared by the routers.

Handlers are `async` and hand all of a request's database work to one worker thread: the
session, the queries and the JSON encoding run together there. A connection is therefore never
held while its request waits for a thread (the pool stall of FastAPI issue 3205), each request
pays for one thread hop instead of one per sync dependency, and the event loop never blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import anyio.to_thread
import pydantic_core
from fastapi import Depends, Header, Path, Request, Response
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from app.api.http import conditional_response
from app.db import write_session
from app.models.common import SLUG_MAX
from app.pagination import CURSOR_KEY_CACHE, set_link_header
from app.services.curation.transaction import etag_of

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
    """The database, as handlers see it: run a function of a session in a worker thread."""

    def __init__(self, engine: Engine, *, cursor_secret: str | None = None) -> None:
        self.engine = engine
        # Shared by this app's sessions: the cursor key, once configured or read (pagination).
        self.cursor_cache: dict[str, bytes] = {}
        if cursor_secret:
            self.cursor_cache["key"] = cursor_secret.encode()

    def _info(self) -> dict[str, Any]:
        return {CURSOR_KEY_CACHE: self.cursor_cache}

    async def run(self, fn: Callable[[Session], R]) -> R:
        def work() -> R:
            with Session(self.engine, expire_on_commit=False, info=self._info()) as session:
                return fn(session)

        return await anyio.to_thread.run_sync(work)

    async def one(self, request: Request, fn: Callable[[Session], BaseModel]) -> Response:
        """A single resource, tagged with a strong ETag (304 on a matching If-None-Match)."""
        body = await self.run(lambda session: fn(session).model_dump_json().encode())
        return conditional_response(request, body)

    async def write(self, fn: Callable[[Session], R]) -> R:
        """Run a write service in a worker thread, in a write transaction (the service
        commits; an exception rolls everything back)."""

        def work() -> R:
            with write_session(self.engine) as session:
                session.info.update(self._info())
                return fn(session)

        return await anyio.to_thread.run_sync(work)

    async def write_one(
        self,
        fn: Callable[[Session], Any],
        *,
        status: int = 200,
        location: str | None = None,
    ) -> Response:
        """A write answered with the resource as it now stands and its ETag; with `location`
        (a path prefix) the response is 201 Created with Location: prefix/<id>."""

        def work(session: Session) -> tuple[bytes, str]:
            model = fn(session)
            return model.model_dump_json().encode(), model.id

        body, entity_id = await self.write(work)
        headers = {"ETag": etag_of(body), "Cache-Control": "no-cache"}
        if location is not None:
            headers["Location"] = f"{location}/{entity_id}"
            status = 201
        return Response(
            content=body, status_code=status, media_type="application/json", headers=headers
        )

    async def page(
        self,
        request: Request,
        fn: Callable[[Session], tuple[Sequence[BaseModel], str | None]],
    ) -> Response:
        """A page of a list as `{"items", "next_cursor"}` plus a Link rel="next" header."""

        def work(session: Session) -> tuple[bytes, str | None]:
            items, next_cursor = fn(session)
            body: Any = {"items": items, "next_cursor": next_cursor}
            return pydantic_core.to_json(body), next_cursor

        body, next_cursor = await self.run(work)
        response = Response(content=body, media_type="application/json")
        set_link_header(request, response, next_cursor)
        return response


async def get_db(request: Request) -> Db:
    db: Db = request.app.state.db
    return db


DbDep = Annotated[Db, Depends(get_db)]
