"""GET /v1/claims and /v1/claims/{id}: every filter, every anchor, the hedged beliefs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.services.loading.seed import short_id
from tests.support.api import (
    ALL_PERSONS,
    CONTEXT,
    FIVE,
    SOURCE_ID,
    assert_problem,
    claim_by_key,
    claim_ids_where,
    claim_json,
    expected_claims,
    ids,
    without_timestamps,
)

KINDS = [
    "characterization",
    "assertion",
    "belief_attribution",
    "prediction",
    "prescription",
    "role_statement",
]
MODALITIES = ["asserted", "hedged", "speculative", "reported"]
STANCES = ["favourable", "unfavourable", "neutral", "mixed"]
HEDGED_BELIEFS = [
    "five-realize-putin-leading-into-abyss",
    "five-realize-economic-achievements-undone",
]


def test_list_claims_is_every_seeded_claim_in_offset_order(client: TestClient) -> None:
    response = client.get("/v1/claims")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    items = body["items"]
    assert len(items) == 36
    assert [without_timestamps(c) for c in items] == [claim_json(c) for c in expected_claims()]
    assert [(c["source"]["id"], c["start"], c["id"]) for c in items] == sorted(
        (c["source"]["id"], c["start"], c["id"]) for c in items
    )
    for item in items:
        assert item["created_at"].endswith("Z")
        assert item["updated_at"].endswith("Z")


def test_claim_anchors_match_the_source_text(client: TestClient) -> None:
    text = client.get(f"/v1/sources/{SOURCE_ID}").json()["text"]
    items = client.get("/v1/claims").json()["items"]
    for claim in items:
        start, end = claim["start"], claim["end"]
        assert 0 <= start < end <= len(text), claim["id"]
        assert claim["quote"] == text[start:end], claim["id"]
        assert claim["prefix"] == text[max(0, start - CONTEXT) : start], claim["id"]
        assert claim["suffix"] == text[end : end + CONTEXT], claim["id"]
        # Every seeded quote sits well inside the essay, so the context is full on both sides.
        assert len(claim["prefix"]) == len(claim["suffix"]) == CONTEXT, claim["id"]
        if claim["hedge"] is not None:
            assert claim["hedge"] in claim["quote"], claim["id"]

    # Literal cross-checks, independent of any derivation.
    by_id = {c["id"]: c for c in items}
    literal = {
        "five-realize-putin-leading-into-abyss": (1355, 1430),
        "five-realize-economic-achievements-undone": (1355, 1546),
        "kudrin-role-former-finance-minister": (1034, 1071),
        "five-named-as-russian-elite-examples": (915, 1264),
        "putin-role-president": (973, 986),
    }
    for key, span in literal.items():
        claim = by_id[short_id("clm_", SOURCE_ID, key)]
        assert (claim["start"], claim["end"]) == span, key
    abyss = by_id[short_id("clm_", SOURCE_ID, "five-realize-putin-leading-into-abyss")]
    assert abyss["prefix"] == " to preserve his regime, though "
    assert abyss["suffix"] == " and that his economic achieveme"
    hedge_at = abyss["start"] + abyss["quote"].index("almost certainly")
    assert (hedge_at, hedge_at + len("almost certainly")) == (1360, 1376)
    assert text[1360:1376] == "almost certainly"


def test_list_claims_filters(client: TestClient, subtests: pytest.Subtests) -> None:
    cases: list[dict[str, str]] = [
        *({"subject": s} for s in [*ALL_PERSONS, "russian-elite", "russian-opposition-in-exile"]),
        {"subject": "central-bank-of-russia"},
        {"subject": "nobody"},
        *({"kind": k} for k in KINDS),
        *({"modality": m} for m in MODALITIES),
        *({"stance": s} for s in STANCES),
        {"attributed_to": "boris-bondarev"},
        {"attributed_to": "vladimir-putin"},
        {"subject": "vladimir-putin", "kind": "prediction", "modality": "asserted"},
        {"subject": "russian-elite", "stance": "favourable"},
        {"subject": "alexei-kudrin", "modality": "hedged"},
        {"kind": "prediction", "attributed_to": "boris-bondarev"},
    ]
    for params in cases:
        with subtests.test(**params):
            assert ids(client.get("/v1/claims", params=params)) == claim_ids_where(**params)

    with subtests.test("source"):
        assert ids(client.get("/v1/claims", params={"source": SOURCE_ID})) == [
            c.id for c in expected_claims()
        ]
        assert ids(client.get("/v1/claims", params={"source": "no-such-source"})) == []

    with subtests.test("exact counts"):
        counts = {k: len(ids(client.get("/v1/claims", params={"kind": k}))) for k in KINDS}
        assert counts == {
            "characterization": 5,
            "assertion": 8,
            "belief_attribution": 4,
            "prediction": 9,
            "prescription": 4,
            "role_statement": 6,
        }
        assert len(ids(client.get("/v1/claims", params={"attributed_to": "boris-bondarev"}))) == 35

    for name in ("kind", "modality", "stance"):
        with subtests.test("bogus enum", parameter=name):
            body = assert_problem(
                client.get("/v1/claims", params={name: "bogus"}),
                422,
                "/v1/claims",
                name,
                slug="validation-error",
            )
            assert [e["loc"] for e in body["errors"]] == [["query", name]]


def test_claim_attributed_only_by_a_label(client: TestClient) -> None:
    many = claim_by_key("many-suggest-putin-defeat-could-bring-coup")
    body = client.get(f"/v1/claims/{many.id}").json()
    assert body["attributed_to"] == {"type": None, "id": None, "name": "many"}
    assert (body["modality"], body["hedge"], body["kind"]) == (
        "reported",
        "potentially",
        "prediction",
    )
    assert [s["id"] for s in body["subjects"]] == ["vladimir-putin", "russian-elite"]
    assert [s["type"] for s in body["subjects"]] == ["person", "organization"]
    by_bondarev = ids(client.get("/v1/claims", params={"attributed_to": "boris-bondarev"}))
    everything = ids(client.get("/v1/claims"))
    assert [c for c in everything if c not in by_bondarev] == [many.id]
    reported = ids(client.get("/v1/claims", params={"modality": "reported"}))
    assert reported == [many.id]


def test_hedged_beliefs_about_each_of_the_five(client: TestClient) -> None:
    expected = sorted((claim_by_key(k) for k in HEDGED_BELIEFS), key=lambda c: (c.start, c.id))
    for person_id in FIVE:
        for url in ("/v1/claims", f"/v1/persons/{person_id}/claims"):
            params = {"modality": "hedged", "kind": "belief_attribution"}
            if url == "/v1/claims":
                params["subject"] = person_id
            items = client.get(url, params=params).json()["items"]
            assert [c["id"] for c in items] == [c.id for c in expected], (person_id, url)
            for item in items:
                assert item["hedge"] == "almost certainly"
                assert item["stance"] == "mixed"
                assert [s["id"] for s in item["subjects"]] == FIVE
                assert item["attributed_to"] == {
                    "type": "person",
                    "id": "boris-bondarev",
                    "name": "Boris Bondarev",
                }
    # Nobody else holds these beliefs.
    for other in ("vladimir-putin", "boris-bondarev", "russian-elite"):
        assert ids(client.get("/v1/claims", params={"subject": other, "modality": "hedged"})) == []


def test_get_claim(client: TestClient) -> None:
    listed = client.get("/v1/claims").json()["items"]
    for item in listed:
        response = client.get(f"/v1/claims/{item['id']}")
        assert response.status_code == 200
        assert response.json() == item
    abyss = client.get(
        f"/v1/claims/{short_id('clm_', SOURCE_ID, 'five-realize-putin-leading-into-abyss')}"
    ).json()
    assert abyss["quote"] == (
        "they almost certainly realize that he is leading the country into the abyss"
    )
    assert abyss["source"] == {
        "id": SOURCE_ID,
        "title": "The West Must Drive a Wedge Between Putin and Russia's Elites",
    }

    path = "/v1/claims/clm_doesnotexist"
    body = assert_problem(client.get(path), 404, path, "'clm_doesnotexist'", slug="not-found")
    assert body["detail"] == "No claim with id 'clm_doesnotexist'."
