"""Every error is RFC 9457 application/problem+json, and odd input never becomes a 500."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.support.api import PROBLEM_KEYS, SOURCE_ID, claim_id

TEXT = f"/v1/sources/{SOURCE_ID}/text"
CLAIM = f"/v1/claims/{claim_id('five-realize-putin-leading-into-abyss')}"

# (method, url, status, problem type slug, what the detail must mention)
PROBLEMS: list[tuple[str, str, int, str, list[str]]] = [
    ("GET", "/v1/persons/alexei-kudrn", 404, "not-found", ["'alexei-kudrn'", "person"]),
    ("GET", "/v1/persons/alexei-kudrn/roles", 404, "not-found", ["'alexei-kudrn'"]),
    ("GET", "/v1/persons/alexei-kudrn/claims", 404, "not-found", ["'alexei-kudrn'"]),
    ("GET", "/v1/organizations/sberbnk", 404, "not-found", ["'sberbnk'", "organization"]),
    ("GET", "/v1/sources/no-such-essay", 404, "not-found", ["'no-such-essay'", "source"]),
    ("GET", "/v1/sources/no-such-essay/text", 404, "not-found", ["'no-such-essay'"]),
    ("GET", "/v1/sources/no-such-essay/claims", 404, "not-found", ["'no-such-essay'"]),
    ("GET", "/v1/claims/clm_aaaaaaaaaa", 404, "not-found", ["'clm_aaaaaaaaaa'", "claim"]),
    ("GET", "/v1/annotationz", 404, "not-found", ["/v1/annotationz"]),
    ("GET", "/v1/annotations/ann_0000000000000000", 404, "not-found", ["annotation"]),
    ("POST", "/v1/annotations", 401, "unauthorized", ["annotate", "Bearer"]),
    ("GET", "/v1/keys", 401, "unauthorized", ["admin"]),
    ("GET", "/v2/persons", 404, "not-found", ["/v2/persons"]),
    ("POST", "/v1/changes", 405, "method-not-allowed", ["POST", "/v1/changes"]),
    ("PUT", "/v1/persons/alexei-kudrin", 405, "method-not-allowed", ["PUT"]),
    ("PUT", CLAIM, 405, "method-not-allowed", ["PUT", CLAIM]),
    ("DELETE", f"{TEXT}", 405, "method-not-allowed", ["DELETE"]),
    ("GET", "/v1/claims?kind=bogus", 422, "validation-error", ["kind"]),
    ("GET", "/v1/claims?modality=certain", 422, "validation-error", ["modality"]),
    ("GET", "/v1/organizations?kind=bogus", 422, "validation-error", ["kind"]),
    ("GET", "/v1/persons?role_status=retired", 422, "validation-error", ["role_status"]),
    ("GET", "/v1/persons?q=", 422, "validation-error", ["q"]),
    ("GET", "/v1/persons?limit=0", 422, "validation-error", ["limit"]),
    ("GET", "/v1/claims?limit=501", 422, "validation-error", ["limit"]),
    ("GET", "/v1/claims?cursor=garbage", 400, "invalid-cursor", ["cursor"]),
    ("GET", "/v1/persons?cursor=Zm9vYmFy", 400, "invalid-cursor", ["cursor"]),
    ("GET", f"{TEXT}?start=10&end=5", 422, "invalid-range", ["[10, 5)", "4500"]),
    ("GET", f"{TEXT}?end=4501", 422, "invalid-range", ["[0, 4501)", "4500"]),
    ("GET", f"{TEXT}?start=-1", 422, "validation-error", ["start"]),
]
HEX32 = re.compile(r"[0-9a-f]{32}")


def test_every_error_is_an_rfc9457_problem(client: TestClient, subtests: pytest.Subtests) -> None:
    request_ids = set()
    for method, url, status, slug, mentions in PROBLEMS:
        with subtests.test(method=method, url=url):
            response = client.request(method, url)
            assert response.status_code == status, response.text[:400]
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            validation = slug == "validation-error"
            assert set(body) == (PROBLEM_KEYS | {"errors"} if validation else PROBLEM_KEYS)
            assert body["type"] == f"https://elitekb.example/problems/{slug}"
            assert isinstance(body["title"], str) and body["title"]
            assert body["status"] == status
            assert body["instance"] == urlsplit(url).path
            for mention in mentions:
                assert mention in body["detail"], (mention, body["detail"])
            assert "Traceback" not in response.text
            assert response.headers["x-request-id"] == body["request_id"]
            assert HEX32.fullmatch(body["request_id"])
            request_ids.add(body["request_id"])
            if validation:
                assert body["errors"], body
                for error in body["errors"]:
                    assert set(error) == {"loc", "msg", "type"}
                    assert error["loc"][0] in ("query", "path")
                    assert error["loc"][-1] in body["detail"]
            if status == 405:
                allowed = {m.strip() for m in response.headers["allow"].split(",")}
                assert "GET" in allowed
                assert method not in allowed

            supplied = "client-chosen-id-0042"
            echoed = client.request(method, url, headers={"X-Request-ID": supplied})
            assert echoed.status_code == status
            assert echoed.headers["x-request-id"] == supplied
            assert echoed.json()["request_id"] == supplied

    with subtests.test("request ids are fresh per request"):
        assert len(request_ids) == len(PROBLEMS)

    with subtests.test("successful responses carry a request id too"):
        ok = client.get("/v1/persons/alexei-kudrin", headers={"X-Request-ID": "abc-123"})
        assert ok.status_code == 200
        assert ok.headers["x-request-id"] == "abc-123"
        assert HEX32.fullmatch(client.get("/v1/persons").headers["x-request-id"])


def test_unusable_client_request_ids_are_replaced(client: TestClient) -> None:
    for unusable in ("x" * 65, "has\ttab", ""):
        response = client.get("/v1/persons/nobody", headers={"X-Request-ID": unusable})
        assert response.status_code == 404
        assert HEX32.fullmatch(response.headers["x-request-id"]), unusable
        assert response.json()["request_id"] == response.headers["x-request-id"]


def test_overlong_ids_are_422(client: TestClient, subtests: pytest.Subtests) -> None:
    long_slug = "a" * 101
    for path, parameter in [
        (f"/v1/persons/{long_slug}", "person_id"),
        (f"/v1/persons/{long_slug}/roles", "person_id"),
        (f"/v1/persons/{long_slug}/claims", "person_id"),
        (f"/v1/organizations/{long_slug}", "organization_id"),
        (f"/v1/sources/{long_slug}", "source_id"),
        (f"/v1/sources/{long_slug}/text", "source_id"),
        (f"/v1/sources/{long_slug}/claims", "source_id"),
        (f"/v1/claims/clm_{long_slug}", "claim_id"),
        (f"/v1/persons/{'я' * 150}", "person_id"),
    ]:
        with subtests.test(path=path[:40], parameter=parameter):
            response = client.get(path)
            assert response.status_code == 422, response.text[:400]
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["instance"] == path
            assert [e["loc"] for e in body["errors"]] == [["path", parameter]]
            assert parameter in body["detail"]
    for url, parameter in [
        (f"/v1/persons?q={'x' * 201}", "q"),
        (f"/v1/claims?subject={long_slug}", "subject"),
        (f"/v1/persons?organization={long_slug}", "organization"),
        (f"/v1/sources/{SOURCE_ID}/text?start={10**30}", None),
    ]:
        with subtests.test(url=url[:40]):
            response = client.get(url)
            assert response.status_code == 422, response.text[:400]
            if parameter is not None:
                assert [e["loc"] for e in response.json()["errors"]] == [["query", parameter]]


def test_unicode_ids_are_404(client: TestClient, subtests: pytest.Subtests) -> None:
    for path, thing in [
        ("/v1/persons/набиуллина", "набиуллина"),
        ("/v1/persons/Elʹvira", "Elʹvira"),
        ("/v1/persons/😀", "😀"),
        ("/v1/persons/😀/claims", "😀"),
        ("/v1/organizations/Сбербанк", "Сбербанк"),
        ("/v1/sources/é-source", "é-source"),
        ("/v1/sources/é-source/text", "é-source"),
        ("/v1/claims/clm_ü🙂", "clm_ü🙂"),
        ("/v1/persons/x' OR '1'='1", "x' OR '1'='1"),
    ]:
        with subtests.test(path=path):
            response = client.get(quote(path, safe="/"))
            assert response.status_code == 404, response.text[:400]
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["instance"] == path
            assert f"{thing!r}" in body["detail"]


def test_nul_bytes_never_cause_a_500(client: TestClient, subtests: pytest.Subtests) -> None:
    searches = [
        "/v1/persons?q=%00",
        "/v1/persons?q=Kud%00rin",
        "/v1/organizations?q=%00",
        "/v1/organizations?q=bank%00",
    ]
    filters = [
        "/v1/persons?organization=russian-elite%00",
        "/v1/claims?subject=%00",
        "/v1/claims?source=%00",
        "/v1/claims?attributed_to=boris-bondarev%00",
        "/v1/sources?language=en%00",
        "/v1/sources?author=%00",
        "/v1/claims?cursor=%00",
    ]
    paths = [
        "/v1/persons/%00",
        "/v1/persons/alexei-kudrin%00",
        "/v1/persons/%00/claims",
        "/v1/organizations/%00",
        "/v1/sources/%00",
        f"/v1/sources/{SOURCE_ID}%00/text",
        "/v1/claims/clm_%00",
    ]
    for url in searches + filters + paths:
        with subtests.test(url=url):
            response = client.get(url)
            assert response.status_code != 500, response.text[:400]
            if response.status_code == 200:
                assert url in searches + filters, "a NUL id must not find anything"
                assert response.json()["items"] == []
            else:
                assert response.status_code in (400, 404, 422)
                assert response.headers["content-type"] == "application/problem+json"
                body = response.json()
                assert body["status"] == response.status_code
                assert body["request_id"] == response.headers["x-request-id"]
