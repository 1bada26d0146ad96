"""Helpers for the curation write tests: change-log views, If-Match plumbing, problem bodies
with extension members, and the references the seed gives each entity (computed from the seed
files, not the database, so a refused delete is compared with what the curators wrote).

Keys come from the `keys` fixture in conftest.py: carol has the curate scope, alice only
annotate.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.support.api import (
    PROBLEM_KEYS,
    SOURCE_ID,
    claim_ids_where,
    expected_claims,
    role_id,
    seed_roles,
    seed_source_file,
)
from tests.support.clients import Keys

CURATOR = "carol"
ANNOTATOR = "alice"


def changes(client: TestClient, entity_type: str, entity_id: str) -> list[tuple[str, int]]:
    """(op, version) of every change-log row of one entity, oldest first."""
    response = client.get(
        "/v1/changes", params={"entity_type": entity_type, "entity_id": entity_id, "limit": 500}
    )
    assert response.status_code == 200, response.text
    return [(c["op"], c["version"]) for c in response.json()["items"]]


def whole_log(client: TestClient) -> list[dict[str, Any]]:
    """The whole change log (the seeded database holds well under one page of 500)."""
    response = client.get("/v1/changes", params={"limit": 500})
    assert response.status_code == 200 and response.json()["next_cursor"] is None
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def etag(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def with_etag(keys: Keys, tag: str, who: str = CURATOR) -> dict[str, str]:
    return {**keys[who], "If-Match": tag}


def created(response: httpx.Response, prefix: str) -> dict[str, Any]:
    """Assert a 201 with Location and ETag; return the body."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{prefix}/{body['id']}"
    assert response.headers["etag"].startswith('"')
    return body


def problem(
    response: httpx.Response, status: int, *mentions: str, extra: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Assert an RFC 9457 body with exactly the standard members plus `extra` (and `errors`
    when the server sent per-field errors); return it."""
    assert response.status_code == status, response.text[:600]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    allowed = PROBLEM_KEYS | extra | ({"errors"} if "errors" in body else set())
    assert set(body) == allowed, set(body) ^ allowed
    assert body["status"] == status
    assert body["title"] == HTTPStatus(status).phrase
    assert body["request_id"] == response.headers["x-request-id"]
    for mention in mentions:
        assert mention in body["detail"], (mention, body["detail"])
    return body


REFERENCES = frozenset({"references", "reference_count"})
# A 410 names when the entity went and its last version.
GONE = frozenset({"deleted_at", "last_version"})


def seed_references(entity_type: str, entity_id: str) -> list[dict[str, str]]:
    """What the seed makes refer to a person or organisation, in the order the API lists it:
    claim subjects, claim attributions, roles, sources (author or publisher), each by id."""
    source = seed_source_file()["source"]
    refs = [
        {"type": "claim", "id": i, "relation": "subject"}
        for i in sorted(claim_ids_where(subject=entity_id))
    ]
    refs += [
        {"type": "claim", "id": i, "relation": "attributed_to"}
        for i in sorted(claim_ids_where(attributed_to=entity_id))
    ]
    refs += [
        {"type": "role", "id": i, "relation": entity_type}
        for i in sorted(
            role_id(r["person"], r["organization"], r["title"], r["kind"])
            for r in seed_roles()
            if r[entity_type] == entity_id
        )
    ]
    if entity_type == "person" and entity_id in source["authors"]:
        refs.append({"type": "source", "id": SOURCE_ID, "relation": "author"})
    if entity_type == "organization" and source.get("publisher") == entity_id:
        refs.append({"type": "source", "id": SOURCE_ID, "relation": "publisher"})
    return refs


def seed_claims_in_source() -> list[str]:
    return sorted(c.id for c in expected_claims())
