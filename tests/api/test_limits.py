"""Oversized, malformed and unauthenticated input: clear problems, and nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.main import create_app
from tests.support.clients import Keys, app_settings

LIMIT = 256 * 1024


def annotation_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM annotation")).scalar_one())


def big_body(size: int) -> bytes:
    payload = {
        "target": {"type": "person", "id": "german-gref"},
        "motivation": "commenting",
        "body": "x",
        "tags": [],
    }
    raw = json.dumps(payload).encode()
    # Pad with JSON whitespace so the body is valid JSON of exactly `size` bytes.
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


def test_a_body_over_the_limit_is_refused_with_413(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    headers = {**keys["alice"], "Content-Type": "application/json"}
    at_limit = client.post("/v1/annotations", content=big_body(LIMIT), headers=headers)
    assert at_limit.status_code == 201, at_limit.text
    over = client.post("/v1/annotations", content=big_body(LIMIT + 1), headers=headers)
    assert over.status_code == 413
    assert over.headers["content-type"] == "application/problem+json"
    problem = over.json()
    assert (problem["type"], problem["status"], problem["instance"]) == (
        "https://elitekb.example/problems/payload-too-large",
        413,
        "/v1/annotations",
    )
    assert str(LIMIT) in problem["detail"]
    assert problem["request_id"] == over.headers["x-request-id"]
    assert annotation_rows(engine) == 1


def test_a_chunked_body_without_content_length_is_counted(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    body = big_body(LIMIT + 10)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 16 * 1024):
            yield body[i : i + 16 * 1024]

    headers = {**keys["alice"], "Content-Type": "application/json"}
    response = client.post("/v1/annotations", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert annotation_rows(engine) == 0


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe]\x04", b'{"target": ', b"[]", b'"just a string"', b"null"],
)
def test_bodies_that_are_not_an_annotation_get_422(
    client: TestClient, keys: Keys, engine: Engine, raw: bytes
) -> None:
    headers = {**keys["alice"], "Content-Type": "application/json"}
    response = client.post("/v1/annotations", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "https://elitekb.example/problems/validation-error"
    assert annotation_rows(engine) == 0


def test_private_reads_need_a_key(engine: Engine, keys: Keys) -> None:
    app = create_app(engine, app_settings(public_read=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        anonymous = client.get("/v1/persons/alexei-kudrin")
        assert anonymous.status_code == 401
        assert "needs a key for reads" in anonymous.json()["detail"]
        assert anonymous.headers["www-authenticate"] == 'Bearer realm="elitekb"'
        assert client.get("/v1/claims").status_code == 401
        with_key = client.get("/v1/persons/alexei-kudrin", headers=keys["bob"])
        assert with_key.status_code == 200 and with_key.json()["id"] == "alexei-kudrin"
        # Probes and docs stay open.
        assert client.get("/livez").status_code == 200
        assert client.get("/openapi.json").status_code == 200


OPEN_WHEN_CLOSED = {("get", "/livez"), ("get", "/readyz")}


def test_closed_reads_refuse_every_operation_without_a_key(
    engine: Engine, keys: Keys, subtests: pytest.Subtests
) -> None:
    """With ELITEKB_PUBLIC_READ=false, every operation of the OpenAPI document but the probes
    answers 401 to a request without a key, whatever its method: a POST can read too."""
    app = create_app(engine, app_settings(public_read=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        doc = client.get("/openapi.json").json()
        operations = [
            (method, path, op)
            for path, item in doc["paths"].items()
            for method, op in item.items()
            if method in ("get", "post", "patch", "put", "delete")
        ]
        assert len(operations) == 57
        open_ones = set()
        for method, path, op in operations:
            concrete = path
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    example = param.get("example") or param["schema"].get("examples", ["x"])[0]
                    concrete = concrete.replace("{" + param["name"] + "}", str(example))
            body = {} if "requestBody" in op else None
            with subtests.test(method=method, path=path):
                response = client.request(method.upper(), concrete, json=body)
                if response.status_code != 401:
                    open_ones.add((method, path))
                    continue
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["detail"] == (
                    "This API needs a key for reads: send 'Authorization: Bearer ekb_…'."
                )
                assert response.headers["www-authenticate"] == 'Bearer realm="elitekb"'
        assert open_ones == OPEN_WHEN_CLOSED
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 200

        # The hole this closes: matching answered anonymous callers of a closed knowledge base.
        query = {"queries": {"q1": {"name": "Elvira Nabiullina", "birth_date": "1963-10-29"}}}
        assert client.post("/v1/match", json=query).status_code == 401
        keyed = client.post("/v1/match", json=query, headers=keys["bob"])
        assert keyed.status_code == 200
        assert keyed.json()["responses"]["q1"]["results"][0]["id"] == "elvira-nabiullina"


def test_secrets_never_reach_the_log(
    client: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    secret = keys.secrets["alice"]
    client.post("/v1/annotations", json={"bogus": True}, headers=keys["alice"])
    client.get("/v1/keys", headers=keys["alice"])
    client.post("/v1/annotations", json={}, headers={"Authorization": f"Bearer {secret}x"})
    assert secret not in caplog.text
    assert secret[4:] not in caplog.text


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "ekb_…",
        "description": doc["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    create = doc["paths"]["/v1/annotations"]["post"]
    assert create["security"] == [{"ApiKey": []}]
