"""Curation writes over HTTP, roles, sources and claims: anchoring quotes (verified offsets,
or found from quote + occurrence), text edits refused while a claim would break, references
that block deletes, and that refused writes change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.services.text.spans import occurrences
from tests.support.api import (
    SOURCE_ID,
    SOURCE_TITLE,
    canonical_text,
    claim_by_key,
    expected_claims,
    role_id,
    sha256_hex,
)
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
    seed_claims_in_source,
    whole_log,
    with_etag,
)

ESSAY = f"/v1/sources/{SOURCE_ID}"
KUDRIN_MINISTER = claim_by_key("kudrin-role-former-finance-minister")
KUDRIN_ROLE = role_id(
    "alexei-kudrin", "ministry-of-finance-of-russia", "Minister of Finance", "position"
)
BONDAREV = {"type": "person", "id": "boris-bondarev", "name": "Boris Bondarev"}
KUDRIN = {"type": "person", "id": "alexei-kudrin", "name": "Alexei Kudrin"}


# -- roles ------------------------------------------------------------------------------------

DEPUTY_PM = {
    "person_id": "alexei-kudrin",
    "organization_id": "government-of-russia",
    "title": "Deputy Prime Minister",
    "kind": "position",
    "status": "former",
    "start_date": "2007-01-01",
    "start_date_precision": "year",
    "end_date": "2011-01-01",
    "end_date_precision": "year",
}


def test_role_life_cycle(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/roles", json=DEPUTY_PM, headers=keys[CURATOR])
    role = created(response, "/v1/roles")
    rid = role["id"]
    assert rid.startswith("rol_") and len(rid) == 14
    assert role == {
        "id": rid,
        "person": {"id": "alexei-kudrin", "name": "Alexei Kudrin"},
        "organization": {
            "id": "government-of-russia",
            "name": "Government of the Russian Federation",
            "kind": "state_body",
        },
        "title": "Deputy Prime Minister",
        "kind": "position",
        "status": "former",
        "status_as_of_date": None,
        "start_date": "2007-01-01",
        "start_date_precision": "year",
        "end_date": "2011-01-01",
        "end_date_precision": "year",
        "provenance": None,
        "updated_at": role["updated_at"],
        "version": 1,
    }
    got = client.get(f"/v1/roles/{rid}")
    assert got.json() == role
    assert got.headers["etag"] == response.headers["etag"]
    roles = client.get("/v1/persons/alexei-kudrin/roles").json()["items"]
    assert rid in [r["id"] for r in roles]
    assert changes(client, "role", rid) == [("create", 1)]

    problem(
        client.patch(f"/v1/roles/{rid}", json={"status": "current"}, headers=keys[CURATOR]), 428
    )
    edited = client.patch(
        f"/v1/roles/{rid}",
        json={"claim_id": KUDRIN_MINISTER.id, "title": "Deputy Prime Minister of Russia"},
        headers=with_etag(keys, got.headers["etag"]),
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2
    assert edited.json()["status_as_of_date"] == "2023-02-23"
    assert edited.json()["provenance"] == {
        "claim_id": KUDRIN_MINISTER.id,
        "source_id": SOURCE_ID,
        "quote": KUDRIN_MINISTER.quote,
        "start": KUDRIN_MINISTER.start,
        "end": KUDRIN_MINISTER.end,
    }
    same = client.patch(
        f"/v1/roles/{rid}",
        json={"title": "Deputy Prime Minister of Russia"},
        headers=with_etag(keys, edited.headers["etag"]),
    )
    assert (same.status_code, same.json()["version"]) == (200, 2)

    # The claim now holds the role's provenance: it cannot go first.
    claim_tag = etag(client, f"/v1/claims/{KUDRIN_MINISTER.id}")
    refused = client.delete(f"/v1/claims/{KUDRIN_MINISTER.id}", headers=with_etag(keys, claim_tag))
    body = problem(refused, 409, extra=REFERENCES)
    assert body["references"] == sorted(
        [
            {"type": "role", "id": KUDRIN_ROLE, "relation": "provenance"},
            {"type": "role", "id": rid, "relation": "provenance"},
        ],
        key=lambda r: r["id"],
    )

    gone = client.delete(f"/v1/roles/{rid}", headers=with_etag(keys, edited.headers["etag"]))
    assert gone.status_code == 204
    problem(client.get(f"/v1/roles/{rid}"), 410, repr(rid), extra=GONE)
    assert changes(client, "role", rid) == [("create", 1), ("update", 2), ("delete", 2)]


def test_role_references_and_dates_are_checked(client: TestClient, keys: Keys) -> None:
    before = whole_log(client)
    missing = client.post(
        "/v1/roles",
        json={
            **DEPUTY_PM,
            "person_id": "no-one",
            "organization_id": "nowhere",
            "claim_id": "clm_nosuchclaim",
        },
        headers=keys[CURATOR],
    )
    body = problem(missing, 422, "no person 'no-one'", "no organization 'nowhere'")
    assert "no claim 'clm_nosuchclaim'" in body["detail"]
    assert [e["loc"] for e in body["errors"]] == [
        ["body", "person_id"],
        ["body", "organization_id"],
        ["body", "claim_id"],
    ]
    backwards = client.post(
        "/v1/roles",
        json={**DEPUTY_PM, "start_date": "2011-01-01", "end_date": "2007-01-01"},
        headers=keys[CURATOR],
    )
    problem(backwards, 422, "end_date 2007-01-01 is before start_date 2011-01-01")
    undated = client.post(
        "/v1/roles", json={**DEPUTY_PM, "start_date": None}, headers=keys[CURATOR]
    )
    problem(undated, 422, "start_date_precision needs start_date")
    for bad in (
        {**DEPUTY_PM, "kind": "job"},
        {**DEPUTY_PM, "status": "past"},
        {**DEPUTY_PM, "start_date": "2007-13-01"},
        {**DEPUTY_PM, "person_id": "Alexei Kudrin"},
        {**DEPUTY_PM, "salary": 1},
        {**DEPUTY_PM, "title": "a\u0000b"},
    ):
        response = client.post(
            "/v1/roles",
            content=json.dumps(bad),
            headers={**keys[CURATOR], "Content-Type": "application/json"},
        )
        problem(response, 422)
    # A PATCH is checked on the result: an end before the existing start is refused too.
    role = created(client.post("/v1/roles", json=DEPUTY_PM, headers=keys[CURATOR]), "/v1/roles")
    tag = etag(client, f"/v1/roles/{role['id']}")
    problem(
        client.patch(
            f"/v1/roles/{role['id']}",
            json={"end_date": "2006-01-01"},
            headers=with_etag(keys, tag),
        ),
        422,
        "before start_date",
    )
    problem(
        client.patch(
            f"/v1/roles/{role['id']}", json={"person_id": None}, headers=with_etag(keys, tag)
        ),
        422,
        "may not be null",
    )
    assert client.get(f"/v1/roles/{role['id']}").headers["etag"] == tag
    assert whole_log(client)[: len(before)] == before
    assert [c["entity_id"] for c in whole_log(client)[len(before) :]] == [role["id"]]


def test_unknown_role_is_404(client: TestClient, keys: Keys) -> None:
    problem(client.get("/v1/roles/rol_nosuchrole"), 404, "'rol_nosuchrole'")
    problem(
        client.patch("/v1/roles/rol_nosuchrole", json={}, headers=with_etag(keys, "*")),
        404,
    )


# -- sources ----------------------------------------------------------------------------------

NOTE_TEXT = (
    "Кудрин — бывший министр финансов. Alexei Kudrin is a former finance minister, "
    "and he almost certainly knows it."
)
NOTE = {
    "id": "kudrin-note",
    "title": "A note on Kudrin",
    "url": "https://example.org/kudrin-note",
    "published_date": "2023-03-01",
    "language": "en",
    "genre": "note",
    "rights": "full_text",
    "text": NOTE_TEXT,
    "publisher_id": "the-moscow-times",
    "author_ids": ["boris-bondarev"],
}


def create_note(client: TestClient, keys: Keys, **changes: Any) -> dict[str, Any]:
    return created(
        client.post("/v1/sources", json={**NOTE, **changes}, headers=keys[CURATOR]), "/v1/sources"
    )


def test_create_source(client: TestClient, keys: Keys) -> None:
    response = client.post("/v1/sources", json=NOTE, headers=keys[CURATOR])
    source = created(response, "/v1/sources")
    digest = sha256_hex(NOTE_TEXT.encode())
    assert source == {
        "id": "kudrin-note",
        "title": "A note on Kudrin",
        "url": "https://example.org/kudrin-note",
        "authors": [BONDAREV],
        "publisher": {"type": "organization", "id": "the-moscow-times", "name": "The Moscow Times"},
        "published_date": "2023-03-01",
        "language": "en",
        "genre": "note",
        "rights": "full_text",
        # Code points, not bytes: the Cyrillic letters count once each.
        "text_length": len(NOTE_TEXT),
        "text_sha256": digest,
        "claim_count": 0,
        "updated_at": source["created_at"],
        "version": 1,
        "original_sha256": digest,
        "derivation": ["submitted over the API"],
        "publisher_notes": [],
        "text": NOTE_TEXT,
        "text_available": "The whole text is included and can be sliced at /text.",
        "annotation_count": 0,
        "created_at": source["created_at"],
    }
    assert len(NOTE_TEXT) < len(NOTE_TEXT.encode())
    assert etag(client, "/v1/sources/kudrin-note") == response.headers["etag"]
    sliced = client.get("/v1/sources/kudrin-note/text", params={"start": 0, "end": 6}).json()
    assert sliced["text"] == "Кудрин"
    listed = client.get("/v1/sources", params={"author": "boris-bondarev"}).json()["items"]
    assert [s["id"] for s in listed] == [SOURCE_ID, "kudrin-note"]
    assert changes(client, "source", "kudrin-note") == [("create", 1)]


@pytest.mark.parametrize(
    ("changes_", "status", "mentions"),
    [
        ({"id": SOURCE_ID}, 409, [repr(SOURCE_ID)]),
        ({"publisher_id": "no-press"}, 422, ["publisher_id: no organization 'no-press'"]),
        (
            {"author_ids": ["boris-bondarev", "nobody"]},
            422,
            ["author_ids.1: no person 'nobody'"],
        ),
        ({"author_ids": ["boris-bondarev", "boris-bondarev"]}, 422, ["listed twice"]),
        ({"author_ids": ["sberbank"]}, 422, ["no person 'sberbank'"]),
        ({"id": "Kudrin Note"}, 422, ["id"]),
        ({"url": "ftp://example.org/x"}, 422, ["url"]),
        ({"url": "https://example.org/\u0000"}, 422, ["url"]),
        ({"language": "English"}, 422, ["language"]),
        ({"rights": "public_domain"}, 422, ["rights"]),
        ({"text": ""}, 422, ["text"]),
        ({"text": "a\u0000b"}, 422, ["NUL"]),
        ({"text": "a\u0007b"}, 422, ["control character"]),
        ({"text_sha256": "0" * 64}, 422, ["text_sha256"]),
        ({"derivation": []}, 422, ["derivation"]),
    ],
)
def test_bad_sources_are_refused(
    client: TestClient, keys: Keys, changes_: dict[str, Any], status: int, mentions: list[str]
) -> None:
    before = whole_log(client)
    response = client.post(
        "/v1/sources",
        content=json.dumps({**NOTE, **changes_}),
        headers={**keys[CURATOR], "Content-Type": "application/json"},
    )
    problem(response, status, *mentions)
    assert whole_log(client) == before
    assert client.get("/v1/sources/kudrin-note").status_code == 404


def test_edit_source_metadata(client: TestClient, keys: Keys) -> None:
    create_note(client, keys)
    tag = etag(client, "/v1/sources/kudrin-note")
    response = client.patch(
        "/v1/sources/kudrin-note",
        json={
            "title": "Notes on Kudrin",
            "publisher_id": None,
            "author_ids": ["alexei-kudrin", "boris-bondarev"],
            "rights": "excerpts",
        },
        headers=with_etag(keys, tag),
    )
    assert response.status_code == 200, response.text
    source = response.json()
    assert source["title"] == "Notes on Kudrin"
    assert source["publisher"] is None
    assert source["authors"] == [KUDRIN, BONDAREV]
    assert (source["rights"], source["text"], source["version"]) == ("excerpts", None, 2)
    assert source["text_sha256"] == sha256_hex(NOTE_TEXT.encode())
    assert client.get("/v1/sources/kudrin-note").json() == source
    assert changes(client, "source", "kudrin-note") == [("create", 1), ("update", 2)]
    problem(
        client.patch(
            "/v1/sources/kudrin-note",
            json={"author_ids": ["nobody"]},
            headers=with_etag(keys, response.headers["etag"]),
        ),
        422,
        "no person 'nobody'",
    )
    problem(
        client.patch(
            "/v1/sources/kudrin-note",
            json={"text": None},
            headers=with_etag(keys, response.headers["etag"]),
        ),
        422,
        "may not be null",
    )
    assert client.get("/v1/sources/kudrin-note").json() == source


def test_text_edit_that_breaks_claims_is_refused(client: TestClient, keys: Keys) -> None:
    text = canonical_text()
    at = text.index("abyss")
    new_text = text[:at] + "ABYSS" + text[at + 5 :]
    broken = sorted(
        (c for c in expected_claims() if new_text[c.start : c.end] != c.quote),
        key=lambda c: (c.start, c.id),
    )
    assert [c.key for c in broken] == [
        "five-realize-putin-leading-into-abyss",
        "five-realize-economic-achievements-undone",
        "putin-leading-country-into-abyss",
    ]
    before = client.get(ESSAY)
    log = whole_log(client)
    response = client.patch(
        ESSAY, json={"text": new_text}, headers=with_etag(keys, before.headers["etag"])
    )
    body = problem(response, 409, "would break 3 quote(s)", extra=REFERENCES)
    assert f"claim {broken[0].id} at [1355, 1430)" in body["detail"]
    assert (
        "'they almost certainly realize that he is leading the country into the ABYSS'"
        in (body["detail"])
    )
    assert body["references"] == [
        {"type": "claim", "id": c.id, "relation": "quote"} for c in broken
    ]
    assert body["reference_count"] == 3
    after = client.get(ESSAY)
    assert (after.json(), after.headers["etag"]) == (before.json(), before.headers["etag"])
    assert whole_log(client) == log


def test_text_edit_keeping_every_quote_is_accepted(client: TestClient, keys: Keys) -> None:
    create_note(client, keys)
    claim = created(
        client.post(
            "/v1/claims",
            json={
                "source_id": "kudrin-note",
                "quote": "Alexei Kudrin is a former finance minister",
                "subjects": [{"type": "person", "id": "alexei-kudrin"}],
                "attributed_to": {"type": "person", "id": "boris-bondarev"},
                "kind": "role_statement",
                "statement": "Kudrin is a former finance minister.",
                "modality": "asserted",
                "stance": "neutral",
            },
            headers=keys[CURATOR],
        ),
        "/v1/claims",
    )
    assert (claim["start"], claim["end"]) == (34, 76)
    # Same length before the quote, so its offsets hold; its prefix changes.
    new_text = NOTE_TEXT.replace("финансов", "ФИНАНСОВ")
    tag = etag(client, "/v1/sources/kudrin-note")
    response = client.patch(
        "/v1/sources/kudrin-note", json={"text": new_text}, headers=with_etag(keys, tag)
    )
    assert response.status_code == 200, response.text
    source = response.json()
    assert source["text"] == new_text
    assert source["text_sha256"] == sha256_hex(new_text.encode())
    assert source["original_sha256"] == sha256_hex(NOTE_TEXT.encode())
    assert source["derivation"] == [
        "submitted over the API",
        "text replaced over the API; every claim still matches at its offsets",
    ]
    edited = client.get(f"/v1/claims/{claim['id']}").json()
    assert edited["prefix"] == new_text[2:34]
    assert (edited["quote"], edited["start"], edited["end"]) == (
        claim["quote"],
        claim["start"],
        claim["end"],
    )
    assert edited["version"] == 2
    assert changes(client, "source", "kudrin-note") == [("create", 1), ("update", 2)]
    assert changes(client, "claim", claim["id"]) == [("create", 1), ("update", 2)]

    # An edit far from the quote leaves the claim alone.
    far = new_text[:-3] + "it!"
    response = client.patch(
        "/v1/sources/kudrin-note",
        json={"text": far},
        headers=with_etag(keys, response.headers["etag"]),
    )
    assert response.status_code == 200
    assert client.get(f"/v1/claims/{claim['id']}").json() == edited
    # ...but a shorter text that cuts into the quote does not.
    problem(
        client.patch(
            "/v1/sources/kudrin-note",
            json={"text": far[:50]},
            headers=with_etag(keys, response.headers["etag"]),
        ),
        409,
        f"claim {claim['id']} at [34, 76)",
        extra=REFERENCES,
    )


def test_delete_source(client: TestClient, keys: Keys) -> None:
    before = whole_log(client)
    refused = client.delete(ESSAY, headers=with_etag(keys, etag(client, ESSAY)))
    body = problem(refused, 409, "36 record(s)", "claim source: 36", extra=REFERENCES)
    assert body["references"] == [
        {"type": "claim", "id": i, "relation": "source"} for i in seed_claims_in_source()
    ]
    assert body["reference_count"] == 36
    assert whole_log(client) == before

    create_note(client, keys)
    tag = etag(client, "/v1/sources/kudrin-note")
    assert client.delete("/v1/sources/kudrin-note", headers=with_etag(keys, tag)).status_code == 204
    problem(client.get("/v1/sources/kudrin-note"), 410, extra=GONE)
    listed = client.get("/v1/sources", params={"author": "boris-bondarev"}).json()["items"]
    assert [s["id"] for s in listed] == [SOURCE_ID]
    assert changes(client, "source", "kudrin-note") == [("create", 1), ("delete", 1)]
    # Its authors can be deleted now that nothing else refers to them.
    create_note(client, keys, author_ids=[])
    person = created(
        client.post("/v1/persons", json={"id": "ghost-writer", "name": "G"}, headers=keys[CURATOR]),
        "/v1/persons",
    )
    tag = etag(client, "/v1/sources/kudrin-note")
    client.patch(
        "/v1/sources/kudrin-note",
        json={"author_ids": ["ghost-writer"]},
        headers=with_etag(keys, tag),
    )
    held = client.delete(
        "/v1/persons/ghost-writer",
        headers=with_etag(keys, etag(client, "/v1/persons/ghost-writer")),
    )
    assert problem(held, 409, extra=REFERENCES)["references"] == [
        {"type": "source", "id": "kudrin-note", "relation": "author"}
    ]
    tag = etag(client, "/v1/sources/kudrin-note")
    assert client.delete("/v1/sources/kudrin-note", headers=with_etag(keys, tag)).status_code == 204
    tag = etag(client, f"/v1/persons/{person['id']}")
    assert (
        client.delete("/v1/persons/ghost-writer", headers=with_etag(keys, tag)).status_code == 204
    )


# -- claims -----------------------------------------------------------------------------------

REALIZE = "they almost certainly realize"


def claim_body(**changes: Any) -> dict[str, Any]:
    start = canonical_text().index(REALIZE)
    return {
        "source_id": SOURCE_ID,
        "quote": REALIZE,
        "start": start,
        "end": start + len(REALIZE),
        "subjects": [{"type": "person", "id": "alexei-kudrin"}],
        "attributed_to": {"type": "person", "id": "boris-bondarev"},
        "kind": "belief_attribution",
        "statement": "The author believes Kudrin realizes where Putin is leading Russia.",
        "modality": "hedged",
        "hedge": "almost certainly",
        "stance": "mixed",
        **changes,
    }


def test_create_claim_at_verified_offsets(client: TestClient, keys: Keys) -> None:
    text = canonical_text()
    start = text.index(REALIZE)
    response = client.post("/v1/claims", json=claim_body(), headers=keys[CURATOR])
    claim = created(response, "/v1/claims")
    cid = claim["id"]
    assert cid.startswith("clm_") and len(cid) == 14
    assert claim == {
        "id": cid,
        "source": {"id": SOURCE_ID, "title": SOURCE_TITLE},
        "quote": REALIZE,
        "start": start,
        "end": start + len(REALIZE),
        "prefix": text[start - 32 : start],
        "suffix": text[start + len(REALIZE) : start + len(REALIZE) + 32],
        "subjects": [KUDRIN],
        "attributed_to": BONDAREV,
        "kind": "belief_attribution",
        "statement": "The author believes Kudrin realizes where Putin is leading Russia.",
        "modality": "hedged",
        "hedge": "almost certainly",
        "stance": "mixed",
        "rationale": None,
        "annotation_count": 0,
        "created_at": claim["created_at"],
        "updated_at": claim["created_at"],
        "version": 1,
    }
    got = client.get(f"/v1/claims/{cid}")
    assert got.json() == claim
    assert got.headers["etag"] == response.headers["etag"]
    assert client.get(ESSAY).json()["claim_count"] == 37
    assert cid in [c["id"] for c in client.get("/v1/persons/alexei-kudrin/claims").json()["items"]]
    assert changes(client, "claim", cid) == [("create", 1)]


def test_claim_quote_must_match_the_text(client: TestClient, keys: Keys) -> None:
    text = canonical_text()
    start = text.index(REALIZE)
    before = whole_log(client)
    shifted = client.post(
        "/v1/claims",
        json=claim_body(start=start + 1, end=start + 1 + len(REALIZE)),
        headers=keys[CURATOR],
    )
    actual = text[start + 1 : start + 1 + len(REALIZE)]
    assert actual == "hey almost certainly realize "
    body = problem(shifted, 422, f"expected {REALIZE!r}", f"the text has {actual!r}")
    assert body["errors"][0]["loc"] == ["body", "quote"]
    outside = client.post(
        "/v1/claims", json=claim_body(start=4490, end=4519), headers=keys[CURATOR]
    )
    problem(outside, 422, "outside the text (length 4500)")
    problem(
        client.post("/v1/claims", json=claim_body(end=None), headers=keys[CURATOR]),
        422,
        "give both start and end",
    )
    assert whole_log(client) == before


def test_claim_offsets_from_quote_and_occurrence(client: TestClient, keys: Keys) -> None:
    text = canonical_text()
    quote = "the Russian elite"
    found = occurrences(text, quote)
    assert len(found) == 3
    body = claim_body(
        quote=quote,
        start=None,
        end=None,
        occurrence=2,
        subjects=[{"type": "organization", "id": "russian-elite"}],
        kind="characterization",
        statement="The Russian elite is not enamored with Putin's policies.",
        modality="speculative",
        hedge=None,
    )
    body = {k: v for k, v in body.items() if v is not None}
    claim = created(client.post("/v1/claims", json=body, headers=keys[CURATOR]), "/v1/claims")
    assert (claim["start"], claim["end"]) == (found[1], found[1] + len(quote))
    sliced = client.get(
        f"{ESSAY}/text", params={"start": claim["start"], "end": claim["end"]}
    ).json()
    assert sliced["text"] == quote == claim["quote"]
    assert claim["prefix"] == text[found[1] - 32 : found[1]]

    before = whole_log(client)
    ambiguous = {k: v for k, v in body.items() if k != "occurrence"}
    problem(
        client.post("/v1/claims", json=ambiguous, headers=keys[CURATOR]),
        422,
        f"occurs 3 times (at {found})",
        "occurrence",
    )
    problem(
        client.post("/v1/claims", json={**body, "occurrence": 4}, headers=keys[CURATOR]),
        422,
        "occurrence 4 asked for, but the quote occurs 3 time(s)",
    )
    problem(
        client.post(
            "/v1/claims", json={**body, "quote": "the Russian élite"}, headers=keys[CURATOR]
        ),
        422,
        "'the Russian élite' does not occur in the source text",
    )
    problem(
        client.post("/v1/claims", json={**body, "start": 915, "end": 932}, headers=keys[CURATOR]),
        422,
        "not both",
    )
    assert whole_log(client) == before


@pytest.mark.parametrize(
    ("changes_", "mentions"),
    [
        ({"hedge": "surely"}, ["hedge 'surely' does not occur in the quote"]),
        ({"attributed_to_label": "many"}, ["exactly one of attributed_to"]),
        ({"attributed_to": None}, ["exactly one of attributed_to"]),
        (
            {"subjects": [{"type": "person", "id": "no-one"}]},
            ["subjects.0.id: no person 'no-one'"],
        ),
        (
            {"subjects": [{"type": "organization", "id": "alexei-kudrin"}]},
            ["no organization 'alexei-kudrin'"],
        ),
        (
            {"attributed_to": {"type": "organization", "id": "nowhere"}},
            ["attributed_to.id: no organization 'nowhere'"],
        ),
        ({"source_id": "no-such-source"}, ["source_id: no source 'no-such-source'"]),
        ({"subjects": [{"type": "person", "id": "alexei-kudrin"}] * 2}, ["listed twice"]),
        ({"subjects": []}, ["subjects"]),
        ({"subjects": [{"type": "role", "id": "x"}]}, ["subjects"]),
        ({"kind": "rumour"}, ["kind"]),
        ({"modality": "certain"}, ["modality"]),
        ({"stance": "hostile"}, ["stance"]),
        ({"prefix": "x"}, ["prefix"]),
        ({"statement": "a\u0000b"}, ["NUL"]),
        ({"statement": "x" * 2001}, ["statement"]),
        ({"quote": ""}, ["quote"]),
        ({"start": -1}, ["start"]),
        ({"occurrence": 0, "start": None, "end": None}, ["occurrence"]),
    ],
)
def test_bad_claims_are_refused(
    client: TestClient, keys: Keys, changes_: dict[str, Any], mentions: list[str]
) -> None:
    before = whole_log(client)
    response = client.post(
        "/v1/claims",
        content=json.dumps(claim_body(**changes_)),
        headers={**keys[CURATOR], "Content-Type": "application/json"},
    )
    problem(response, 422, *mentions)
    assert whole_log(client) == before


def test_edit_claim(client: TestClient, keys: Keys) -> None:
    text = canonical_text()
    claim = created(
        client.post("/v1/claims", json=claim_body(), headers=keys[CURATOR]), "/v1/claims"
    )
    cid = claim["id"]
    tag = etag(client, f"/v1/claims/{cid}")

    problem(
        client.patch(f"/v1/claims/{cid}", json={"stance": "neutral"}, headers=keys[CURATOR]), 428
    )
    stance = client.patch(
        f"/v1/claims/{cid}",
        json={"stance": "neutral", "rationale": "Plain inference."},
        headers=with_etag(keys, tag),
    )
    assert stance.status_code == 200, stance.text
    assert (stance.json()["stance"], stance.json()["rationale"], stance.json()["version"]) == (
        "neutral",
        "Plain inference.",
        2,
    )
    tag = stance.headers["etag"]

    # A new quote is anchored again: found in the text, prefix and suffix recomputed.
    quote = "they almost certainly realize that he is leading the country into the abyss"
    start = text.index(quote)
    moved = client.patch(
        f"/v1/claims/{cid}",
        json={
            "quote": quote,
            "subjects": [
                {"type": "person", "id": "alexei-kudrin"},
                {"type": "person", "id": "elvira-nabiullina"},
            ],
            "attributed_to_label": "the author",
        },
        headers=with_etag(keys, tag),
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["quote"], body["start"], body["end"]) == (quote, start, start + len(quote))
    assert body["suffix"] == text[start + len(quote) : start + len(quote) + 32]
    assert [s["id"] for s in body["subjects"]] == ["alexei-kudrin", "elvira-nabiullina"]
    assert body["attributed_to"] == {"type": None, "id": None, "name": "the author"}
    assert body["version"] == 3
    assert client.get(f"/v1/claims/{cid}").json() == body
    nabiullina = client.get("/v1/persons/elvira-nabiullina/claims").json()["items"]
    assert cid in [c["id"] for c in nabiullina]
    tag = moved.headers["etag"]

    # Offsets that do not hold the quote are refused, and nothing changes.
    wrong = client.patch(
        f"/v1/claims/{cid}",
        json={"start": start + 1, "end": start + 1 + len(quote)},
        headers=with_etag(keys, tag),
    )
    problem(wrong, 422, f"claim {cid}", f"expected {quote!r}")
    problem(
        client.patch(f"/v1/claims/{cid}", json={"hedge": "surely"}, headers=with_etag(keys, tag)),
        422,
        "hedge 'surely'",
    )
    problem(
        client.patch(f"/v1/claims/{cid}", json={"quote": None}, headers=with_etag(keys, tag)),
        422,
        "may not be null",
    )
    problem(
        client.patch(
            f"/v1/claims/{cid}", json={"attributed_to_label": None}, headers=with_etag(keys, tag)
        ),
        422,
        "exactly one of attributed_to",
    )
    # Sending what is stored changes nothing.
    same = client.patch(
        f"/v1/claims/{cid}",
        json={"quote": quote, "start": start, "end": start + len(quote), "stance": "neutral"},
        headers=with_etag(keys, tag),
    )
    assert (same.status_code, same.headers["etag"]) == (200, tag)
    assert changes(client, "claim", cid) == [("create", 1), ("update", 2), ("update", 3)]


def test_delete_claim(client: TestClient, keys: Keys, engine: Engine) -> None:
    claim = created(
        client.post("/v1/claims", json=claim_body(), headers=keys[CURATOR]), "/v1/claims"
    )
    cid = claim["id"]
    note = client.post(
        "/v1/annotations",
        json={"target": {"type": "claim", "id": cid}, "motivation": "questioning", "body": "?"},
        headers=keys[ANNOTATOR],
    )
    tag = etag(client, f"/v1/claims/{cid}")
    held = client.delete(f"/v1/claims/{cid}", headers=with_etag(keys, tag))
    body = problem(held, 409, "annotation target: 1", extra=REFERENCES)
    assert body["references"] == [
        {"type": "annotation", "id": note.json()["id"], "relation": "target"}
    ]
    client.delete(
        f"/v1/annotations/{note.json()['id']}",
        headers={**keys[ANNOTATOR], "If-Match": note.headers["etag"]},
    )
    tag = etag(client, f"/v1/claims/{cid}")
    assert client.delete(f"/v1/claims/{cid}", headers=with_etag(keys, tag)).status_code == 204
    problem(client.get(f"/v1/claims/{cid}"), 410, extra=GONE)
    assert cid not in [
        c["id"] for c in client.get("/v1/persons/alexei-kudrin/claims").json()["items"]
    ]
    assert client.get(ESSAY).json()["claim_count"] == 36
    assert changes(client, "claim", cid) == [("create", 1), ("delete", 1)]
    # Its subject rows went with it (ON DELETE CASCADE).
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM claim_subject WHERE claim_id = :c"), {"c": cid}
        ).scalar_one()
    assert left == 0

    # A seeded claim that a role cites is held by the role.
    tag = etag(client, f"/v1/claims/{KUDRIN_MINISTER.id}")
    held = client.delete(f"/v1/claims/{KUDRIN_MINISTER.id}", headers=with_etag(keys, tag))
    assert problem(held, 409, extra=REFERENCES)["references"] == [
        {"type": "role", "id": KUDRIN_ROLE, "relation": "provenance"}
    ]
    role_tag = etag(client, f"/v1/roles/{KUDRIN_ROLE}")
    assert (
        client.delete(f"/v1/roles/{KUDRIN_ROLE}", headers=with_etag(keys, role_tag)).status_code
        == 204
    )
    assert (
        client.delete(f"/v1/claims/{KUDRIN_MINISTER.id}", headers=with_etag(keys, tag)).status_code
        == 204
    )
    assert changes(client, "claim", KUDRIN_MINISTER.id) == [("create", 1), ("delete", 1)]


def test_text_edit_that_breaks_an_annotated_span_is_refused(client: TestClient, keys: Keys) -> None:
    create_note(client, keys)
    start = NOTE_TEXT.index("almost certainly")
    note = client.post(
        "/v1/annotations",
        json={
            "target": {
                "type": "source",
                "id": "kudrin-note",
                "selector": {"start": start, "end": start + len("almost certainly")},
            },
            "motivation": "questioning",
            "body": "How certain?",
        },
        headers=keys[ANNOTATOR],
    )
    assert note.status_code == 201
    tag = etag(client, "/v1/sources/kudrin-note")
    response = client.patch(
        "/v1/sources/kudrin-note",
        json={"text": NOTE_TEXT.replace("almost certainly", "almost surely")},
        headers=with_etag(keys, tag),
    )
    body = problem(response, 409, "'almost certainly' would become", extra=REFERENCES)
    assert body["references"] == [
        {"type": "annotation", "id": note.json()["id"], "relation": "quote"}
    ]
    assert etag(client, "/v1/sources/kudrin-note") == tag
