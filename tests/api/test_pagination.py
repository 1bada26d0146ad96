"""Keyset pagination on every list endpoint: next_cursor, the Link header, tampering, limits."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support.api import (
    SOURCE_ID,
    assert_problem,
    next_link,
    sign_cursor,
    stored_cursor_secret,
)

# (path, filters, number of items the unpaginated list has)
LISTS: list[tuple[str, dict[str, str], int]] = [
    ("/v1/persons", {}, 7),
    ("/v1/persons", {"organization": "russian-elite"}, 5),
    ("/v1/persons", {"q": "vladimirovich"}, 2),
    ("/v1/organizations", {}, 9),
    ("/v1/organizations", {"kind": "state_body"}, 3),
    ("/v1/sources", {}, 1),
    ("/v1/claims", {}, 36),
    # Two claims share a start offset: the keyset must break the tie.
    ("/v1/claims", {"subject": "alexei-kudrin", "modality": "hedged"}, 2),
    ("/v1/persons/alexei-kudrin/roles", {}, 2),
    ("/v1/persons/vladimir-putin/claims", {}, 14),
    ("/v1/persons/vladimir-putin/claims", {"kind": "prediction"}, 8),
    (f"/v1/sources/{SOURCE_ID}/claims", {"stance": "unfavourable"}, 17),
]


def _walk_cursor(
    client: TestClient, path: str, filters: dict[str, str], limit: int
) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {**filters, "limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        link = next_link(response)
        if cursor is None:
            assert link is None
            break
        assert link is not None
        query = parse_qs(urlsplit(link).query)
        assert urlsplit(link).path == path
        assert query == {
            **{k: [v] for k, v in filters.items()},
            "limit": [str(limit)],
            "cursor": [cursor],
        }
        assert len(pages) <= 40, "pagination does not terminate"
    assert all(len(page) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= limit or pages == [[]]
    return pages


def _walk_link(
    client: TestClient, path: str, filters: dict[str, str], limit: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    response = client.get(path, params={**filters, "limit": limit})
    for _ in range(40):
        assert response.status_code == 200, response.text
        items.extend(response.json()["items"])
        link = next_link(response)
        if link is None:
            assert response.json()["next_cursor"] is None
            return items
        response = client.get(link)
    raise AssertionError("pagination does not terminate")


def _key(item: dict[str, Any]) -> str:
    return str(item["id"])


def test_walking_every_list_endpoint_gives_the_whole_list(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    for path, filters, total in LISTS:
        full_response = client.get(path, params=filters)
        full = full_response.json()
        assert full["next_cursor"] is None
        assert "link" not in full_response.headers
        assert len(full["items"]) == total, (path, filters)
        for limit in range(1, 8):
            with subtests.test(path=path, limit=limit, **filters):
                pages = _walk_cursor(client, path, filters, limit)
                walked = [item for page in pages for item in page]
                assert walked == full["items"]
                assert len({_key(i) for i in walked}) == total
                # No trailing empty page when the limit divides the total.
                assert len(pages) == math.ceil(total / limit)
                linked = _walk_link(client, path, filters, limit)
                assert linked == full["items"]


def test_page_size_may_change_between_pages(client: TestClient) -> None:
    full = client.get("/v1/claims").json()["items"]
    seen: list[dict[str, Any]] = []
    cursor = None
    for limit in (1, 5, 2, 7, 3, 500):
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/v1/claims", params=params).json()
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert seen == full


def _flip(cursor: str, at: int) -> str:
    replacement = "A" if cursor[at] != "A" else "B"
    return cursor[:at] + replacement + cursor[at + 1 :]


def test_tampered_cursors_are_400(
    client: TestClient, engine: Engine, subtests: pytest.Subtests
) -> None:
    first = client.get("/v1/claims", params={"limit": 2}).json()
    cursor = first["next_cursor"]
    assert isinstance(cursor, str)
    assert client.get("/v1/claims", params={"limit": 2, "cursor": cursor}).status_code == 200
    random_blob = base64.urlsafe_b64encode(hashlib.sha256(b"not a cursor").digest() * 2)
    bad = {
        "flipped in the signature": _flip(cursor, 3),
        "flipped in the middle": _flip(cursor, len(cursor) // 2),
        "flipped near the end": _flip(cursor, len(cursor) - 6),
        "truncated by four": cursor[:-4],
        "truncated to ten": cursor[:10],
        "extended": cursor + "AAAA",
        "random base64": random_blob.decode().rstrip("="),
        "not base64": "!!!not-a-cursor!!!",
        "non-ascii": "курсор",
        "single character": "A",
    }
    for name, value in bad.items():
        with subtests.test(name):
            assert value != cursor
            assert_problem(
                client.get("/v1/claims", params={"limit": 2, "cursor": value}),
                400,
                "/v1/claims",
                "cursor",
                slug="invalid-cursor",
            )

    with subtests.test("cursor from another filter set"):
        body = assert_problem(
            client.get("/v1/claims", params={"limit": 2, "kind": "assertion", "cursor": cursor}),
            400,
            "/v1/claims",
            "other filters",
            slug="invalid-cursor",
        )
        assert "cursor" in body["detail"]

    with subtests.test("cursor from another person's roles"):
        roles_cursor = client.get("/v1/persons/alexei-kudrin/roles", params={"limit": 1}).json()[
            "next_cursor"
        ]
        assert isinstance(roles_cursor, str)
        assert_problem(
            client.get(
                "/v1/persons/sergei-sobyanin/roles", params={"limit": 1, "cursor": roles_cursor}
            ),
            400,
            "/v1/persons/sergei-sobyanin/roles",
            "cursor",
            slug="invalid-cursor",
        )

    with subtests.test("cursor from another endpoint"):
        persons_cursor = client.get("/v1/persons", params={"limit": 2}).json()["next_cursor"]
        assert isinstance(persons_cursor, str)
        # Same (empty) filters and key shape, but it was issued for /v1/persons: paging
        # organisations after a person's id would silently walk something else.
        assert_problem(
            client.get("/v1/organizations", params={"limit": 2, "cursor": persons_cursor}),
            400,
            "/v1/organizations",
            "cursor",
            slug="invalid-cursor",
        )

    forged = {
        "signed, not JSON": b"\xff\xfenot json",
        "signed JSON list": b"[1, 2]",
        "signed JSON string": b'"k"',
        "signed wrong key type": json.dumps(
            {"k": [1], "f": hashlib.sha256(b"{}").hexdigest()[:16]}
        ).encode(),
    }
    key = stored_cursor_secret(engine)
    for name, payload in forged.items():
        with subtests.test(name):
            assert_problem(
                client.get(
                    "/v1/persons",
                    params={
                        "limit": 2,
                        "cursor": sign_cursor(key, payload),
                    },
                ),
                400,
                "/v1/persons",
                "cursor",
                slug="invalid-cursor",
            )


def test_limit_bounds(client: TestClient, subtests: pytest.Subtests) -> None:
    paths = sorted({path for path, _, _ in LISTS})
    for path in paths:
        for limit in ("0", "501", "-1", "1.5", "ten"):
            with subtests.test(path=path, limit=limit):
                body = assert_problem(
                    client.get(path, params={"limit": limit}),
                    422,
                    path,
                    "limit",
                    slug="validation-error",
                )
                assert [e["loc"] for e in body["errors"]] == [["query", "limit"]]
        with subtests.test(path=path, limit="500"):
            response = client.get(path, params={"limit": 500})
            assert response.status_code == 200
            assert response.json()["next_cursor"] is None
        with subtests.test(path=path, cursor="too long"):
            body = assert_problem(
                client.get(path, params={"cursor": "A" * 1001}),
                422,
                path,
                "cursor",
                slug="validation-error",
            )
            assert [e["loc"] for e in body["errors"]] == [["query", "cursor"]]
