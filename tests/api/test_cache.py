"""The representation cache in one process (app/api/cache.py): an anonymous GET made twice
runs its queries once and answers the same bytes, headers and conditional requests; keyed
reads and other methods never share its bodies; any write moves every body on.
(tests/e2e/test_cache_e2e.py checks the same across two server processes.)"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.support.clients import Keys

PERSON = "/v1/persons/elvira-nabiullina"


def statements(engine: Engine) -> list[str]:
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    return sent


def test_a_repeated_read_runs_no_query(client: TestClient, engine: Engine) -> None:
    first = client.get(PERSON)
    sent = statements(engine)
    again = client.get(PERSON)
    assert sent == []
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == "application/json"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert client.get(PERSON, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    head = client.head(PERSON)
    assert (head.status_code, head.content, head.headers["etag"]) == (
        200,
        b"",
        first.headers["etag"],
    )
    assert sent == []


def test_a_cached_page_keeps_its_link(client: TestClient, engine: Engine) -> None:
    first = client.get("/v1/claims?limit=2")
    sent = statements(engine)
    again = client.get("/v1/claims?limit=2")
    assert sent == []
    assert again.content == first.content
    assert again.headers["link"] == first.headers["link"]
    assert 'rel="next"' in again.headers["link"]


def test_keys_and_writes_do_not_share_anonymous_bodies(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    made = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "elvira-nabiullina"},
            "motivation": "commenting",
            "body": "only its creator will see this once hidden",
        },
        headers=keys["alice"],
    )
    assert made.status_code == 201, made.text
    hidden = client.post(
        f"/v1/annotations/{made.json()['id']}/hide", json={"reason": "x"}, headers=keys["carol"]
    )
    assert hidden.status_code == 200, hidden.text
    url = "/v1/persons/elvira-nabiullina/annotations"
    assert client.get(url).json()["items"] == []
    client.get(url)  # cached now
    mine = client.get(url, headers=keys["alice"]).json()["items"]
    assert [a["id"] for a in mine] == [made.json()["id"]]
    assert client.get(url).json()["items"] == []
    # A write anywhere moves every body on: the person's annotation count reads again.
    before = client.get(PERSON).json()
    shown = client.post(f"/v1/annotations/{made.json()['id']}/unhide", headers=keys["carol"])
    assert shown.status_code == 200, shown.text
    assert client.get(PERSON).json()["annotation_count"] == before["annotation_count"] + 1
    assert [a["id"] for a in client.get(url).json()["items"]] == [made.json()["id"]]
