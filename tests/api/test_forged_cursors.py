"""Cursors signed with the key in force but carrying values their columns cannot hold.

The signature only says a cursor was made with the key; a key can leak (until issue 14 it was
a public default), so every list checks each decoded value against the column it is compared
with before it reaches SQL: an out-of-range integer, a lone surrogate, a NUL, an over-long
string, a wrong type or a wrong number of values is 400 invalid-cursor, never a 500. The
boundary values a column can hold are accepted, so the checks are exactly the columns' ranges.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from tests.support.api import (
    SOURCE_ID,
    assert_problem,
    sign_cursor,
    stored_cursor_secret,
    unpack_cursor,
)
from tests.support.clients import Keys, app_settings

INT32 = ("int", -(2**31), 2**31 - 1)
INT64 = ("int", -(2**63), 2**63 - 1)


def _text(n: int) -> tuple[str, int]:
    return ("str", n)


SLUG = _text(100)
SHORT_ID = _text(20)
CLAIM_KEY = (SLUG, INT32, SHORT_ID)
ENTITY_MENTION_KEY = (SLUG, INT32, INT32)

# Every paginated list: (template, concrete path, query, the rules of its cursor's values).
# The template is checked against the OpenAPI document, so a new list cannot be left out.
LISTS: list[tuple[str, str, dict[str, str], tuple[Any, ...]]] = [
    ("/v1/persons", "/v1/persons", {}, (SLUG,)),
    ("/v1/organizations", "/v1/organizations", {}, (SLUG,)),
    ("/v1/sources", "/v1/sources", {}, (SLUG,)),
    ("/v1/claims", "/v1/claims", {"subject": "vladimir-putin"}, CLAIM_KEY),
    ("/v1/roles", "/v1/roles", {}, (SHORT_ID,)),
    ("/v1/persons/{person_id}/roles", "/v1/persons/alexei-kudrin/roles", {}, (SHORT_ID,)),
    ("/v1/persons/{person_id}/claims", "/v1/persons/vladimir-putin/claims", {}, CLAIM_KEY),
    ("/v1/sources/{source_id}/claims", f"/v1/sources/{SOURCE_ID}/claims", {}, CLAIM_KEY),
    ("/v1/sources/{source_id}/mentions", f"/v1/sources/{SOURCE_ID}/mentions", {}, (INT32, INT32)),
    (
        "/v1/persons/{person_id}/mentions",
        "/v1/persons/vladimir-putin/mentions",
        {},
        ENTITY_MENTION_KEY,
    ),
    (
        "/v1/organizations/{organization_id}/mentions",
        "/v1/organizations/russian-elite/mentions",
        {},
        ENTITY_MENTION_KEY,
    ),
    ("/v1/annotations", "/v1/annotations", {}, (SHORT_ID,)),
    ("/v1/annotations/{annotation_id}/replies", "/v1/annotations/{root}/replies", {}, (SHORT_ID,)),
    ("/v1/annotations/{annotation_id}/versions", "/v1/annotations/{root}/versions", {}, (INT32,)),
    (
        "/v1/persons/{person_id}/annotations",
        "/v1/persons/alexei-kudrin/annotations",
        {},
        (SHORT_ID,),
    ),
    ("/v1/changes", "/v1/changes", {}, (INT64,)),
    *(
        (f"/v1/{kind}/{{{param}}}/versions", f"/v1/{kind}/{value}/versions", {}, (INT64,))
        for kind, param, value in (
            ("persons", "person_id", "alexei-kudrin"),
            ("organizations", "organization_id", "russian-elite"),
            ("sources", "source_id", SOURCE_ID),
            ("claims", "claim_id", "{claim}"),
            ("roles", "role_id", "{role}"),
        )  # each edited once by the `annotated` fixture, so it has a second version
    ),
    ("/v1/keys", "/v1/keys", {}, (SHORT_ID,)),
    ("/v1/search", "/v1/search", {"q": "Putin"}, (("int", 0, 10_000), ("int", 0, 3), SLUG)),
]


def bad_values(rule: tuple[Any, ...]) -> dict[str, Any]:
    if rule[0] == "int":
        low, high = rule[1], rule[2]
        return {
            "below the column's range": low - 1,
            "above the column's range": high + 1,
            "2^63": 2**63,
            "-2^63 - 1": -(2**63) - 1,
            "10^40": 10**40,
            "a string": "1",
            "a float": 1.5,
            "a boolean": True,
            "null": None,
            "a list": [1],
        }
    return {
        "a lone high surrogate": "\ud800",
        "a lone low surrogate": "a\udfffb",
        "a NUL": "alexei\x00kudrin",
        "one over the column's length": "x" * (rule[1] + 1),
        "an integer": 1,
        "null": None,
        "a boolean": False,
        "an object": {"a": "b"},
    }


def boundary_values(rule: tuple[Any, ...]) -> dict[str, Any]:
    if rule[0] == "int":
        return {"the lowest": rule[1], "the highest": rule[2]}
    return {"the longest": "z" * rule[1]}


@pytest.fixture
def annotated(client: TestClient, keys: Keys) -> str:
    """A second source, and a thread on Kudrin (a root with two replies, the root edited
    twice, and another annotation): the id of its root."""
    note = {
        "id": "kudrin-note",
        "title": "A note on Kudrin",
        "language": "en",
        "genre": "note",
        "rights": "full_text",
        "text": "Alexei Kudrin is a former finance minister.",
    }
    assert client.post("/v1/sources", json=note, headers=keys["carol"]).status_code == 201
    root = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "alexei-kudrin"},
            "motivation": "commenting",
            "body": "Kudrin left the government in 2018.",
        },
        headers=keys["alice"],
    ).json()
    for n in (1, 2):
        reply = client.post(
            "/v1/annotations",
            json={
                "target": {"type": "annotation", "id": root["id"]},
                "motivation": "replying",
                "body": f"Reply {n}.",
            },
            headers=keys["bob"],
        )
        assert reply.status_code == 201, reply.text
    client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "alexei-kudrin"},
            "motivation": "tagging",
            "tags": ["systemic-liberal"],
        },
        headers=keys["bob"],
    )
    etag = client.get(f"/v1/annotations/{root['id']}").headers["etag"]
    for body in ("Kudrin left in 2018; he now heads the Accounts Chamber? No: he left it.", "v3"):
        edited = client.patch(
            f"/v1/annotations/{root['id']}",
            json={"body": body},
            headers={**keys["alice"], "If-Match": etag},
        )
        assert edited.status_code == 200, edited.text
        etag = edited.headers["etag"]
    return str(root["id"])


def test_every_paginated_list_is_covered(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paginated = set()
    for path, operations in doc["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        schema = get["responses"]["200"]["content"].get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        properties = (
            doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        )
        if "next_cursor" in properties:
            paginated.add(path)
    assert paginated == {template for template, _, _, _ in LISTS}


def edit_one_of_each(client: TestClient, keys: Keys) -> dict[str, str]:
    """Give a person, an organisation, a source, a claim and a role a second version (so
    their /versions lists have two pages of one); returns the claim's and the role's id."""
    claim = client.get("/v1/claims", params={"subject": "vladimir-putin", "limit": 1})
    role = client.get("/v1/persons/alexei-kudrin/roles", params={"limit": 1})
    ids = {"claim": claim.json()["items"][0]["id"], "role": role.json()["items"][0]["id"]}
    for path, change in (
        ("/v1/persons/alexei-kudrin", {"description": "Edited for a second version."}),
        ("/v1/organizations/russian-elite", {"description": "Edited for a second version."}),
        (f"/v1/sources/{SOURCE_ID}", {"title": "Edited for a second version"}),
        (f"/v1/claims/{ids['claim']}", {"statement": "Edited for a second version."}),
        (f"/v1/roles/{ids['role']}", {"title": "Edited for a second version"}),
    ):
        tag = client.get(path).headers["etag"]
        edited = client.patch(path, json=change, headers={**keys["carol"], "If-Match": tag})
        assert edited.status_code == 200, (path, edited.text)
    return ids


def test_forged_cursors_are_400_on_every_list(
    client: TestClient, engine: Engine, keys: Keys, annotated: str, subtests: pytest.Subtests
) -> None:
    edited = edit_one_of_each(client, keys)
    key = stored_cursor_secret(engine)
    for template, concrete, query, rules in LISTS:
        path = concrete.format(root=annotated, **edited)
        attack = Attack(client, key, keys["admin"], path, query)
        real = attack.real_cursor()
        assert len(real["k"]) == len(rules), template

        with subtests.test(template, case="the real cursor, re-signed"):
            assert attack.send(real).status_code == 200

        for position, rule in enumerate(rules):
            for name, value in bad_values(rule).items():
                with subtests.test(template, position=position, case=name):
                    attack.refused(attack.send(with_value(real, position, value)))
            for name, value in boundary_values(rule).items():
                with subtests.test(template, position=position, case=name):
                    response = attack.send(with_value(real, position, value))
                    assert response.status_code == 200, response.text
                    assert isinstance(response.json()["items"], list)

        shapes = {
            "one value too few": {"k": real["k"][:-1], "f": real["f"]},
            "one value too many": {"k": [*real["k"], real["k"][0]], "f": real["f"]},
            "no values": {"k": [], "f": real["f"]},
            "values not a list": {"k": "x", "f": real["f"]},
            "values an object": {"k": {"0": real["k"][0]}, "f": real["f"]},
            "no values at all": {"f": real["f"]},
            "a list, not an object": [real["k"], real["f"]],
            "not JSON": b"\xff\xfe{",
        }
        for name, payload in shapes.items():
            with subtests.test(template, case=name):
                attack.refused(attack.send(payload))


def with_value(real: dict[str, Any], position: int, value: Any) -> dict[str, Any]:
    values = [*real["k"]]
    values[position] = value
    return {"k": values, "f": real["f"]}


class Attack:
    """Cursors for one list, signed with the key in force."""

    def __init__(
        self,
        client: TestClient,
        key: bytes,
        headers: dict[str, str],
        path: str,
        query: dict[str, str],
    ) -> None:
        self.client, self.key, self.headers, self.path, self.query = (
            client,
            key,
            headers,
            path,
            query,
        )

    def real_cursor(self) -> dict[str, Any]:
        first = self.client.get(self.path, params={**self.query, "limit": 1}, headers=self.headers)
        assert first.status_code == 200, (self.path, first.text)
        cursor = first.json()["next_cursor"]
        assert isinstance(cursor, str), f"{self.path} has a single page: no cursor to forge"
        real = unpack_cursor(cursor)
        assert set(real) == {"k", "f"}
        # Re-signing what the API signed gives its cursor back: the forgeries below differ
        # from a real cursor only in what they say.
        assert sign_cursor(self.key, real) == cursor
        return real

    def send(self, payload: Any) -> Any:
        cursor = sign_cursor(self.key, payload)
        params = {**self.query, "cursor": cursor}
        return self.client.get(self.path, params=params, headers=self.headers)

    def refused(self, response: Any) -> None:
        assert_problem(response, 400, self.path, "cursor", slug="invalid-cursor")


def test_cursors_signed_with_the_old_built_in_key_are_refused(
    client: TestClient, engine: Engine
) -> None:
    cursor = client.get("/v1/claims", params={"limit": 2}).json()["next_cursor"]
    real = unpack_cursor(cursor)
    assert stored_cursor_secret(engine) != b"elitekb-cursor-v1"
    old = sign_cursor(b"elitekb-cursor-v1", real)
    assert_problem(
        client.get("/v1/claims", params={"limit": 2, "cursor": old}),
        400,
        "/v1/claims",
        "not one this API issued",
        slug="invalid-cursor",
    )
    resigned = sign_cursor(stored_cursor_secret(engine), real)
    assert client.get("/v1/claims", params={"limit": 2, "cursor": resigned}).status_code == 200


def test_a_configured_secret_wins_over_the_stored_one(engine: Engine) -> None:
    app = create_app(engine, app_settings(cursor_secret="configured-for-this-deployment"))
    with TestClient(app, raise_server_exceptions=False) as client:
        cursor = client.get("/v1/persons", params={"limit": 2}).json()["next_cursor"]
        real = unpack_cursor(cursor)
        assert sign_cursor(b"configured-for-this-deployment", real) == cursor
        stored = sign_cursor(stored_cursor_secret(engine), real)
        assert client.get("/v1/persons", params={"cursor": stored}).status_code == 400
        assert client.get("/v1/persons", params={"cursor": cursor}).status_code == 200
