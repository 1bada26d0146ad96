"""Curation writes over HTTP, persons and organisations: create, edit with If-Match, delete
(refused while referenced), scopes, input validation, and that refused writes change nothing.
Roles, sources and claims are in test_curation_claims.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import name_forms, seed_persons
from tests.support.clients import Keys
from tests.support.curation import (
    ANNOTATOR,
    CURATOR,
    GONE,
    REFERENCES,
    changes,
    created,
    etag,
    problem,
    seed_references,
    whole_log,
    with_etag,
)

LAVROV_NAMES = [
    {
        "name": "Сергей Лавров",
        "lang": "ru",
        "script": "Cyrl",
        "kind": "original",
        "scheme": None,
        "provenance": "curator: reference knowledge",
    },
    {
        "name": "Sergey Lavrov",
        "lang": "ru-Latn",
        "script": "Latn",
        "kind": "transliteration",
        "scheme": "bgn_pcgn",
        "provenance": "curator: reference knowledge (BGN/PCGN romanization)",
    },
]
LAVROV = {
    "id": "sergei-lavrov",
    "name": "Sergei Lavrov",
    "description": "Minister of Foreign Affairs of the Russian Federation.",
    "names": LAVROV_NAMES,
    "identifiers": [{"scheme": "enwiki", "value": "Sergey_Lavrov"}],
}


def create_lavrov(client: TestClient, keys: Keys) -> dict[str, Any]:
    return created(client.post("/v1/persons", json=LAVROV, headers=keys[CURATOR]), "/v1/persons")


def test_create_person(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/persons", json=LAVROV, headers=keys[CURATOR])
    body = created(response, "/v1/persons")
    assert response.headers["location"] == "/v1/persons/sergei-lavrov"
    assert body == {
        "id": "sergei-lavrov",
        "name": "Sergei Lavrov",
        "description": "Minister of Foreign Affairs of the Russian Federation.",
        "birth_date": None,
        "names": LAVROV_NAMES,
        "identifiers": [
            {
                "scheme": "enwiki",
                "value": "Sergey_Lavrov",
                "url": "https://en.wikipedia.org/wiki/Sergey_Lavrov",
            }
        ],
        "roles": [],
        "claim_counts": {"total": 0, "by_kind": {}},
        "annotation_count": 0,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
        "version": 1,
    }
    got = client.get("/v1/persons/sergei-lavrov")
    assert got.json() == body
    assert got.headers["etag"] == response.headers["etag"]
    assert changes(client, "person", "sergei-lavrov") == [("create", 1)]
    log = client.get("/v1/changes?entity_id=sergei-lavrov").json()["items"]
    assert [(c["key_id"], c["origin"]) for c in log] == [(keys.ids[CURATOR], "api")]
    # The name forms are searchable at once, in any script.
    found = client.get("/v1/persons", params={"q": "лавров"}).json()["items"]
    assert [p["id"] for p in found] == ["sergei-lavrov"]


def test_edit_person_needs_the_current_etag(client: TestClient, keys: Keys) -> None:
    first = create_lavrov(client, keys)
    tag = etag(client, "/v1/persons/sergei-lavrov")
    patch = {"description": "Russia's foreign minister since 2004.", "names": LAVROV_NAMES[:1]}

    missing = client.patch("/v1/persons/sergei-lavrov", json=patch, headers=keys[CURATOR])
    problem(missing, 428, "If-Match")
    stale = client.patch(
        "/v1/persons/sergei-lavrov", json=patch, headers=with_etag(keys, '"0123456789abcdef"')
    )
    problem(stale, 412, tag)
    assert stale.headers["etag"] == tag
    assert client.get("/v1/persons/sergei-lavrov").json() == first

    done = client.patch("/v1/persons/sergei-lavrov", json=patch, headers=with_etag(keys, tag))
    assert done.status_code == 200, done.text
    edited = done.json()
    assert edited["version"] == 2
    assert edited["description"] == "Russia's foreign minister since 2004."
    assert edited["names"] == LAVROV_NAMES[:1]
    # Left out of the PATCH, so kept.
    assert edited["name"] == "Sergei Lavrov"
    assert [i["value"] for i in edited["identifiers"]] == ["Sergey_Lavrov"]
    got = client.get("/v1/persons/sergei-lavrov")
    assert got.json() == edited
    assert got.headers["etag"] == done.headers["etag"] != tag
    assert changes(client, "person", "sergei-lavrov") == [("create", 1), ("update", 2)]

    # The old ETag is stale now.
    again = client.patch(
        "/v1/persons/sergei-lavrov", json={"name": "S. Lavrov"}, headers=with_etag(keys, tag)
    )
    problem(again, 412)
    assert again.headers["etag"] == done.headers["etag"]
    assert changes(client, "person", "sergei-lavrov") == [("create", 1), ("update", 2)]


def test_edit_that_changes_nothing_keeps_the_version(client: TestClient, keys: Keys) -> None:
    create_lavrov(client, keys)
    tag = etag(client, "/v1/persons/sergei-lavrov")
    same = {
        "name": "Sergei Lavrov",
        "names": LAVROV_NAMES,
        "identifiers": [{"scheme": "enwiki", "value": "Sergey_Lavrov"}],
    }
    response = client.patch("/v1/persons/sergei-lavrov", json=same, headers=with_etag(keys, tag))
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.headers["etag"] == tag
    empty = client.patch("/v1/persons/sergei-lavrov", json={}, headers=with_etag(keys, tag))
    assert empty.status_code == 200 and empty.headers["etag"] == tag
    assert changes(client, "person", "sergei-lavrov") == [("create", 1)]


def test_edit_a_seeded_person(client: TestClient, keys: Keys) -> None:
    tag = etag(client, "/v1/persons/german-gref")
    response = client.patch(
        "/v1/persons/german-gref",
        json={"identifiers": [{"scheme": "test_registry", "value": "gref-1"}]},
        headers=with_etag(keys, tag),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["identifiers"] == [{"scheme": "test_registry", "value": "gref-1", "url": None}]
    assert body["names"] == name_forms(seed_persons()["german-gref"])
    assert body["version"] == 2
    assert changes(client, "person", "german-gref") == [("create", 1), ("update", 2)]
    # The identifiers it gave up are free for another record.
    free = client.post(
        "/v1/persons",
        json={
            "id": "herman-gref-duplicate",
            "name": "X",
            "identifiers": [{"scheme": "enwiki", "value": "Herman_Gref"}],
        },
        headers=keys[CURATOR],
    )
    assert free.status_code == 201, free.text


def test_delete_person(client: TestClient, keys: Keys) -> None:
    create_lavrov(client, keys)
    tag = etag(client, "/v1/persons/sergei-lavrov")
    renamed = client.patch(
        "/v1/persons/sergei-lavrov", json={"name": "Sergey Lavrov"}, headers=with_etag(keys, tag)
    )
    assert renamed.status_code == 200
    problem(client.delete("/v1/persons/sergei-lavrov", headers=keys[CURATOR]), 428)
    problem(client.delete("/v1/persons/sergei-lavrov", headers=with_etag(keys, tag)), 412)

    gone = client.delete(
        "/v1/persons/sergei-lavrov", headers=with_etag(keys, renamed.headers["etag"])
    )
    assert gone.status_code == 204
    assert gone.content == b""
    problem(client.get("/v1/persons/sergei-lavrov"), 410, "'sergei-lavrov'", extra=GONE)
    assert client.get("/v1/persons", params={"q": "лавров"}).json()["items"] == []
    # Deleted with the last version it had.
    assert changes(client, "person", "sergei-lavrov") == [
        ("create", 1),
        ("update", 2),
        ("delete", 2),
    ]
    problem(
        client.delete("/v1/persons/sergei-lavrov", headers=with_etag(keys, "*")),
        410,
        "'sergei-lavrov'",
        extra=GONE,
    )
    # Its identifier went with it, and the id can be used again.
    create_lavrov(client, keys)
    assert changes(client, "person", "sergei-lavrov")[-1] == ("create", 1)


def test_delete_refused_while_referenced(client: TestClient, keys: Keys) -> None:
    before = whole_log(client)
    person = client.get("/v1/persons/alexei-kudrin")
    response = client.delete(
        "/v1/persons/alexei-kudrin", headers=with_etag(keys, person.headers["etag"])
    )
    body = problem(response, 409, "'alexei-kudrin'", "9 record(s)", extra=REFERENCES)
    expected = seed_references("person", "alexei-kudrin")
    # Seven claims are about Kudrin; he is Minister of Finance (former) and one of the elite.
    assert [r["type"] for r in expected] == ["claim"] * 7 + ["role"] * 2
    assert body["references"] == expected
    assert body["reference_count"] == 9
    # The OpenAPI document shows this very answer as the example of a refused delete.
    doc = client.get("/openapi.json").json()
    example = doc["paths"]["/v1/persons/{person_id}"]["delete"]["responses"]["409"]["content"][
        "application/problem+json"
    ]["example"]
    assert {**example, "request_id": body["request_id"]} == body
    assert client.get("/v1/persons/alexei-kudrin").json() == person.json()
    assert whole_log(client) == before

    author = client.delete(
        "/v1/persons/boris-bondarev",
        headers=with_etag(keys, etag(client, "/v1/persons/boris-bondarev")),
    )
    body = problem(author, 409, extra=REFERENCES)
    expected = seed_references("person", "boris-bondarev")
    assert expected[-1] == {
        "type": "source",
        "id": "bondarev-2023-west-must-drive-a-wedge",
        "relation": "author",
    }
    assert body["references"] == expected
    assert body["reference_count"] == len(expected)

    publisher = client.delete(
        "/v1/organizations/the-moscow-times",
        headers=with_etag(keys, etag(client, "/v1/organizations/the-moscow-times")),
    )
    body = problem(publisher, 409, extra=REFERENCES)
    assert body["references"] == seed_references("organization", "the-moscow-times")
    assert body["references"][-1]["relation"] == "publisher"

    sberbank = client.delete(
        "/v1/organizations/sberbank",
        headers=with_etag(keys, etag(client, "/v1/organizations/sberbank")),
    )
    body = problem(sberbank, 409, extra=REFERENCES)
    assert body["references"] == seed_references("organization", "sberbank")
    assert body["reference_count"] == len(body["references"])
    assert whole_log(client) == before


def test_annotations_hold_a_record_until_deleted(client: TestClient, keys: Keys) -> None:
    create_lavrov(client, keys)
    note = client.post(
        "/v1/annotations",
        json={
            "target": {"type": "person", "id": "sergei-lavrov"},
            "motivation": "commenting",
            "body": "Add his roles.",
        },
        headers=keys[ANNOTATOR],
    )
    assert note.status_code == 201
    note_id = note.json()["id"]
    tag = etag(client, "/v1/persons/sergei-lavrov")
    refused = client.delete("/v1/persons/sergei-lavrov", headers=with_etag(keys, tag))
    body = problem(refused, 409, "annotation target: 1", extra=REFERENCES)
    assert body["references"] == [{"type": "annotation", "id": note_id, "relation": "target"}]
    assert body["reference_count"] == 1
    # A tombstone no longer holds it.
    tombstone = client.delete(
        f"/v1/annotations/{note_id}", headers={**keys[ANNOTATOR], "If-Match": note.headers["etag"]}
    )
    assert tombstone.status_code == 200
    tag = etag(client, "/v1/persons/sergei-lavrov")
    assert (
        client.delete("/v1/persons/sergei-lavrov", headers=with_etag(keys, tag)).status_code == 204
    )


def test_ids_and_identifiers_are_unique(client: TestClient, keys: Keys) -> None:
    before = whole_log(client)
    taken = client.post(
        "/v1/persons", json={**LAVROV, "id": "alexei-kudrin"}, headers=keys[CURATOR]
    )
    problem(taken, 409, "'alexei-kudrin'", "person")
    # Person and organisation ids share one namespace: `subject=` takes a bare id.
    org_id = client.post("/v1/persons", json={**LAVROV, "id": "sberbank"}, headers=keys[CURATOR])
    problem(org_id, 409, "organization 'sberbank'")
    person_id = client.post(
        "/v1/organizations",
        json={"id": "german-gref", "name": "X", "kind": "company"},
        headers=keys[CURATOR],
    )
    problem(person_id, 409, "person 'german-gref'")
    held = client.post(
        "/v1/persons",
        json={**LAVROV, "identifiers": [{"scheme": "enwiki", "value": "Alexei_Kudrin"}]},
        headers=keys[CURATOR],
    )
    problem(held, 409, "enwiki:Alexei_Kudrin", "person 'alexei-kudrin'")
    held_by_org = client.post(
        "/v1/persons",
        json={
            **LAVROV,
            "identifiers": [{"scheme": "enwiki", "value": "Ministry_of_Finance_(Russia)"}],
        },
        headers=keys[CURATOR],
    )
    problem(
        held_by_org,
        409,
        "enwiki:Ministry_of_Finance_(Russia)",
        "organization 'ministry-of-finance-of-russia'",
    )
    twice = client.post(
        "/v1/persons",
        json={**LAVROV, "identifiers": LAVROV["identifiers"] * 2},  # type: ignore[operator]
        headers=keys[CURATOR],
    )
    problem(twice, 422, "listed twice")
    tag = etag(client, "/v1/persons/german-gref")
    steal = client.patch(
        "/v1/persons/german-gref",
        json={"identifiers": [{"scheme": "ruwiki", "value": "Кудрин,_Алексей_Леонидович"}]},
        headers=with_etag(keys, tag),
    )
    problem(steal, 409, "person 'alexei-kudrin'")
    assert whole_log(client) == before
    assert client.get("/v1/persons/sergei-lavrov").status_code == 404


WRITES = [
    ("POST", "/v1/persons", LAVROV),
    ("PATCH", "/v1/persons/alexei-kudrin", {"description": "x"}),
    ("DELETE", "/v1/persons/alexei-kudrin", None),
    ("POST", "/v1/organizations", {"id": "x-org", "name": "X", "kind": "company"}),
    ("PATCH", "/v1/organizations/sberbank", {"kind": "company"}),
    ("DELETE", "/v1/organizations/sberbank", None),
    ("POST", "/v1/roles", {}),
    ("DELETE", "/v1/sources/bondarev-2023-west-must-drive-a-wedge", None),
    ("PATCH", "/v1/sources/bondarev-2023-west-must-drive-a-wedge", {"genre": "essay"}),
    ("POST", "/v1/claims", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_curation_needs_the_curate_scope(
    client: TestClient, keys: Keys, method: str, path: str, body: dict[str, Any] | None
) -> None:
    before = whole_log(client)
    headers = {"If-Match": "*"}
    anonymous = client.request(method, path, json=body, headers=headers)
    problem(anonymous, 401, "curate")
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="elitekb"'
    annotator = client.request(method, path, json=body, headers={**headers, **keys[ANNOTATOR]})
    problem(annotator, 403, "curate")
    bad_key = client.request(
        method, path, json=body, headers={**headers, "Authorization": "Bearer ekb_nope"}
    )
    problem(bad_key, 401)
    assert whole_log(client) == before


def _post_raw(client: TestClient, keys: Keys, path: str, body: dict[str, Any]) -> Any:
    # json.dumps escapes to ASCII, so NUL and lone surrogates travel as \u escapes.
    return client.post(
        path,
        content=json.dumps(body),
        headers={**keys[CURATOR], "Content-Type": "application/json"},
    )


BAD_PERSONS = [
    ({**LAVROV, "id": "Sergei_Lavrov"}, "id"),
    ({**LAVROV, "id": "sergei--lavrov"}, "id"),
    ({**LAVROV, "id": "x" * 101}, "id"),
    ({**LAVROV, "nickname": "Lavrov"}, "nickname"),
    ({**LAVROV, "name": "Sergei\u0000Lavrov"}, "NUL"),
    ({**LAVROV, "name": "Sergei\ud800Lavrov"}, "body.name"),
    ({**LAVROV, "name": "Sergei\u001bLavrov"}, "control character"),
    ({**LAVROV, "name": "Sergei\nLavrov"}, "single line"),
    ({**LAVROV, "name": "   "}, "name"),
    ({**LAVROV, "name": "x" * 301}, "name"),
    ({**LAVROV, "description": "x" * 2001}, "description"),
    ({**LAVROV, "names": [{**LAVROV_NAMES[0], "script": "Grek"}]}, "script"),
    ({**LAVROV, "names": [{**LAVROV_NAMES[0], "lang": "Russian"}]}, "lang"),
    ({**LAVROV, "names": [{**LAVROV_NAMES[0], "extra": 1}]}, "extra"),
    ({**LAVROV, "names": [{**LAVROV_NAMES[0], "provenance": "a\u0000"}]}, "NUL"),
    ({**LAVROV, "names": [LAVROV_NAMES[0]] * 51}, "names"),
    ({**LAVROV, "identifiers": [{"scheme": "enwiki", "value": "x", "url": "u"}]}, "url"),
    ({**LAVROV, "identifiers": [{"scheme": "EN WIKI", "value": "x"}]}, "scheme"),
    ({key: v for key, v in LAVROV.items() if key != "name"}, "name"),
]


@pytest.mark.parametrize(("body", "mention"), BAD_PERSONS)
def test_bad_person_bodies_are_refused(
    client: TestClient, keys: Keys, body: dict[str, Any], mention: str
) -> None:
    before = whole_log(client)
    response = _post_raw(client, keys, "/v1/persons", body)
    problem(response, 422, mention)
    assert whole_log(client) == before


@pytest.mark.parametrize(
    ("patch", "mention"),
    [
        ({"name": None}, "may not be null"),
        ({"names": None}, "may not be null"),
        ({"identifiers": None}, "may not be null"),
        ({"id": "other-id"}, "id"),
        ({"name": "a\u0000b"}, "NUL"),
        ({"roles": []}, "roles"),
    ],
)
def test_bad_person_patches_are_refused(
    client: TestClient, keys: Keys, patch: dict[str, Any], mention: str
) -> None:
    before = client.get("/v1/persons/alexei-kudrin")
    response = client.patch(
        "/v1/persons/alexei-kudrin",
        content=json.dumps(patch),
        headers={**with_etag(keys, before.headers["etag"]), "Content-Type": "application/json"},
    )
    problem(response, 422, mention)
    after = client.get("/v1/persons/alexei-kudrin")
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


def test_a_description_can_be_cleared(client: TestClient, keys: Keys) -> None:
    tag = etag(client, "/v1/persons/vladimir-putin")
    response = client.patch(
        "/v1/persons/vladimir-putin", json={"description": None}, headers=with_etag(keys, tag)
    )
    assert response.status_code == 200
    assert response.json()["description"] is None
    assert response.json()["version"] == 2


def test_organization_life_cycle(client: TestClient, keys: Keys) -> None:
    body = {
        "id": "accounts-chamber-of-russia",
        "name": "Accounts Chamber of the Russian Federation",
        "kind": "state_body",
        "names": [
            {
                "name": "Счётная палата Российской Федерации",
                "lang": "ru",
                "script": "Cyrl",
                "kind": "original",
                "provenance": "curator: reference knowledge (official Russian name)",
            }
        ],
    }
    response = client.post("/v1/organizations", json=body, headers=keys[CURATOR])
    org = created(response, "/v1/organizations")
    assert org == {
        "id": "accounts-chamber-of-russia",
        "name": "Accounts Chamber of the Russian Federation",
        "kind": "state_body",
        "description": None,
        "names": [{**body["names"][0], "scheme": None}],  # type: ignore[index]
        "member_count": 0,
        "identifiers": [],
        "members": [],
        "roles": [],
        "claim_counts": {"total": 0, "by_kind": {}},
        "annotation_count": 0,
        "created_at": org["created_at"],
        "updated_at": org["created_at"],
        "version": 1,
    }
    assert etag(client, "/v1/organizations/accounts-chamber-of-russia") == response.headers["etag"]
    # Searchable by its Russian name with ё folded.
    found = client.get("/v1/organizations", params={"q": "счетная палата"}).json()["items"]
    assert [o["id"] for o in found] == ["accounts-chamber-of-russia"]

    problem(
        client.post("/v1/organizations", json={**body, "kind": "ministry"}, headers=keys[CURATOR]),
        422,
        "kind",
    )
    tag = response.headers["etag"]
    problem(
        client.patch(
            "/v1/organizations/accounts-chamber-of-russia",
            json={"kind": None},
            headers=with_etag(keys, tag),
        ),
        422,
        "may not be null",
    )
    edited = client.patch(
        "/v1/organizations/accounts-chamber-of-russia",
        json={"kind": "city_government", "description": "Audits the federal budget."},
        headers=with_etag(keys, tag),
    )
    assert edited.status_code == 200
    assert (edited.json()["kind"], edited.json()["version"]) == ("city_government", 2)
    gone = client.delete(
        "/v1/organizations/accounts-chamber-of-russia",
        headers=with_etag(keys, edited.headers["etag"]),
    )
    assert gone.status_code == 204
    problem(client.get("/v1/organizations/accounts-chamber-of-russia"), 410, extra=GONE)
    assert changes(client, "organization", "accounts-chamber-of-russia") == [
        ("create", 1),
        ("update", 2),
        ("delete", 2),
    ]


def test_unknown_records_are_404(client: TestClient, keys: Keys) -> None:
    for path in ("/v1/persons/no-such-person", "/v1/organizations/no-such-org"):
        problem(
            client.patch(path, json={"name": "X"}, headers=with_etag(keys, "*")),
            404,
            "'no-such-",
        )
        problem(client.delete(path, headers=with_etag(keys, "*")), 404, "'no-such-")


def test_birth_date_is_curated_and_checked(client: TestClient, keys: Keys) -> None:
    assert client.get("/v1/persons/elvira-nabiullina").json()["birth_date"] == "1963-10-29"
    assert client.get("/v1/persons/boris-bondarev").json()["birth_date"] is None
    body = created(
        client.post(
            "/v1/persons", json={**LAVROV, "birth_date": "1950-03-21"}, headers=keys[CURATOR]
        ),
        "/v1/persons",
    )
    assert body["birth_date"] == "1950-03-21"
    for bad in ("1849-12-31", "2999-01-01", "1950-02-30", "21.03.1950"):
        response = client.patch(
            "/v1/persons/sergei-lavrov",
            json={"birth_date": bad},
            headers=with_etag(keys, etag(client, "/v1/persons/sergei-lavrov")),
        )
        problem(response, 422, "birth_date")
    tag = etag(client, "/v1/persons/sergei-lavrov")
    cleared = client.patch(
        "/v1/persons/sergei-lavrov", json={"birth_date": None}, headers=with_etag(keys, tag)
    )
    assert cleared.status_code == 200
    assert (cleared.json()["birth_date"], cleared.json()["version"]) == (None, 2)
    assert changes(client, "person", "sergei-lavrov") == [("create", 1), ("update", 2)]
