"""GET /v1/persons, /v1/persons/{id}, /roles and /claims against the seeded essay.

Each test builds a fresh database per backend, which costs far more than a request, so tables of
cases run as subtests inside one test: every case is still reported on its own.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from app.services.loading.seed import short_id
from tests.support.api import (
    ALL_PERSONS,
    FIVE,
    SOURCE_ID,
    assert_problem,
    claim_by_key,
    claim_counts,
    claim_ids_where,
    ids,
    name_forms,
    role_json,
    seed_persons,
    seed_roles,
    without_timestamps,
)

NAME_QUERIES = [
    # Cyrillic, any case.
    ("Набиуллина", ["elvira-nabiullina"]),
    ("набиуллина", ["elvira-nabiullina"]),
    ("НАБИУЛЛИНА", ["elvira-nabiullina"]),
    ("Эльвира Сахипзадовна", ["elvira-nabiullina"]),
    ("Герман Оскарович", ["german-gref"]),
    ("Бондарев", ["boris-bondarev"]),
    ("Путин", ["vladimir-putin"]),
    ("Владимирович", ["mikhail-mishustin", "vladimir-putin"]),
    # ё folds to е, both ways, in any case.
    ("Семенович", ["sergei-sobyanin"]),
    ("Семёнович", ["sergei-sobyanin"]),
    ("СЕМЁНОВИЧ", ["sergei-sobyanin"]),
    # Latin, any case, every transliteration scheme, diacritics ignored.
    ("gref", ["german-gref"]),
    ("GREF", ["german-gref"]),
    ("Herman", ["german-gref"]),
    ("Sobianin", ["sergei-sobyanin"]),
    ("Sobânin", ["sergei-sobyanin"]),
    ("sobanin", ["sergei-sobyanin"]),
    ("Semënovich", ["sergei-sobyanin"]),
    ("Mišustin", ["mikhail-mishustin"]),
    ("misustin", ["mikhail-mishustin"]),
    ("Elʹvira", ["elvira-nabiullina"]),
    ("Èlʹvira", ["elvira-nabiullina"]),
    ("Aleksej", ["alexei-kudrin"]),
    ("alexei  kudrin", ["alexei-kudrin"]),
    ("vladimirovich", ["mikhail-mishustin", "vladimir-putin"]),
    # Substrings, not words in any order; unknown names match nothing.
    ("Kudrin Alexei", []),
    ("Navalny", []),
    # LIKE metacharacters are literal characters, never wildcards.
    ("%", []),
    ("%%", []),
    ("_", []),
    ("K%n", []),
    ("Kudr_n", []),
]


def test_list_persons_is_the_seven_seeded_persons_in_id_order(client: TestClient) -> None:
    response = client.get("/v1/persons")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"items", "next_cursor"}
    assert [p["id"] for p in body["items"]] == ALL_PERSONS
    assert len(body["items"]) == 7
    assert body["next_cursor"] is None
    assert "link" not in response.headers
    for item in body["items"]:
        seeded = seed_persons()[item["id"]]
        assert set(item) == {"id", "name", "description", "names", "updated_at", "version"}
        assert item["name"] == seeded["name"]
        assert item["description"] == seeded["description"]
        assert item["names"] == name_forms(seeded)
        assert item["version"] == 1
        assert item["updated_at"].endswith("Z")


def test_list_persons_q_matches_every_name_form(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    for q, expected in NAME_QUERIES:
        with subtests.test(q=q):
            assert ids(client.get("/v1/persons", params={"q": q})) == expected, q


def test_list_persons_filters(client: TestClient, subtests: pytest.Subtests) -> None:
    mof = "ministry-of-finance-of-russia"
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"organization": "russian-elite"}, FIVE),
        ({"organization": "central-bank-of-russia"}, ["elvira-nabiullina"]),
        ({"organization": "sberbank"}, ["german-gref"]),
        ({"organization": "presidency-of-russia"}, ["vladimir-putin"]),
        ({"organization": "the-moscow-times"}, []),
        ({"organization": "no-such-organization"}, []),
        ({"role_status": "former"}, ["alexei-kudrin"]),
        ({"role_status": "current"}, [*FIVE, "vladimir-putin"]),
        ({"role_status": "unknown"}, []),
        ({"organization": mof, "role_status": "former"}, ["alexei-kudrin"]),
        ({"organization": mof, "role_status": "current"}, []),
        ({"organization": "russian-elite", "role_status": "former"}, []),
        ({"organization": "russian-elite", "role_status": "current"}, FIVE),
        ({"organization": "russian-elite", "q": "Sergei"}, ["sergei-sobyanin"]),
        ({"organization": "russian-elite", "q": "Putin"}, []),
        ({"role_status": "former", "q": "Кудрин"}, ["alexei-kudrin"]),
        ({"role_status": "current", "q": "Кудрин"}, ["alexei-kudrin"]),
    ]
    for params, expected in cases:
        with subtests.test(**params):
            assert ids(client.get("/v1/persons", params=params)) == expected, params

    with subtests.test("unknown role_status"):
        body = assert_problem(
            client.get("/v1/persons", params={"role_status": "retired"}),
            422,
            "/v1/persons",
            "role_status",
            slug="validation-error",
        )
        assert [e["loc"] for e in body["errors"]] == [["query", "role_status"]]


def test_get_person_matches_the_seed(client: TestClient, subtests: pytest.Subtests) -> None:
    bases = {
        "enwiki": "https://en.wikipedia.org/wiki/",
        "ruwiki": "https://ru.wikipedia.org/wiki/",
        "wikidata": "https://www.wikidata.org/wiki/",
    }
    for person_id in ALL_PERSONS:
        with subtests.test(person_id=person_id):
            response = client.get(f"/v1/persons/{person_id}")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            body = response.json()
            seeded = seed_persons()[person_id]
            assert set(body) == {
                "id",
                "name",
                "description",
                "birth_date",
                "names",
                "identifiers",
                "roles",
                "claim_counts",
                "annotation_count",
                "created_at",
                "updated_at",
                "version",
            }
            assert body["id"] == person_id
            assert body["name"] == seeded["name"]
            assert body["description"] == seeded["description"]
            # TOML dates load as datetime.date; the API writes ISO 8601.
            born = seeded.get("birth_date")
            assert body["birth_date"] == (born.isoformat() if born else None)
            assert body["names"] == name_forms(seeded)
            assert body["version"] == 1
            assert [(i["scheme"], i["value"]) for i in body["identifiers"]] == sorted(
                (i["scheme"], i["value"]) for i in seeded["identifiers"]
            )
            for identifier in body["identifiers"]:
                expected_url = bases[identifier["scheme"]] + identifier["value"]
                assert unquote(identifier["url"]) == expected_url
            expected_roles = [role_json(r) for r in seed_roles() if r["person"] == person_id]
            assert sorted(
                (without_timestamps(r) for r in body["roles"]), key=lambda r: r["id"]
            ) == sorted(expected_roles, key=lambda r: r["id"])
            assert body["claim_counts"] == claim_counts(person_id)


def test_get_person_exact_values(client: TestClient) -> None:
    kudrin = client.get("/v1/persons/alexei-kudrin").json()
    assert kudrin["names"][0] == {
        "name": "Алексей Кудрин",
        "lang": "ru",
        "script": "Cyrl",
        "kind": "original",
        "scheme": None,
        "provenance": "curator: reference knowledge (Russian-language press usage)",
    }
    assert [n["name"] for n in kudrin["names"] if n["script"] == "Cyrl"] == [
        "Алексей Кудрин",
        "Алексей Леонидович Кудрин",
    ]
    assert [(i["scheme"], i["value"]) for i in kudrin["identifiers"]] == [
        ("enwiki", "Alexei_Kudrin"),
        ("ruwiki", "Кудрин,_Алексей_Леонидович"),
    ]
    assert kudrin["identifiers"][0]["url"] == "https://en.wikipedia.org/wiki/Alexei_Kudrin"
    # Percent-encoded UTF-8 (RFC 3986), with the comma kept as Wikipedia writes it.
    assert kudrin["identifiers"][1]["url"] == (
        "https://ru.wikipedia.org/wiki/%D0%9A%D1%83%D0%B4%D1%80%D0%B8%D0%BD,_%D0%90%D0%BB%D0%B5"
        "%D0%BA%D1%81%D0%B5%D0%B9_%D0%9B%D0%B5%D0%BE%D0%BD%D0%B8%D0%B4%D0%BE%D0%B2%D0%B8%D1%87"
    )
    assert unquote(kudrin["identifiers"][1]["url"]) == (
        "https://ru.wikipedia.org/wiki/Кудрин,_Алексей_Леонидович"
    )
    assert kudrin["claim_counts"] == {
        "total": 7,
        "by_kind": {
            "assertion": 3,
            "belief_attribution": 2,
            "characterization": 1,
            "role_statement": 1,
        },
    }
    roles = {r["organization"]["id"]: r for r in kudrin["roles"]}
    assert set(roles) == {"ministry-of-finance-of-russia", "russian-elite"}
    minister = roles["ministry-of-finance-of-russia"]
    assert (minister["title"], minister["kind"], minister["status"]) == (
        "Minister of Finance",
        "position",
        "former",
    )
    assert minister["status_as_of_date"] == "2023-02-23"
    assert minister["provenance"] == {
        "claim_id": short_id("clm_", SOURCE_ID, "kudrin-role-former-finance-minister"),
        "source_id": SOURCE_ID,
        "quote": "former finance minister Alexei Kudrin",
        "start": 1034,
        "end": 1071,
    }
    member = roles["russian-elite"]
    assert (member["title"], member["kind"], member["status"]) == (
        "member",
        "membership",
        "current",
    )
    assert member["provenance"]["claim_id"] == short_id(
        "clm_", SOURCE_ID, "five-named-as-russian-elite-examples"
    )
    assert (member["provenance"]["start"], member["provenance"]["end"]) == (915, 1264)

    nabiullina = client.get("/v1/persons/elvira-nabiullina").json()
    assert nabiullina["names"][0]["name"] == "Эльвира Набиуллина"
    chair = next(r for r in nabiullina["roles"] if r["kind"] == "position")
    assert chair["organization"] == {
        "id": "central-bank-of-russia",
        "name": "Central Bank of the Russian Federation",
        "kind": "central_bank",
    }
    assert (chair["title"], chair["status"]) == ("Chair", "current")
    expected = claim_by_key("nabiullina-role-central-bank-chair")
    assert chair["provenance"]["quote"] == "Central Bank chair Elvira Nabiullina"
    assert (chair["provenance"]["start"], chair["provenance"]["end"]) == (
        expected.start,
        expected.end,
    )

    putin = client.get("/v1/persons/vladimir-putin").json()
    assert [(i["scheme"], i["value"], i["url"]) for i in putin["identifiers"][::2]] == [
        ("enwiki", "Vladimir_Putin", "https://en.wikipedia.org/wiki/Vladimir_Putin"),
        ("wikidata", "Q7747", "https://www.wikidata.org/wiki/Q7747"),
    ]
    assert putin["claim_counts"] == {
        "total": 14,
        "by_kind": {
            "assertion": 2,
            "characterization": 2,
            "prediction": 8,
            "prescription": 1,
            "role_statement": 1,
        },
    }

    bondarev = client.get("/v1/persons/boris-bondarev").json()
    assert bondarev["identifiers"] == []
    assert bondarev["roles"] == []
    assert bondarev["claim_counts"] == {"total": 0, "by_kind": {}}


def test_role_provenance_is_the_claim_it_cites(client: TestClient) -> None:
    checked = 0
    for person_id in ALL_PERSONS:
        for role in client.get(f"/v1/persons/{person_id}").json()["roles"]:
            provenance = role["provenance"]
            claim = client.get(f"/v1/claims/{provenance['claim_id']}").json()
            assert provenance == {
                "claim_id": claim["id"],
                "source_id": claim["source"]["id"],
                "quote": claim["quote"],
                "start": claim["start"],
                "end": claim["end"],
            }
            assert person_id in [s["id"] for s in claim["subjects"]]
            checked += 1
    assert checked == len(seed_roles()) == 11


def test_list_person_roles_and_claims(client: TestClient, subtests: pytest.Subtests) -> None:
    for person_id in ALL_PERSONS:
        with subtests.test("roles", person_id=person_id):
            body = client.get(f"/v1/persons/{person_id}/roles").json()
            expected = sorted(
                (role_json(r) for r in seed_roles() if r["person"] == person_id),
                key=lambda r: r["id"],
            )
            assert [without_timestamps(r) for r in body["items"]] == expected
            assert body["next_cursor"] is None
            detail = client.get(f"/v1/persons/{person_id}").json()["roles"]
            assert body["items"] == sorted(detail, key=lambda r: r["id"])
        with subtests.test("claims", person_id=person_id):
            body = client.get(f"/v1/persons/{person_id}/claims").json()
            assert [c["id"] for c in body["items"]] == claim_ids_where(subject=person_id)
            assert body["next_cursor"] is None
            everywhere = client.get("/v1/claims", params={"subject": person_id}).json()
            assert body["items"] == everywhere["items"]

    kudrin_cases: list[tuple[dict[str, str], list[str]]] = [
        (
            {"modality": "hedged"},
            ["five-realize-putin-leading-into-abyss", "five-realize-economic-achievements-undone"],
        ),
        ({"kind": "role_statement"}, ["kudrin-role-former-finance-minister"]),
        ({"kind": "characterization"}, ["kudrin-nabiullina-gref-liberally-minded"]),
        (
            {"stance": "unfavourable"},
            ["five-demonstrate-loyalty-to-dictator", "five-work-to-preserve-putins-regime"],
        ),
        ({"kind": "prediction"}, []),
        ({"kind": "assertion", "stance": "neutral"}, ["five-named-as-russian-elite-examples"]),
    ]
    for params, keys in kudrin_cases:
        with subtests.test("kudrin claims", **params):
            expected_ids = [
                c.id for c in sorted((claim_by_key(k) for k in keys), key=lambda c: (c.start, c.id))
            ]
            got = ids(client.get("/v1/persons/alexei-kudrin/claims", params=params))
            assert got == expected_ids, params


def test_unknown_person_is_404(client: TestClient, subtests: pytest.Subtests) -> None:
    for path in (
        "/v1/persons/alexei-kudrn",
        "/v1/persons/alexei-kudrn/roles",
        "/v1/persons/alexei-kudrn/claims",
    ):
        with subtests.test(path=path):
            body = assert_problem(client.get(path), 404, path, "'alexei-kudrn'", slug="not-found")
            assert body["detail"] == "No person with id 'alexei-kudrn'."
