"""The ASGI application: routers, middleware and problem handlers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from app.api import annotations as annotations_api
from app.api import (
    changes,
    claims,
    health,
    keys,
    organizations,
    persons,
    roles,
    search,
    sources,
)
from app.api.cache import CacheMiddleware
from app.api.deps import Db, check_callers_first
from app.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.api.ratelimit import RateLimitMiddleware
from app.auth import current_caller
from app.config import Settings, get_settings
from app.db import make_engine
from app.problems import install_problem_handlers, problem_only_openapi

DESCRIPTION = """
A knowledge base of named elites: the people, their roles, the organisations they run, the
sources that mention them and the claims those sources make about them.

Every claim is anchored to its exact words: `quote` equals the source's canonical text at
`[start, end)`, counted in **Unicode code points, half-open**, with `prefix`/`suffix` context in
the manner of the W3C TextQuoteSelector. Check any claim with
`GET /v1/sources/{source_id}/text?start=&end=`.

The first source is Boris Bondarev's opinion essay in The Moscow Times (23 February 2023),
"The West Must Drive a Wedge Between Putin and Russia's Elites".

Lists return `{"items": [...], "next_cursor": ...}` and an RFC 8288 `Link: rel="next"` header;
single resources carry a strong `ETag` and honour `If-None-Match`. Errors are RFC 9457
`application/problem+json`.
"""


# The resource groups of the OpenAPI document, in the order /docs lists them.
OPENAPI_TAGS = [
    {
        "name": "persons",
        "description": "Named figures, their names in every script, roles.",
    },
    {"name": "organizations", "description": "State bodies, companies, media, groups."},
    {"name": "sources", "description": "Documents and their canonical text."},
    {"name": "claims", "description": "What sources claim, anchored to exact words."},
    {"name": "roles", "description": "Positions and memberships, with provenance."},
    {
        "name": "annotations",
        "description": "Analysts' notes, tags, assessments, questions, links, replies.",
    },
    {
        "name": "search",
        "description": "Search everything by any spelling of a name or any words; "
        "match names by example.",
    },
    {"name": "changes", "description": "The change log: every accepted write."},
    {"name": "keys", "description": "API keys (admin scope)."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own engine and settings, `elitekb serve` uses the
    configured ones."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Database work runs in anyio's worker threads; as many threads as pooled connections.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.db_pool_size
        if engine is None:
            app.state.db = Db(make_engine(settings.database_url, settings), settings)
        # Everything imported and built so far lives as long as the process: moved out of the
        # collector's reach, a full collection scans what requests make (~6 ms), not every
        # module, model and route as well (~90 ms, a pause every request in flight waits out).
        gc.freeze()
        yield
        await app.state.db.notifier.close()
        await app.state.db.probe.close()
        if engine is None:
            app.state.db.engine.dispose()

    app = FastAPIOffline(
        title="elitekb",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
    )
    app.state.settings = settings
    if engine is not None:
        app.state.db = Db(engine, settings)

    # Innermost: a cached answer is still rate-limited and carries its request id.
    app.add_middleware(CacheMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Inside RequestContextMiddleware (added later, so outermost), which sets the request id
    # a 429 carries; outside the body limit, so a refused request is not read first.
    if settings.rate_limit_anonymous or settings.rate_limit_key:
        app.add_middleware(RateLimitMiddleware, settings=settings)
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    check_callers_first(app)
    problem_only_openapi(app)
    read_guard = [Depends(current_caller)]
    routers = (
        persons,
        organizations,
        roles,
        sources,
        claims,
        annotations_api,
        search,
        changes,
        keys,
    )
    for module in routers:
        app.include_router(module.router, dependencies=read_guard)
    app.include_router(health.router)
    return app


app = create_app()
