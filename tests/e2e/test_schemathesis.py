"""Property-based tests of every operation against the app's own OpenAPI document (Schemathesis).

Schemathesis reads /openapi.json, then per operation sends the documented examples, its
coverage cases (boundaries, missing and malformed values) and Hypothesis-generated requests,
valid and invalid, and checks each response: never a 5xx, a documented status code and content
type, and a body and headers that match the documented schema.

The schema is loaded once at import from an app on a throwaway engine (the document does not
depend on the database); every request is then sent in-process to an app built on the test's
own seeded database, once per backend. The examples are derandomised and bounded so CI runs the
same cases every time in well under a minute; raise MAX_EXAMPLES locally to search harder.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, create_engine

from app.db import write_session
from app.main import create_app
from app.models.api_key import Scope
from app.services.access.keys import create_key
from tests.support.clients import app_settings

MAX_EXAMPLES = int(os.environ.get("ELITEKB_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(create_engine("sqlite://")))


@pytest.fixture
def statuses() -> Iterator[Counter[tuple[str, int]]]:
    """(method, status) pairs seen by one operation's run; the run must have reached real
    data (a read answered 200) or, for a write, got past validation at least once."""
    seen: Counter[tuple[str, int]] = Counter()
    yield seen
    # Fuzzing that only ever earns 404s and 422s would check nothing about the real bodies.
    methods = {method for method, _ in seen}
    if methods <= {"GET", "HEAD"}:
        assert sum(n for (_, s), n in seen.items() if s == 200) > 0, f"no 200: {dict(seen)}"
    else:
        past_validation = sum(n for (_, s), n in seen.items() if s != 422)
        assert past_validation > 0, f"every write was refused as invalid: {dict(seen)}"


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    # A long-poll of the change feed waits at most 0.1 s here, not the 30 s it may ask for.
    return create_app(engine, app_settings(feed_max_wait=0.1))


@pytest.fixture
def admin_headers(engine: Engine) -> dict[str, str]:
    """An admin key (which includes curate and annotate), sent with every request so the
    write operations are exercised beyond their 401."""
    with write_session(engine) as session:
        key = create_key(session, name="fuzzer", scopes=[Scope.admin], actor=None, origin="cli")
    return {"Authorization": f"Bearer {key.secret}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # Examples share one app and database: writes accumulate, which only widens what later
    # examples meet, and no check depends on a clean state.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_openapi(
    case: schemathesis.Case,
    app: FastAPI,
    admin_headers: dict[str, str],
    statuses: Counter[tuple[str, int]],
) -> None:
    response = case.call_and_validate(app=app, headers=admin_headers, checks=CHECKS)
    statuses[(case.method.upper(), response.status_code)] += 1
