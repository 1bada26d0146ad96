"""What the change log and the version history show of moderated annotations, per reader.

A hidden annotation is a 404 to everyone but its creator and curators; the log must not tell
them more: no key ids, no flags, no edits, and its hide reads as a removal (a delete row) so a
tool that follows the log drops it. Flags are moderation data: only curators see who flagged.
Once deleted, an annotation's earlier content is for its creator and curators only.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.clients import Keys

READERS = ("anonymous", "bob", "alice", "carol")
Row = tuple[str, int, str | None]


def headers(keys: Keys, who: str) -> dict[str, str]:
    return {} if who == "anonymous" else keys[who]


def log_of(client: TestClient, keys: Keys, who: str, entity_id: str) -> list[Row]:
    """The log of one entity as `who` reads it, walked one row per page."""
    rows: list[Row] = []
    params: dict[str, Any] = {"entity_id": entity_id, "limit": 1}
    for _ in range(50):
        body = client.get("/v1/changes", params=params, headers=headers(keys, who)).json()
        rows += [(c["op"], c["version"], c["key_id"]) for c in body["items"]]
        if body["next_cursor"] is None:
            return rows
        params["cursor"] = body["next_cursor"]
    raise AssertionError("the log does not end")


def in_whole_log(client: TestClient, keys: Keys, who: str, entity_id: str) -> list[Row]:
    """The same entity's rows, picked out of the unfiltered log (one page of 500)."""
    for query in ({}, {"entity_type": "annotation"}):
        body = client.get(
            "/v1/changes", params={**query, "limit": 500}, headers=headers(keys, who)
        ).json()
        assert body["next_cursor"] is None
        rows = [
            (c["op"], c["version"], c["key_id"])
            for c in body["items"]
            if c["entity_id"] == entity_id
        ]
        if not query:
            whole = rows
        else:
            assert rows == whole
    return whole


def etag(client: TestClient, keys: Keys, who: str, annotation_id: str) -> str:
    return str(
        client.get(f"/v1/annotations/{annotation_id}", headers=headers(keys, who)).headers["etag"]
    )


def edit(client: TestClient, keys: Keys, who: str, annotation_id: str, body: str) -> None:
    response = client.patch(
        f"/v1/annotations/{annotation_id}",
        json={"body": body},
        headers={**keys[who], "If-Match": etag(client, keys, who, annotation_id)},
    )
    assert response.status_code == 200, response.text


def post(client: TestClient, keys: Keys, who: str, path: str, body: Any = None) -> None:
    response = client.post(path, json=body, headers=keys[who])
    assert response.status_code == 200, response.text


def test_the_log_of_a_hidden_annotation_per_reader(
    client: TestClient, keys: Keys, subtests: pytest.Subtests
) -> None:
    created = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "sergei-sobyanin"},
            "motivation": "commenting",
            "body": "Sobyanin's remark, quoted in full.",
        },
        headers=keys["alice"],
    )
    assert created.status_code == 201
    aid = created.json()["id"]
    url = f"/v1/annotations/{aid}"
    alice, bob, carol = keys.ids["alice"], keys.ids["bob"], keys.ids["carol"]

    post(client, keys, "bob", f"{url}/flag", {"reason": "insulting"})
    edit(client, keys, "alice", aid, "Sobyanin's remark, paraphrased.")
    post(client, keys, "carol", f"{url}/hide", {"reason": "abusive"})
    edit(client, keys, "alice", aid, "Rewritten while hidden: names a private person.")
    post(client, keys, "carol", f"{url}/flag", {"reason": "still abusive"})

    while_hidden: dict[str, list[Row]] = {
        "carol": [
            ("create", 1, alice),
            ("flag", 1, bob),
            ("update", 2, alice),
            ("hide", 3, carol),
            ("update", 4, alice),
            ("flag", 4, carol),
        ],
        # The creator sees the whole history, but not who flagged it.
        "alice": [
            ("create", 1, alice),
            ("flag", 1, None),
            ("update", 2, alice),
            ("hide", 3, carol),
            ("update", 4, alice),
            ("flag", 4, None),
        ],
        # Everyone else: it was created, then went, as a deleted annotation goes.
        "bob": [("create", 1, None), ("delete", 3, None)],
        "anonymous": [("create", 1, None), ("delete", 3, None)],
    }
    for who in READERS:
        with subtests.test("while hidden", reader=who):
            assert log_of(client, keys, who, aid) == while_hidden[who]
            assert in_whole_log(client, keys, who, aid) == while_hidden[who]
            status = client.get(url, headers=headers(keys, who)).status_code
            assert status == (200 if who in ("alice", "carol") else 404)

    post(client, keys, "carol", f"{url}/unhide")
    shown_again: dict[str, list[Row]] = {
        "carol": [*while_hidden["carol"], ("unhide", 5, carol)],
        "alice": [*while_hidden["alice"], ("unhide", 5, carol)],
        # What was public stays; what happened while hidden does not surface; the unhide
        # reads as the annotation appearing again. Only the flagger sees its own flag's key.
        "bob": [
            ("create", 1, alice),
            ("flag", 1, bob),
            ("update", 2, alice),
            ("delete", 3, None),
            ("create", 5, None),
        ],
        "anonymous": [
            ("create", 1, alice),
            ("flag", 1, None),
            ("update", 2, alice),
            ("delete", 3, None),
            ("create", 5, None),
        ],
    }
    for who in READERS:
        with subtests.test("shown again", reader=who):
            assert log_of(client, keys, who, aid) == shown_again[who]
            assert in_whole_log(client, keys, who, aid) == shown_again[who]
            assert client.get(url, headers=headers(keys, who)).status_code == 200


def test_flags_name_their_key_to_curators_and_the_flagger_only(
    client: TestClient, keys: Keys
) -> None:
    created = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "alexei-kudrin"},
            "motivation": "commenting",
            "body": "Kudrin resigned in 2011.",
        },
        headers=keys["alice"],
    )
    aid = created.json()["id"]
    post(client, keys, "bob", f"/v1/annotations/{aid}/flag", {"reason": "he was dismissed"})
    seen = {who: log_of(client, keys, who, aid)[1] for who in READERS}
    assert seen == {
        "anonymous": ("flag", 1, None),
        "bob": ("flag", 1, keys.ids["bob"]),
        "alice": ("flag", 1, None),
        "carol": ("flag", 1, keys.ids["bob"]),
    }
    # The count is part of the annotation, the same for every reader (and its ETag).
    assert {
        who: client.get(f"/v1/annotations/{aid}", headers=headers(keys, who)).json()["flag_count"]
        for who in READERS
    } == dict.fromkeys(READERS, 1)


def test_a_deleted_annotations_versions_keep_their_content_for_creator_and_curators(
    client: TestClient, keys: Keys, subtests: pytest.Subtests
) -> None:
    created = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "german-gref"},
            "motivation": "commenting",
            "body": "Gref, first draft.",
            "tags": ["sberbank"],
        },
        headers=keys["alice"],
    )
    aid = created.json()["id"]
    edit(client, keys, "alice", aid, "Gref, second draft.")
    versions_url = f"/v1/annotations/{aid}/versions"

    def versions(who: str) -> list[tuple[int, str, str, Any]]:
        items = client.get(versions_url, headers=headers(keys, who)).json()["items"]
        return [(v["version"], v["op"], v["key_id"], v["content"]) for v in items]

    def content(body: str | None, tags: list[str], deleted: bool) -> dict[str, Any]:
        return {
            "body": body,
            "tags": tags,
            "assessment": None,
            "links": [],
            "hidden": False,
            "hidden_reason": None,
            "deleted": deleted,
        }

    alice = keys.ids["alice"]
    full = [
        (1, "create", alice, content("Gref, first draft.", ["sberbank"], False)),
        (2, "update", alice, content("Gref, second draft.", ["sberbank"], False)),
    ]
    for who in READERS:
        with subtests.test("before the delete", reader=who):
            assert versions(who) == full

    response = client.delete(
        f"/v1/annotations/{aid}",
        headers={**keys["alice"], "If-Match": etag(client, keys, "alice", aid)},
    )
    assert response.status_code == 200
    full.append((3, "delete", alice, content(None, [], True)))
    without_content = [(n, op, key, None) for n, op, key, _ in full]
    expected = {"anonymous": without_content, "bob": without_content, "alice": full, "carol": full}
    for who in READERS:
        with subtests.test("after the delete", reader=who):
            assert versions(who) == expected[who]
            # Paging does not bring the content back.
            one = client.get(versions_url, params={"limit": 1}, headers=headers(keys, who)).json()
            assert [v["content"] for v in one["items"]] == [expected[who][0][3]]
