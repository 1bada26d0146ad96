"""GET /v1/organizations and /v1/organizations/{id} against the seeded essay."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from app.services.loading.seed import short_id
from tests.support.api import (
    ALL_ORGANIZATIONS,
    FIVE,
    SOURCE_ID,
    assert_problem,
    claim_by_key,
    claim_counts,
    ids,
    name_forms,
    role_json,
    seed_organizations,
    seed_persons,
    seed_roles,
    without_timestamps,
)

MEMBER_COUNTS = {
    "central-bank-of-russia": 1,
    "government-of-russia": 1,
    "ministry-of-finance-of-russia": 1,
    "moscow-city-government": 1,
    "presidency-of-russia": 1,
    "russian-elite": 5,
    "russian-opposition-in-exile": 0,
    "sberbank": 1,
    "the-moscow-times": 0,
}


def test_list_organizations_in_id_order_with_member_counts(client: TestClient) -> None:
    response = client.get("/v1/organizations")
    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body["items"]] == ALL_ORGANIZATIONS
    assert body["next_cursor"] is None
    assert "link" not in response.headers
    assert {o["id"]: o["member_count"] for o in body["items"]} == MEMBER_COUNTS
    for item in body["items"]:
        seeded = seed_organizations()[item["id"]]
        assert set(item) == {
            "id",
            "name",
            "kind",
            "description",
            "names",
            "member_count",
            "updated_at",
            "version",
        }
        assert (item["name"], item["kind"], item["description"]) == (
            seeded["name"],
            seeded["kind"],
            seeded["description"],
        )
        assert item["names"] == name_forms(seeded)
        assert item["version"] == 1


def test_list_organizations_q_and_kind(client: TestClient, subtests: pytest.Subtests) -> None:
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"q": "Сбербанк"}, ["sberbank"]),
        ({"q": "сбер"}, ["sberbank"]),
        ({"q": "Банк России"}, ["central-bank-of-russia", "sberbank"]),
        ({"q": "Центральный"}, ["central-bank-of-russia"]),
        ({"q": "ЦБ"}, ["central-bank-of-russia"]),
        ({"q": "Tsentralʹnyy"}, ["central-bank-of-russia"]),
        ({"q": "bank"}, ["central-bank-of-russia", "sberbank"]),
        ({"q": "Минфин"}, ["ministry-of-finance-of-russia"]),
        ({"q": "правительство"}, ["government-of-russia", "moscow-city-government"]),
        ({"q": "moscow"}, ["moscow-city-government", "the-moscow-times"]),
        ({"q": "Putin's"}, ["russian-elite", "russian-opposition-in-exile"]),
        ({"q": "the Russian elites"}, ["russian-elite"]),
        ({"q": "exiled"}, ["russian-opposition-in-exile"]),
        ({"q": "Kremlin"}, []),
        ({"q": "%"}, []),
        ({"q": "_"}, []),
        (
            {"kind": "state_body"},
            ["government-of-russia", "ministry-of-finance-of-russia", "presidency-of-russia"],
        ),
        ({"kind": "informal_group"}, ["russian-elite", "russian-opposition-in-exile"]),
        ({"kind": "central_bank"}, ["central-bank-of-russia"]),
        ({"kind": "company"}, ["sberbank"]),
        ({"kind": "city_government"}, ["moscow-city-government"]),
        ({"kind": "media"}, ["the-moscow-times"]),
        ({"kind": "media", "q": "moscow"}, ["the-moscow-times"]),
        ({"kind": "state_body", "q": "moscow"}, []),
        ({"kind": "state_body", "q": "Президент"}, ["presidency-of-russia"]),
    ]
    for params, expected in cases:
        with subtests.test(**params):
            assert ids(client.get("/v1/organizations", params=params)) == expected, params

    with subtests.test("unknown kind"):
        body = assert_problem(
            client.get("/v1/organizations", params={"kind": "ministry"}),
            422,
            "/v1/organizations",
            "kind",
            slug="validation-error",
        )
        assert [e["loc"] for e in body["errors"]] == [["query", "kind"]]


def test_get_organization_matches_the_seed(client: TestClient, subtests: pytest.Subtests) -> None:
    for org_id in ALL_ORGANIZATIONS:
        with subtests.test(organization_id=org_id):
            response = client.get(f"/v1/organizations/{org_id}")
            assert response.status_code == 200
            body = response.json()
            seeded = seed_organizations()[org_id]
            assert set(body) == {
                "id",
                "name",
                "kind",
                "description",
                "names",
                "member_count",
                "identifiers",
                "members",
                "roles",
                "claim_counts",
                "annotation_count",
                "created_at",
                "updated_at",
                "version",
            }
            assert (body["id"], body["name"], body["kind"]) == (
                org_id,
                seeded["name"],
                seeded["kind"],
            )
            assert body["names"] == name_forms(seeded)
            roles = [r for r in seed_roles() if r["organization"] == org_id]
            member_ids = sorted({r["person"] for r in roles})
            assert body["members"] == [
                {"id": p, "name": seed_persons()[p]["name"]} for p in member_ids
            ]
            assert body["member_count"] == MEMBER_COUNTS[org_id] == len(member_ids)
            assert sorted(
                (without_timestamps(r) for r in body["roles"]), key=lambda r: r["id"]
            ) == sorted((role_json(r) for r in roles), key=lambda r: r["id"])
            assert [(i["scheme"], i["value"]) for i in body["identifiers"]] == sorted(
                (i["scheme"], i["value"]) for i in seeded["identifiers"]
            )
            for identifier in body["identifiers"]:
                base = f"https://{identifier['scheme'][:2]}.wikipedia.org/wiki/"
                assert unquote(identifier["url"]) == base + identifier["value"]
            assert body["claim_counts"] == claim_counts(org_id)


def test_get_russian_elite(client: TestClient) -> None:
    body = client.get("/v1/organizations/russian-elite").json()
    assert body["kind"] == "informal_group"
    assert [m["id"] for m in body["members"]] == FIVE
    assert [m["name"] for m in body["members"]] == [
        "Alexei Kudrin",
        "Elvira Nabiullina",
        "German Gref",
        "Mikhail Mishustin",
        "Sergei Sobyanin",
    ]
    assert body["member_count"] == 5
    assert sorted(r["person"]["id"] for r in body["roles"]) == FIVE
    assert {(r["kind"], r["title"], r["status"]) for r in body["roles"]} == {
        ("membership", "member", "current")
    }
    evidence = claim_by_key("five-named-as-russian-elite-examples")
    assert (evidence.start, evidence.end) == (915, 1264)
    assert {tuple(sorted(r["provenance"].items())) for r in body["roles"]} == {
        (
            ("claim_id", short_id("clm_", SOURCE_ID, "five-named-as-russian-elite-examples")),
            ("end", 1264),
            ("quote", evidence.quote),
            ("source_id", SOURCE_ID),
            ("start", 915),
        )
    }
    assert body["identifiers"] == []
    assert body["claim_counts"] == {
        "total": 10,
        "by_kind": {
            "assertion": 2,
            "belief_attribution": 2,
            "characterization": 1,
            "prediction": 2,
            "prescription": 3,
        },
    }


def test_get_central_bank_of_russia(client: TestClient) -> None:
    body = client.get("/v1/organizations/central-bank-of-russia").json()
    assert body["name"] == "Central Bank of the Russian Federation"
    assert body["kind"] == "central_bank"
    assert body["members"] == [{"id": "elvira-nabiullina", "name": "Elvira Nabiullina"}]
    assert body["member_count"] == 1
    assert len(body["roles"]) == 1
    chair = body["roles"][0]
    assert chair["person"] == {"id": "elvira-nabiullina", "name": "Elvira Nabiullina"}
    assert (chair["title"], chair["kind"], chair["status"]) == ("Chair", "position", "current")
    assert chair["provenance"] == {
        "claim_id": short_id("clm_", SOURCE_ID, "nabiullina-role-central-bank-chair"),
        "source_id": SOURCE_ID,
        "quote": "Central Bank chair Elvira Nabiullina",
        "start": 1073,
        "end": 1109,
    }
    assert body["identifiers"][0] == {
        "scheme": "enwiki",
        "value": "Central_Bank_of_Russia",
        "url": "https://en.wikipedia.org/wiki/Central_Bank_of_Russia",
    }
    assert body["claim_counts"] == {"total": 0, "by_kind": {}}


def test_unknown_organization_is_404(client: TestClient) -> None:
    path = "/v1/organizations/central-bank-of-rusia"
    body = assert_problem(client.get(path), 404, path, "'central-bank-of-rusia'", slug="not-found")
    assert body["detail"] == "No organization with id 'central-bank-of-rusia'."
