"""The change feed (`GET /v1/changes`), stored versions (`/versions`, `as_of=`) and 410 Gone.

Run on both backends through the app in process; the feed under concurrent writers across
real uvicorn processes is tests/e2e/test_feed_e2e.py.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from tests.api.test_curation import LAVROV
from tests.api.test_curation_claims import DEPUTY_PM, NOTE, claim_body
from tests.support.clients import Keys, app_settings
from tests.support.curation import CURATOR, GONE, etag, problem, with_etag

LISTS = {
    "person": "/v1/persons",
    "organization": "/v1/organizations",
    "role": "/v1/roles",
    "source": "/v1/sources",
    "claim": "/v1/claims",
}

# Fields a record holds as references and the API's shape expands (with names and counts).
JOINED = {"subjects", "attributed_to"}


def walk(
    client: TestClient, headers: dict[str, str] | None = None, *, after: int = 0, limit: int = 7
) -> tuple[list[dict[str, Any]], int]:
    """Every item after `after`, resuming each page with `after=last_seq` as a poller does
    (and checking the Link header says the same); returns the items and the last seq."""
    items: list[dict[str, Any]] = []
    for _ in range(1000):
        response = client.get(
            "/v1/changes", params={"after": after, "limit": limit}, headers=headers or {}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        link = response.headers["link"]
        items += body["items"]
        if body["items"]:
            assert body["last_seq"] == body["items"][-1]["seq"] or body["next_cursor"] is None
        assert body["last_seq"] >= after
        if not body["items"]:
            assert body["next_cursor"] is None
            assert f"after={body['last_seq']}" in link and 'rel="next"' in link
            return items, body["last_seq"]
        after = body["last_seq"]
    raise AssertionError("the feed does not end")


def ids_of(client: TestClient, path: str) -> set[str]:
    out: set[str] = set()
    params: dict[str, Any] = {"limit": 500}
    while True:
        body = client.get(path, params=params).json()
        out |= {item["id"] for item in body["items"]}
        if body["next_cursor"] is None:
            return out
        params["cursor"] = body["next_cursor"]


def create_lavrov(client: TestClient, keys: Keys) -> Any:
    response = client.post("/v1/persons", json=LAVROV, headers=keys[CURATOR])
    assert response.status_code == 201, response.text
    return response


def rename(client: TestClient, keys: Keys, name: str) -> Any:
    tag = etag(client, "/v1/persons/sergei-lavrov")
    response = client.patch(
        "/v1/persons/sergei-lavrov", json={"name": name}, headers=with_etag(keys, tag)
    )
    assert response.status_code == 200, response.text
    return response


def comment(client: TestClient, keys: Keys, person: str, body: str) -> Any:
    """Alice's comment on a person: the 201."""
    response = client.post(
        "/v1/annotations",
        json={"target": {"type": "person", "id": person}, "motivation": "commenting", "body": body},
        headers=keys["alice"],
    )
    assert response.status_code == 201, response.text
    return response


def delete_lavrov(client: TestClient, keys: Keys) -> None:
    tag = etag(client, "/v1/persons/sergei-lavrov")
    response = client.delete("/v1/persons/sergei-lavrov", headers=with_etag(keys, tag))
    assert response.status_code == 204, response.text


def head_seq(client: TestClient, keys: Keys) -> int:
    """The highest sequence number, as an admin (who sees every row) reads it."""
    body = client.get("/v1/changes", params={"after": 0, "limit": 1000}, headers=keys["admin"])
    return int(body.json()["last_seq"])


def test_replaying_the_feed_rebuilds_every_entity(client: TestClient, keys: Keys) -> None:
    create_lavrov(client, keys)
    rename(client, keys, "Sergey Lavrov")
    org = client.post(
        "/v1/organizations",
        json={"id": "mfa-russia", "name": "Ministry of Foreign Affairs", "kind": "state_body"},
        headers=keys[CURATOR],
    )
    assert org.status_code == 201, org.text
    role = client.post(
        "/v1/roles",
        json={**DEPUTY_PM, "person_id": "sergei-lavrov", "organization_id": "mfa-russia"},
        headers=keys[CURATOR],
    )
    assert role.status_code == 201, role.text
    role_id = role.json()["id"]
    gone = client.delete(f"/v1/roles/{role_id}", headers=with_etag(keys, role.headers["etag"]))
    assert gone.status_code == 204

    mirror: dict[tuple[str, str], Any] = {}
    items, last = walk(client)
    seqs = [item["seq"] for item in items]
    assert seqs == sorted(set(seqs))
    for item in items:
        key = (item["entity_type"], item["entity_id"])
        if item["op"] == "delete":
            assert item["document"] is None
            assert item["tombstone"] == {
                "type": item["entity_type"],
                "id": item["entity_id"],
                "deleted_at": item["at"],
                "version": item["version"],
            }
            del mirror[key]
        else:
            assert item["tombstone"] is None and item["document"]["version"] == item["version"]
            mirror[key] = item["document"]

    # The mirror holds exactly the entities the API lists, each as the API reads it now.
    for entity, path in LISTS.items():
        listed = ids_of(client, path)
        assert {i for t, i in mirror if t == entity} == listed, entity
        for entity_id in listed:
            record = client.get(f"{path}/{entity_id}", params={"as_of": last})
            assert record.status_code == 200
            assert record.json() == mirror[(entity, entity_id)]
            current = client.get(f"{path}/{entity_id}").json()
            stored = mirror[(entity, entity_id)]
            shared = set(stored) & set(current) - JOINED
            assert {k: stored[k] for k in shared} == {k: current[k] for k in shared}
            assert len(shared) >= 6, (entity, shared)
    assert mirror[("person", "sergei-lavrov")]["name"] == "Sergey Lavrov"
    assert mirror[("person", "sergei-lavrov")]["names"][0]["name"] == "Сергей Лавров"
    assert mirror[("person", "sergei-lavrov")]["identifiers"][0]["value"] == "Sergey_Lavrov"
    assert ("role", role_id) not in mirror
    assert mirror[("organization", "mfa-russia")]["kind"] == "state_body"
    # Nothing after the end: the same last_seq again, and its Link resumes there.
    again, last_again = walk(client, after=last)
    assert again == [] and last_again == last


def test_versions_and_as_of_after_a_chain_of_edits_and_a_delete(
    client: TestClient, keys: Keys
) -> None:
    before = head_seq(client, keys)
    create_lavrov(client, keys)
    first = client.get("/v1/persons/sergei-lavrov/versions").json()["items"]
    v1_seq = first[0]["seq"]
    time.sleep(1.05)  # change times are whole seconds: let as_of=<time> tell v1 from v2
    rename(client, keys, "Sergey Lavrov")
    rename(client, keys, "Sergey V. Lavrov")
    delete_lavrov(client, keys)

    versions = client.get("/v1/persons/sergei-lavrov/versions", params={"limit": 2})
    assert versions.status_code == 200
    page1 = versions.json()
    assert [(i["op"], i["version"]) for i in page1["items"]] == [("create", 1), ("update", 2)]
    page2 = client.get(
        "/v1/persons/sergei-lavrov/versions", params={"cursor": page1["next_cursor"], "limit": 2}
    ).json()
    items = page1["items"] + page2["items"]
    assert [(i["op"], i["version"]) for i in items] == [
        ("create", 1),
        ("update", 2),
        ("update", 3),
        ("delete", 3),
    ]
    assert [i["document"]["name"] for i in items[:3]] == [
        "Sergei Lavrov",
        "Sergey Lavrov",
        "Sergey V. Lavrov",
    ]
    assert items[3]["document"] is None and items[3]["tombstone"]["version"] == 3
    assert all(i["key_id"] == keys.ids[CURATOR] for i in items)

    # as_of= each version's sequence number: the bytes stored, with a stable ETag.
    for item in items[:3]:
        got = client.get("/v1/persons/sergei-lavrov", params={"as_of": item["seq"]})
        assert got.status_code == 200
        assert json.loads(got.content) == item["document"]
        again = client.get("/v1/persons/sergei-lavrov", params={"as_of": item["seq"]})
        assert again.content == got.content and again.headers["etag"] == got.headers["etag"]
        unchanged = client.get(
            "/v1/persons/sergei-lavrov",
            params={"as_of": item["seq"]},
            headers={"If-None-Match": got.headers["etag"]},
        )
        assert unchanged.status_code == 304
    # Between two versions: the earlier one. By time: the version current then.
    between = client.get("/v1/persons/sergei-lavrov", params={"as_of": items[2]["seq"] - 1})
    assert between.json()["version"] == 2
    by_time = client.get("/v1/persons/sergei-lavrov", params={"as_of": items[0]["at"]})
    assert by_time.json()["version"] == 1
    # Before it existed: 404; after its deletion: 410, naming when and its last version.
    problem(client.get("/v1/persons/sergei-lavrov", params={"as_of": before}), 404)
    problem(client.get("/v1/persons/sergei-lavrov", params={"as_of": v1_seq - 1}), 404)
    problem(client.get("/v1/persons/sergei-lavrov", params={"as_of": "2000-01-01T00:00:00Z"}), 404)
    after_delete = client.get("/v1/persons/sergei-lavrov", params={"as_of": items[3]["seq"]})
    body = problem(after_delete, 410, extra=GONE)
    assert body["deleted_at"] == items[3]["at"] and body["last_version"] == 3
    now = problem(client.get("/v1/persons/sergei-lavrov"), 410, extra=GONE)
    assert now["deleted_at"] == items[3]["at"] and now["last_version"] == 3
    problem(client.get("/v1/persons/sergei-lavrov/roles"), 410, extra=GONE)
    for bad in ("yesterday", "-1", "2026-11-27", "2026-11-27T09:05:00", "9" * 25):
        problem(client.get("/v1/persons/alexei-kudrin", params={"as_of": bad}), 422)
    problem(client.get("/v1/persons/nobody-at-all/versions"), 404)
    problem(client.get("/v1/persons/nobody-at-all"), 404)


def test_every_type_answers_410_once_deleted(client: TestClient, keys: Keys) -> None:
    create_lavrov(client, keys)
    source = client.post("/v1/sources", json=NOTE, headers=keys[CURATOR])
    assert source.status_code == 201, source.text
    claim = client.post(
        "/v1/claims",
        json=claim_body(subjects=[{"type": "person", "id": "sergei-lavrov"}]),
        headers=keys[CURATOR],
    )
    assert claim.status_code == 201, claim.text
    note = comment(client, keys, "sergei-lavrov", "A note.")
    paths = [
        (f"/v1/annotations/{note.json()['id']}", "alice", note.headers["etag"]),
        (f"/v1/claims/{claim.json()['id']}", CURATOR, claim.headers["etag"]),
        ("/v1/sources/kudrin-note", CURATOR, source.headers["etag"]),
    ]
    for path, who, tag in paths:
        deleted = client.delete(path, headers={**keys[who], "If-Match": tag})
        assert deleted.status_code in (200, 204), (path, deleted.text)
        body = problem(client.get(path, headers=keys[who]), 410, extra=GONE)
        assert body["last_version"] >= 1 and body["deleted_at"].endswith("Z")
    delete_lavrov(client, keys)
    problem(client.get("/v1/persons/sergei-lavrov"), 410, extra=GONE)
    # Writes to what is gone are 410 as well.
    problem(
        client.patch(
            "/v1/persons/sergei-lavrov", json={"name": "X"}, headers=with_etag(keys, '"x"')
        ),
        410,
        extra=GONE,
    )


def _annotate_and_hide(client: TestClient, keys: Keys) -> str:
    aid = str(comment(client, keys, "sergei-sobyanin", "Names a private person.").json()["id"])
    hidden = client.post(f"/v1/annotations/{aid}/hide", json={"reason": "x"}, headers=keys[CURATOR])
    assert hidden.status_code == 200
    return aid


@pytest.mark.parametrize("reader", ["anonymous", "bob", "alice", "carol", "admin"])
def test_what_each_reader_sees_in_the_feed(client: TestClient, keys: Keys, reader: str) -> None:
    start = head_seq(client, keys)
    aid = _annotate_and_hide(client, keys)
    new_key = client.post(
        "/v1/keys", json={"name": "dana", "scopes": ["annotate"]}, headers=keys["admin"]
    )
    assert new_key.status_code == 201, new_key.text
    secret = new_key.json()["secret"]
    headers = {} if reader == "anonymous" else keys[reader]
    items, _ = walk(client, headers, after=start)
    note = [(i["op"], i["document"] is not None, i["tombstone"] is not None)
            for i in items if i["entity_id"] == aid]  # fmt: skip
    keyrows = [i for i in items if i["entity_type"] == "api_key"]
    if reader in ("anonymous", "bob"):
        # It appeared (without content) and went as a tombstone; its content never shows.
        assert note == [("create", False, False), ("delete", False, True)]
        assert "Names a private person" not in json.dumps(items)
    else:
        assert note == [("create", True, False), ("hide", True, False)]
        first = next(i for i in items if i["entity_id"] == aid)
        assert first["document"]["body"] == "Names a private person."
    if reader == "admin":
        assert [(r["entity_id"], r["op"]) for r in keyrows] == [(new_key.json()["id"], "create")]
        assert keyrows[0]["document"]["name"] == "dana"
        assert "secret" not in keyrows[0]["document"]
        assert secret not in json.dumps(items)
        assert keyrows[0]["document"]["hint"] in secret
    else:
        assert keyrows == []
    assert secret not in json.dumps(items)


def test_the_feed_needs_a_key_when_reads_are_not_public(engine: Engine, keys: Keys) -> None:
    app = create_app(engine, app_settings(public_read=False))
    with TestClient(app) as private:
        problem(private.get("/v1/changes"), 401)
        problem(private.get("/v1/changes", params={"wait": 1, "after": 10**9}), 401)
        problem(private.get("/v1/persons/alexei-kudrin/versions"), 401)
        problem(private.get("/v1/persons/alexei-kudrin", params={"as_of": 1}), 401)
        assert private.get("/v1/changes", headers=keys["bob"]).status_code == 200


def test_long_poll_returns_when_a_change_commits(client: TestClient, keys: Keys) -> None:
    head = head_seq(client, keys)
    started = time.monotonic()
    empty = client.get("/v1/changes", params={"after": head, "wait": 0.3})
    waited = time.monotonic() - started
    assert empty.status_code == 200
    assert empty.json() == {"items": [], "next_cursor": None, "last_seq": head}
    assert waited >= 0.3
    assert f"after={head}" in empty.headers["link"]

    got: list[Any] = []

    def follow() -> None:
        got.append(client.get("/v1/changes", params={"after": head, "wait": 20}))

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.3)
    assert got == []  # still waiting
    create_lavrov(client, keys)
    follower.join(timeout=10)
    assert not follower.is_alive()
    body = got[0].json()
    assert [(i["entity_id"], i["op"], i["seq"]) for i in body["items"]] == [
        ("sergei-lavrov", "create", head + 1)
    ]
    assert body["last_seq"] == head + 1


def test_feed_parameters_are_checked(client: TestClient) -> None:
    for params in ({"after": -1}, {"wait": 31}, {"wait": -1}, {"limit": 1001}, {"after": "x"}):
        problem(client.get("/v1/changes", params=params), 422)
    # A cursor is bound to the `after` it was issued with.
    first = client.get("/v1/changes", params={"after": 3, "limit": 2}).json()
    assert [i["seq"] for i in first["items"]] == [4, 5]
    problem(
        client.get("/v1/changes", params={"after": 4, "limit": 2, "cursor": first["next_cursor"]}),
        400,
    )
    following = client.get(
        "/v1/changes", params={"after": 3, "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [i["seq"] for i in following["items"]] == [6, 7]


def test_an_annotations_as_of_follows_its_visibility(client: TestClient, keys: Keys) -> None:
    created = comment(client, keys, "german-gref", "First wording.")
    aid = created.json()["id"]
    url = f"/v1/annotations/{aid}"
    v1 = head_seq(client, keys)
    edited = client.patch(
        url, json={"body": "Second wording."},
        headers={**keys["alice"], "If-Match": created.headers["etag"]},
    )  # fmt: skip
    assert edited.status_code == 200
    v2 = head_seq(client, keys)
    for who in ("anonymous", "bob", "alice", "carol"):
        headers = {} if who == "anonymous" else keys[who]
        first = client.get(url, params={"as_of": v1}, headers=headers)
        assert (first.status_code, first.json()["body"]) == (200, "First wording."), who
        assert client.get(url, params={"as_of": v2}, headers=headers).json()["version"] == 2
    hidden = client.post(f"{url}/hide", json={"reason": "x"}, headers=keys[CURATOR])
    assert hidden.status_code == 200
    # Hidden now: its earlier versions too are 404 to all but its creator and curators.
    for who in ("anonymous", "bob"):
        headers = {} if who == "anonymous" else keys[who]
        problem(client.get(url, params={"as_of": v1}, headers=headers), 404)
    for who in ("alice", "carol"):
        got = client.get(url, params={"as_of": v1}, headers=keys[who])
        assert got.json()["body"] == "First wording."
    unhidden = client.post(f"{url}/unhide", headers=keys[CURATOR])
    assert unhidden.status_code == 200
    # Visible again, but the version written while hidden stays out of others' reach.
    problem(client.get(url, params={"as_of": v2 + 1}), 404)
    assert client.get(url, params={"as_of": v2 + 1}, headers=keys["alice"]).json()["hidden"]
    assert client.get(url, params={"as_of": v1}).json()["body"] == "First wording."
    gone = client.delete(url, headers={**keys["alice"], "If-Match": unhidden.headers["etag"]})
    assert gone.status_code == 200
    problem(client.get(url, params={"as_of": v1}), 410, extra=GONE)
    assert client.get(url, params={"as_of": v1}, headers=keys["alice"]).status_code == 200
    problem(client.get(url, params={"as_of": head_seq(client, keys)}, headers=keys["alice"]),
            410, extra=GONE)  # fmt: skip
