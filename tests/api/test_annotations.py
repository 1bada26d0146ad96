"""The annotation life cycle over HTTP: create, read, reply, edit with If-Match, stale edits,
delete (tombstones), versions, flags, and what each kind of reader sees once hidden."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import SOURCE_ID, canonical_text, claim_id
from tests.support.clients import Keys

ABYSS = claim_id("five-realize-putin-leading-into-abyss")


def create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/v1/annotations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def comment(client: TestClient, keys: Keys, who: str, target: tuple[str, str], text: str) -> str:
    data = create(
        client,
        keys[who],
        target={"type": target[0], "id": target[1]},
        motivation="commenting",
        body=text,
    )
    return str(data["id"])


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def versions_at(client: TestClient, annotation_id: str) -> list[str]:
    items = client.get(f"/v1/annotations/{annotation_id}/versions").json()["items"]
    return [v["at"] for v in items]


def changes(
    client: TestClient, entity_id: str, headers: dict[str, str] | None = None
) -> list[tuple[str, int, str | None]]:
    items = client.get(f"/v1/changes?entity_id={entity_id}", headers=headers).json()["items"]
    return [(c["op"], c["version"], c["key_id"]) for c in items]


def test_create_answers_201_with_location_etag_and_the_stored_annotation(
    client: TestClient, keys: Keys
) -> None:
    response = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "claim", "id": ABYSS},
            "motivation": "assessing",
            "body": "'Almost certainly' is the author's inference.",
            "tags": ["Inference", "loyalty", "inference"],
            "assessment": {"verdict": "unverifiable", "confidence": 0.7},
        },
        headers=keys["alice"],
    )
    assert response.status_code == 201
    created = response.json()
    aid = created["id"]
    assert aid.startswith("ann_") and len(aid) == 20
    assert response.headers["location"] == f"/v1/annotations/{aid}"
    assert created == {
        "id": aid,
        "target": {"type": "claim", "id": ABYSS, "selector": None},
        "motivation": "assessing",
        "body": "'Almost certainly' is the author's inference.",
        "tags": ["inference", "loyalty"],
        "assessment": {"verdict": "unverifiable", "confidence": 0.7},
        "links": [],
        "creator": {"id": keys.ids["alice"], "name": "alice"},
        "thread_id": aid,
        "reply_count": 0,
        "flag_count": 0,
        "hidden": False,
        "hidden_reason": None,
        "deleted": False,
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
        "deleted_at": None,
        "version": 1,
    }
    got = client.get(f"/v1/annotations/{aid}")
    assert got.json() == created
    assert got.headers["etag"] == response.headers["etag"]
    assert changes(client, aid) == [("create", 1, keys.ids["alice"])]
    versions = client.get(f"/v1/annotations/{aid}/versions").json()["items"]
    assert [(v["version"], v["op"], v["key_id"]) for v in versions] == [
        (1, "create", keys.ids["alice"])
    ]
    assert versions[0]["content"] == {
        "body": "'Almost certainly' is the author's inference.",
        "tags": ["inference", "loyalty"],
        "assessment": {"verdict": "unverifiable", "confidence": 0.7},
        "links": [],
        "hidden": False,
        "hidden_reason": None,
        "deleted": False,
    }
    # The claim and the persons it is about count it.
    assert client.get(f"/v1/claims/{ABYSS}").json()["annotation_count"] == 1
    assert client.get("/v1/persons/alexei-kudrin").json()["annotation_count"] == 1
    listed = client.get("/v1/persons/elvira-nabiullina/annotations").json()["items"]
    assert [a["id"] for a in listed] == [aid]


def test_selector_quote_is_filled_in_and_checked(client: TestClient, keys: Keys) -> None:
    text = canonical_text()
    start = text.index("almost certainly realize")
    end = start + len("almost certainly realize")
    data = create(
        client,
        keys["alice"],
        target={"type": "source", "id": SOURCE_ID, "selector": {"start": start, "end": end}},
        motivation="questioning",
        body="On what evidence?",
    )
    assert data["target"]["selector"] == {
        "start": start,
        "end": end,
        "quote": "almost certainly realize",
        "prefix": text[start - 32 : start],
        "suffix": text[end : end + 32],
    }
    assert client.get(f"/v1/sources/{SOURCE_ID}").json()["annotation_count"] == 1

    before = client.get("/v1/changes?entity_type=annotation").json()["items"]
    wrong = client.post(
        "/v1/annotations",
        json={
            "target": {
                "type": "source",
                "id": SOURCE_ID,
                "selector": {"start": start, "end": end, "quote": "almost surely realize"},
            },
            "motivation": "questioning",
            "body": "?",
        },
        headers=keys["alice"],
    )
    assert wrong.status_code == 422
    assert "'almost surely realize'" in wrong.json()["detail"]
    assert "'almost certainly realize'" in wrong.json()["detail"]
    outside = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "source", "id": SOURCE_ID, "selector": {"start": 4490, "end": 4501}},
            "motivation": "commenting",
            "body": "?",
        },
        headers=keys["alice"],
    )
    assert outside.status_code == 422
    assert "length 4500" in outside.json()["detail"]
    on_person = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "german-gref", "selector": {"start": 0, "end": 3}},
            "motivation": "commenting",
            "body": "?",
        },
        headers=keys["alice"],
    )
    assert on_person.status_code == 422
    assert client.get("/v1/changes?entity_type=annotation").json()["items"] == before


def test_motivation_rules_and_unknown_targets(client: TestClient, keys: Keys) -> None:
    cases = [
        ({"motivation": "assessing", "body": "x"}, 422, "needs an assessment"),
        (
            {
                "motivation": "commenting",
                "body": "x",
                "assessment": {"verdict": "disputed", "confidence": 1},
            },
            422,
            "only allowed with motivation 'assessing'",
        ),
        ({"motivation": "linking"}, 422, "needs at least one link"),
        ({"motivation": "linking", "links": ["javascript:alert(1)"]}, 422, "links"),
        ({"motivation": "linking", "links": ["ftp://example.org/x"]}, 422, "links"),
        ({"motivation": "tagging"}, 422, "needs at least one tag"),
        ({"motivation": "commenting"}, 422, "needs a body"),
        ({"motivation": "replying", "body": "x"}, 422, "target of type 'annotation'"),
        ({"motivation": "commenting", "body": "x", "colour": "red"}, 422, "colour"),
        ({"motivation": "commenting", "body": "a\u0000b"}, 422, "NUL"),
        ({"motivation": "commenting", "body": "a\ud800b"}, 422, "surrogate"),
        ({"motivation": "commenting", "body": "x" * 10_001}, 422, "body"),
        ({"motivation": "commenting", "body": "x", "tags": ["t"] * 21}, 422, "tags"),
    ]
    for body, status, mention in cases:
        # json.dumps escapes to ASCII, so NUL and lone surrogates travel as \u escapes.
        response = client.post(
            "/v1/annotations",
            content=json.dumps({"target": {"type": "person", "id": "german-gref"}, **body}),
            headers={**keys["alice"], "Content-Type": "application/json"},
        )
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert mention in response.text, (body, response.text)
    missing = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "claim", "id": "clm_nosuchclaim"},
            "motivation": "commenting",
            "body": "x",
        },
        headers=keys["alice"],
    )
    assert missing.status_code == 404
    assert "claim 'clm_nosuchclaim'" in missing.json()["detail"]
    linked = create(
        client,
        keys["alice"],
        target={"type": "organization", "id": "sberbank"},
        motivation="linking",
        links=["https://www.sberbank.com/en/about"],
    )
    assert linked["links"] == ["https://www.sberbank.com/en/about"]
    assert client.get("/v1/organizations/sberbank").json()["annotation_count"] == 1
    logged = client.get("/v1/changes?entity_type=annotation").json()["items"]
    assert [(c["entity_id"], c["op"], c["key_id"]) for c in logged] == [
        (linked["id"], "create", keys.ids["alice"])
    ]


def test_replies_form_threads(client: TestClient, keys: Keys) -> None:
    root = comment(client, keys, "alice", ("person", "german-gref"), "Gref stayed at Sberbank.")
    reply = create(
        client,
        keys["bob"],
        target={"type": "annotation", "id": root},
        motivation="replying",
        body="Source?",
    )
    nested = create(
        client,
        keys["alice"],
        target={"type": "annotation", "id": reply["id"]},
        motivation="replying",
        body="Sberbank annual report 2023.",
    )
    assert reply["thread_id"] == root and nested["thread_id"] == root
    assert client.get(f"/v1/annotations/{root}").json()["reply_count"] == 1
    assert client.get(f"/v1/annotations/{reply['id']}").json()["reply_count"] == 1
    replies = client.get(f"/v1/annotations/{root}/replies").json()["items"]
    assert [r["id"] for r in replies] == [reply["id"]]
    thread = client.get(f"/v1/annotations?thread={root}").json()["items"]
    assert [a["id"] for a in thread] == [root, reply["id"], nested["id"]]
    assert client.get(f"/v1/annotations/{root}/replies?limit=1").json()["next_cursor"] is None


def test_edit_needs_if_match_and_the_current_etag(client: TestClient, keys: Keys) -> None:
    aid = comment(client, keys, "alice", ("person", "alexei-kudrin"), "first")
    url = f"/v1/annotations/{aid}"
    etag = client.get(url).headers["etag"]

    missing = client.patch(url, json={"body": "second"}, headers=keys["alice"])
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["detail"]

    ok = client.patch(
        url, json={"body": "second", "tags": ["x"]}, headers={**keys["alice"], "If-Match": etag}
    )
    assert ok.status_code == 200
    assert (ok.json()["body"], ok.json()["tags"], ok.json()["version"]) == ("second", ["x"], 2)
    assert ok.headers["etag"] == client.get(url).headers["etag"] != etag

    stale = client.patch(url, json={"body": "third"}, headers={**keys["alice"], "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["etag"] == ok.headers["etag"]
    assert ok.headers["etag"] in stale.json()["detail"]

    other = client.patch(
        url, json={"body": "mine now"}, headers={**keys["bob"], "If-Match": ok.headers["etag"]}
    )
    assert other.status_code == 403
    assert keys.ids["alice"] in other.json()["detail"]

    curator = client.patch(
        url, json={"body": "moderated"}, headers={**keys["carol"], "If-Match": ok.headers["etag"]}
    )
    assert curator.status_code == 200
    assert curator.json()["creator"]["id"] == keys.ids["alice"]

    same = client.patch(
        url,
        json={"body": "moderated"},
        headers={**keys["alice"], "If-Match": curator.headers["etag"]},
    )
    assert same.status_code == 200 and same.json()["version"] == 3

    immutable = client.patch(
        url, json={"motivation": "tagging"}, headers={**keys["alice"], "If-Match": "*"}
    )
    assert immutable.status_code == 422
    assert client.get(url).json()["body"] == "moderated"
    assert changes(client, aid) == [
        ("create", 1, keys.ids["alice"]),
        ("update", 2, keys.ids["alice"]),
        ("update", 3, keys.ids["carol"]),
    ]
    versions = client.get(f"{url}/versions").json()["items"]
    assert [(v["version"], v["content"]["body"]) for v in versions] == [
        (1, "first"),
        (2, "second"),
        (3, "moderated"),
    ]


def test_delete_leaves_a_tombstone_and_the_replies(client: TestClient, keys: Keys) -> None:
    root = comment(client, keys, "alice", ("claim", ABYSS), "to be withdrawn")
    reply = create(
        client,
        keys["bob"],
        target={"type": "annotation", "id": root},
        motivation="replying",
        body="why?",
    )
    url = f"/v1/annotations/{root}"
    assert client.delete(url, headers=keys["alice"]).status_code == 428
    assert client.delete(url, headers={**keys["bob"], "If-Match": "*"}).status_code == 403
    gone = client.delete(
        url, headers={**keys["alice"], "If-Match": client.get(url).headers["etag"]}
    )
    assert gone.status_code == 200
    tomb = gone.json()
    # Read again, it is gone: 410 with when it went and its last version.
    went = client.get(url)
    assert went.status_code == 410
    assert (went.json()["deleted_at"], went.json()["last_version"]) == (tomb["deleted_at"], 2)
    assert (tomb["deleted"], tomb["body"], tomb["tags"], tomb["version"]) == (True, None, [], 2)
    assert tomb["deleted_at"] == tomb["updated_at"] == versions_at(client, root)[-1]
    assert tomb["reply_count"] == 1
    assert client.get(f"/v1/annotations/{reply['id']}").json()["body"] == "why?"
    assert [r["id"] for r in client.get(f"{url}/replies").json()["items"]] == [reply["id"]]
    listed = [
        a["id"]
        for a in client.get(f"/v1/annotations?target_type=claim&target_id={ABYSS}").json()["items"]
    ]
    assert listed == []
    with_tombs = client.get(
        f"/v1/annotations?target_type=claim&target_id={ABYSS}&include_deleted=true"
    )
    assert [a["id"] for a in with_tombs.json()["items"]] == [root]
    assert client.get(f"/v1/claims/{ABYSS}").json()["annotation_count"] == 0
    again = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "annotation", "id": root},
            "motivation": "replying",
            "body": "late",
        },
        headers=keys["bob"],
    )
    assert again.status_code == 409
    edit = client.patch(url, json={"body": "back"}, headers={**keys["alice"], "If-Match": "*"})
    assert edit.status_code == 409
    # The creator still reads every version's content (others only that they existed:
    # tests/api/test_moderation_privacy.py).
    versions = client.get(f"{url}/versions", headers=keys["alice"]).json()["items"]
    assert [(v["op"], v["content"]["body"], v["content"]["deleted"]) for v in versions] == [
        ("create", "to be withdrawn", False),
        ("delete", None, True),
    ]
    assert changes(client, root) == [
        ("create", 1, keys.ids["alice"]),
        ("delete", 2, keys.ids["alice"]),
    ]


def test_flag_and_hide_decide_who_sees_what(client: TestClient, keys: Keys) -> None:
    aid = comment(client, keys, "alice", ("person", "sergei-sobyanin"), "a rude remark")
    url = f"/v1/annotations/{aid}"
    flagged = client.post(f"{url}/flag", json={"reason": "insulting"}, headers=keys["bob"])
    assert flagged.status_code == 200 and flagged.json()["flag_count"] == 1
    assert (
        client.post(f"{url}/flag", json={"reason": "again"}, headers=keys["bob"]).status_code == 409
    )
    assert client.post(f"{url}/flag", json={"reason": "x"}).status_code == 401
    assert [a["id"] for a in client.get("/v1/annotations?flagged=true").json()["items"]] == [aid]

    assert (
        client.post(f"{url}/hide", json={"reason": "abusive"}, headers=keys["bob"]).status_code
        == 403
    )
    hidden = client.post(f"{url}/hide", json={"reason": "abusive"}, headers=keys["carol"])
    assert hidden.status_code == 200
    assert (hidden.json()["hidden"], hidden.json()["hidden_reason"]) == (True, "abusive")
    assert client.post(f"{url}/hide", headers=keys["carol"]).status_code == 409

    seen = {
        who: client.get(url, headers=keys[who] if who != "anonymous" else {}).status_code
        for who in ("anonymous", "bob", "alice", "carol")
    }
    assert seen == {"anonymous": 404, "bob": 404, "alice": 200, "carol": 200}
    listing = "/v1/annotations?target_type=person&target_id=sergei-sobyanin"
    listed = {
        who: [
            a["id"]
            for a in client.get(listing, headers=keys[who] if who != "anonymous" else {}).json()[
                "items"
            ]
        ]
        for who in ("anonymous", "bob", "alice", "carol")
    }
    assert listed == {"anonymous": [], "bob": [], "alice": [aid], "carol": [aid]}
    assert client.get("/v1/persons/sergei-sobyanin").json()["annotation_count"] == 0
    assert client.get("/v1/persons/sergei-sobyanin/annotations").json()["items"] == []
    # A hidden annotation cannot be replied to by those who cannot see it.
    reply = client.post(
        "/v1/annotations",
        json={"target": {"type": "annotation", "id": aid}, "motivation": "replying", "body": "x"},
        headers=keys["bob"],
    )
    assert reply.status_code == 404

    shown = client.post(f"{url}/unhide", headers=keys["carol"])
    assert shown.status_code == 200 and shown.json()["hidden"] is False
    assert client.get(url).status_code == 200
    assert changes(client, aid, keys["carol"]) == [
        ("create", 1, keys.ids["alice"]),
        ("flag", 1, keys.ids["bob"]),
        ("hide", 2, keys.ids["carol"]),
        ("unhide", 3, keys.ids["carol"]),
    ]
    # Others see it go and come back, and not who flagged or moderated it.
    assert changes(client, aid) == [
        ("create", 1, keys.ids["alice"]),
        ("flag", 1, None),
        ("delete", 2, None),
        ("create", 3, None),
    ]
    ops = [v["op"] for v in client.get(f"{url}/versions").json()["items"]]
    assert ops == ["create", "hide", "unhide"]


def test_list_filters(client: TestClient, keys: Keys) -> None:
    a = create(
        client,
        keys["alice"],
        target={"type": "claim", "id": ABYSS},
        motivation="assessing",
        tags=["loyalty"],
        assessment={"verdict": "disputed", "confidence": 0.4},
    )["id"]
    b = create(
        client,
        keys["bob"],
        target={"type": "person", "id": "german-gref"},
        motivation="tagging",
        tags=["Banker"],
    )["id"]
    c = comment(client, keys, "bob", ("claim", ABYSS), "agree")

    def ids(query: str) -> list[str]:
        response = client.get(f"/v1/annotations?{query}")
        assert response.status_code == 200, response.text
        return [x["id"] for x in response.json()["items"]]

    assert ids("") == [a, b, c]
    assert ids(f"target_type=claim&target_id={ABYSS}") == [a, c]
    assert ids("tag=banker") == [b]
    assert ids("tag=LOYALTY") == [a]
    assert ids("motivation=commenting") == [c]
    assert ids(f"creator={keys.ids['bob']}") == [b, c]
    assert ids("verdict=disputed") == [a]
    assert ids("verdict=supported") == []
    assert ids("limit=2") == [a, b]
    page = client.get("/v1/annotations?limit=2").json()
    assert [
        x["id"]
        for x in client.get(f"/v1/annotations?limit=2&cursor={page['next_cursor']}").json()["items"]
    ] == [c]
    assert client.get("/v1/annotations?motivation=shouting").status_code == 422


def test_keys_scopes_and_revocation(client: TestClient, keys: Keys) -> None:
    assert client.get("/v1/keys", headers=keys["carol"]).status_code == 403
    made = client.post(
        "/v1/keys", json={"name": "desk", "scopes": ["annotate"]}, headers=keys["admin"]
    )
    assert made.status_code == 201
    secret, key_id = made.json()["secret"], made.json()["id"]
    assert secret.startswith("ekb_") and made.headers["cache-control"] == "no-store"
    assert made.headers["location"] == f"/v1/keys/{key_id}"
    listed = client.get("/v1/keys", headers=keys["admin"]).json()["items"]
    assert sorted(k["name"] for k in listed) == ["admin", "alice", "bob", "carol", "desk"]
    assert secret not in client.get("/v1/keys", headers=keys["admin"]).text
    assert all("secret" not in k for k in listed)

    auth = {"Authorization": f"Bearer {secret}"}
    assert comment(
        client, Keys({"d": key_id}, {"d": secret}), "d", ("person", "german-gref"), "hello"
    )
    started = utc_now_iso()
    revoked = client.delete(f"/v1/keys/{key_id}", headers=keys["admin"])
    assert revoked.status_code == 200
    assert started <= revoked.json()["revoked_at"] <= utc_now_iso()
    after = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "german-gref"},
            "motivation": "commenting",
            "body": "x",
        },
        headers=auth,
    )
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == 'Bearer realm="elitekb"'
    assert f"{key_id} has been revoked" in after.json()["detail"]
    assert secret not in after.text
    assert client.delete(f"/v1/keys/{key_id}", headers=keys["admin"]).status_code == 409

    for bad in ("Bearer ekb_not-a-key", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer"):
        response = client.post("/v1/annotations", json={}, headers={"Authorization": bad})
        assert response.status_code == 401, bad
        assert "ekb_not-a-key" not in response.text
    # API-key rows of the log reach admin keys only.
    assert changes(client, key_id) == []
    assert changes(client, key_id, keys["carol"]) == []
    assert changes(client, key_id, keys["admin"]) == [
        ("create", 1, keys.ids["admin"]),
        ("revoke", 2, keys.ids["admin"]),
    ]
