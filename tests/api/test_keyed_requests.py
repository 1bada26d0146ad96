"""Requests with an API key: the key is checked in the same worker-thread hop and the same
database session as the request's work, and a bad key or a missing scope is answered before
anything else the request might be refused for (its parameters, its body, its target)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from app.api.deps import Db
from tests.support.clients import Keys

UNKNOWN_KEY = {"Authorization": "Bearer ekb_" + "x" * 43}
PROBES = {("get", "/livez"), ("get", "/readyz")}
# The operations an annotator's key may not use (they need curate or admin), as the
# OpenAPI document declares them (a 403 response) and the key scopes decide.
CURATE_OR_ADMIN = {
    ("delete", "/v1/claims/{claim_id}"),
    ("delete", "/v1/keys/{key_id}"),
    ("delete", "/v1/organizations/{organization_id}"),
    ("delete", "/v1/persons/{person_id}"),
    ("delete", "/v1/roles/{role_id}"),
    ("delete", "/v1/sources/{source_id}"),
    ("get", "/v1/keys"),
    ("get", "/v1/keys/{key_id}"),
    ("patch", "/v1/claims/{claim_id}"),
    ("patch", "/v1/organizations/{organization_id}"),
    ("patch", "/v1/persons/{person_id}"),
    ("patch", "/v1/roles/{role_id}"),
    ("patch", "/v1/sources/{source_id}"),
    ("post", "/v1/annotations/{annotation_id}/hide"),
    ("post", "/v1/annotations/{annotation_id}/unhide"),
    ("post", "/v1/claims"),
    ("post", "/v1/keys"),
    ("post", "/v1/organizations"),
    ("post", "/v1/persons"),
    ("post", "/v1/roles"),
    ("post", "/v1/sources"),
}


def operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    doc = client.get("/openapi.json").json()
    return [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "patch", "delete") and (method, path) not in PROBES
    ]


def refusable(method: str, path: str, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A request to the operation that is wrong in every way it can be without a key: a path
    id that names nothing, an out-of-range limit, an empty body."""
    concrete = path
    for param in op.get("parameters", []):
        if param["in"] == "path":
            concrete = concrete.replace("{" + param["name"] + "}", "no-such-thing")
    names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    query = "?limit=0" if "limit" in names else ""
    body = {"json": {}} if "requestBody" in op else {}
    return concrete + query, body


def test_a_bad_key_is_refused_before_anything_else(client: TestClient, keys: Keys) -> None:
    ops = operations(client)
    assert len(ops) == 55
    answers = {}
    for method, path, op in ops:
        url, body = refusable(method, path, op)
        response = client.request(method.upper(), url, headers=UNKNOWN_KEY, **body)
        answers[(method, path)] = (response.status_code, response.json()["detail"])
    assert answers == dict.fromkeys(answers, (401, "The API key is not valid."))


def test_a_missing_scope_is_refused_before_anything_else(client: TestClient, keys: Keys) -> None:
    """An annotator's key gets 403 from every curate and admin operation, whatever else is
    wrong with the request; everywhere else the request's own fault (400, 404, 422) shows."""
    statuses = {}
    for method, path, op in operations(client):
        url, body = refusable(method, path, op)
        response = client.request(method.upper(), url, headers=keys["alice"], **body)
        statuses[(method, path)] = response.status_code
    assert {op for op, status in statuses.items() if status == 403} == CURATE_OR_ADMIN
    assert {status for op, status in statuses.items() if op not in CURATE_OR_ADMIN} == {
        404,
        422,
    }


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of every function handed to a worker thread while the app runs."""
    seen: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__qualname__", repr(fn)))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    yield seen


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """One entry per session the app opens (True for a write session)."""
    seen: list[bool] = []
    real = Db.session

    def counting(self: Db, *, write: bool = False) -> Session:
        seen.append(write)
        return real(self, write=write)

    monkeypatch.setattr(Db, "session", counting)
    yield seen


@pytest.fixture
def checkouts(engine: Engine) -> Iterator[list[int]]:
    """One entry per connection taken from the pool."""
    seen: list[int] = []

    def on_checkout(*_: Any) -> None:
        seen.append(1)

    event.listen(engine, "checkout", on_checkout)
    yield seen
    event.remove(engine, "checkout", on_checkout)


def test_a_keyed_write_takes_one_hop_and_one_session(
    client: TestClient,
    keys: Keys,
    hops: list[str],
    sessions: list[bool],
    checkouts: list[int],
) -> None:
    """The key is looked up inside the write's own transaction: one thread, one session, and
    two connections from the pool (the write transaction, then reading the result back after
    its commit)."""
    person = {
        "id": "sergei-lavrov",
        "name": "Sergei Lavrov",
        "names": [],
        "identifiers": [],
    }
    response = client.post("/v1/persons", json=person, headers=keys["carol"])
    assert response.status_code == 201
    assert (hops, sessions, len(checkouts)) == (["RequestDb.run.<locals>.work"], [True], 2)
    hops.clear()
    sessions.clear()
    checkouts.clear()
    etag = response.headers["ETag"]
    response = client.patch(
        "/v1/persons/sergei-lavrov",
        json={"description": "Foreign minister"},
        headers={**keys["carol"], "If-Match": etag},
    )
    assert response.status_code == 200
    assert (hops, sessions, len(checkouts)) == (["RequestDb.run.<locals>.work"], [True], 2)


def test_a_keyed_read_takes_one_hop_and_one_connection(
    client: TestClient, keys: Keys, hops: list[str], sessions: list[bool], checkouts: list[int]
) -> None:
    assert client.get("/v1/persons/elvira-nabiullina", headers=keys["bob"]).status_code == 200
    assert client.get("/v1/annotations", headers=keys["bob"]).status_code == 200
    assert (len(hops), sessions, len(checkouts)) == (2, [False, False], 2)


def test_a_bad_key_costs_one_hop_and_refuses_a_write_before_it_starts(
    client: TestClient, hops: list[str], sessions: list[bool], checkouts: list[int]
) -> None:
    assert client.get("/v1/persons", headers=UNKNOWN_KEY).status_code == 401
    response = client.post("/v1/persons", json={"id": "x", "name": "X"}, headers=UNKNOWN_KEY)
    assert response.status_code == 401
    assert (len(hops), sessions, len(checkouts)) == (2, [False, True], 2)
    assert client.get("/v1/persons/x").status_code == 404
