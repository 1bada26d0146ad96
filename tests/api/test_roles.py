"""GET /v1/roles and /v1/roles/{role_id}: every seeded role, filtered, with its provenance."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import role_json, seed_roles


def strip(role: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in role.items() if k != "updated_at"}


def expected(**conditions: str) -> list[dict[str, Any]]:
    roles = [role_json(r) for r in seed_roles() if all(r[k] == v for k, v in conditions.items())]
    return sorted(roles, key=lambda r: r["id"])


def test_list_roles_is_every_seeded_role_in_id_order(client: TestClient) -> None:
    items = client.get("/v1/roles?limit=500").json()["items"]
    assert [strip(r) for r in items] == expected()
    assert len(items) == 11


def test_list_roles_filters(client: TestClient) -> None:
    def ids(query: str) -> list[str]:
        response = client.get(f"/v1/roles?{query}")
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert ids("organization=russian-elite") == [
        r["id"] for r in expected(organization="russian-elite")
    ]
    assert len(ids("organization=russian-elite")) == 5
    assert ids("person=alexei-kudrin") == [r["id"] for r in expected(person="alexei-kudrin")]
    assert ids("person=alexei-kudrin&status=former") == [
        r["id"] for r in expected(person="alexei-kudrin", status="former")
    ]
    assert ids("kind=membership") == [r["id"] for r in expected(kind="membership")]
    assert ids("person=nobody") == []
    assert client.get("/v1/roles?status=retired").status_code == 422


def test_roles_page_by_cursor(client: TestClient) -> None:
    seen, url = [], "/v1/roles?limit=4"
    for _ in range(10):
        page = client.get(url).json()
        seen += [r["id"] for r in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/v1/roles?limit=4&cursor={page['next_cursor']}"
    assert seen == [r["id"] for r in expected()]


def test_get_role_matches_the_seed(client: TestClient) -> None:
    for role in expected():
        response = client.get(f"/v1/roles/{role['id']}")
        assert response.status_code == 200
        assert strip(response.json()) == role
