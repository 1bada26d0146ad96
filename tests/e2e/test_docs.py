"""The API documentation: offline-capable /docs and /redoc, and an OpenAPI document worth reading.

/docs and /redoc must work with no internet, so their HTML may only reference this server, and
every asset they reference must be served. The OpenAPI document must describe every operation
and show examples taken from the seeded essay, and those examples must actually work against the
seed. Finally a real browser (Debian's Chromium, headless, with every host but loopback made
unresolvable) renders both pages from a real `elitekb serve` to prove the UIs build from local
assets alone.

These tests look at documentation, not data, so they run on SQLite only (the documentation is
the same whatever the backend; the backend-specific behaviour is covered elsewhere).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.browser import CHROMIUM_TIMEOUT_S, chromium_path
from tests.support.clients import Keys
from tests.support.server import running_server

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

# Probes and API keys serve no essay data, so they are exempt from the essay-example rule only.
NO_ESSAY_TAGS = {"health", "keys"}
# Every operation the API offers, as (path, method), sorted.
OPERATIONS = sorted(
    [
        ("/livez", "GET"),
        ("/readyz", "GET"),
        ("/v1/annotations", "GET"),
        ("/v1/annotations", "POST"),
        ("/v1/annotations/{annotation_id}", "DELETE"),
        ("/v1/annotations/{annotation_id}", "GET"),
        ("/v1/annotations/{annotation_id}", "PATCH"),
        ("/v1/annotations/{annotation_id}/flag", "POST"),
        ("/v1/annotations/{annotation_id}/hide", "POST"),
        ("/v1/annotations/{annotation_id}/replies", "GET"),
        ("/v1/annotations/{annotation_id}/unhide", "POST"),
        ("/v1/annotations/{annotation_id}/versions", "GET"),
        ("/v1/changes", "GET"),
        ("/v1/claims", "GET"),
        ("/v1/claims", "POST"),
        ("/v1/claims/{claim_id}", "DELETE"),
        ("/v1/claims/{claim_id}", "GET"),
        ("/v1/claims/{claim_id}", "PATCH"),
        ("/v1/claims/{claim_id}/versions", "GET"),
        ("/v1/keys", "GET"),
        ("/v1/keys", "POST"),
        ("/v1/keys/{key_id}", "DELETE"),
        ("/v1/keys/{key_id}", "GET"),
        ("/v1/match", "POST"),
        ("/v1/organizations", "GET"),
        ("/v1/organizations", "POST"),
        ("/v1/organizations/{organization_id}", "DELETE"),
        ("/v1/organizations/{organization_id}", "GET"),
        ("/v1/organizations/{organization_id}", "PATCH"),
        ("/v1/organizations/{organization_id}/versions", "GET"),
        ("/v1/organizations/{organization_id}/mentions", "GET"),
        ("/v1/persons", "GET"),
        ("/v1/persons", "POST"),
        ("/v1/persons/{person_id}", "DELETE"),
        ("/v1/persons/{person_id}", "GET"),
        ("/v1/persons/{person_id}", "PATCH"),
        ("/v1/persons/{person_id}/versions", "GET"),
        ("/v1/persons/{person_id}/annotations", "GET"),
        ("/v1/persons/{person_id}/claims", "GET"),
        ("/v1/persons/{person_id}/mentions", "GET"),
        ("/v1/persons/{person_id}/roles", "GET"),
        ("/v1/roles", "GET"),
        ("/v1/roles", "POST"),
        ("/v1/roles/{role_id}", "DELETE"),
        ("/v1/roles/{role_id}", "GET"),
        ("/v1/roles/{role_id}", "PATCH"),
        ("/v1/roles/{role_id}/versions", "GET"),
        ("/v1/search", "GET"),
        ("/v1/sources", "GET"),
        ("/v1/sources", "POST"),
        ("/v1/sources/{source_id}", "DELETE"),
        ("/v1/sources/{source_id}", "GET"),
        ("/v1/sources/{source_id}", "PATCH"),
        ("/v1/sources/{source_id}/versions", "GET"),
        ("/v1/sources/{source_id}/claims", "GET"),
        ("/v1/sources/{source_id}/mentions", "GET"),
        ("/v1/sources/{source_id}/text", "GET"),
    ]
)


class _Refs(HTMLParser):
    """Collect the URL-valued attributes of a page, and its text."""

    URL_ATTRS = {"src", "href", "action", "poster", "data", "spec-url", "srcset"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        for name, value in values.items():
            if name in self.URL_ATTRS:
                self.refs.append((tag, name, value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    parser.close()
    return parser


def _foreign(url: str, origin: str) -> bool:
    """True if `url` would be fetched from anywhere but `origin` (relative is same-origin)."""
    parts = urlsplit(url.strip())
    if not parts.scheme and not parts.netloc:
        return False
    if parts.scheme in ("data", "blob", "about", "javascript"):
        return parts.scheme == "javascript"
    return f"{parts.scheme}://{parts.netloc}" != origin


# --- the served HTML and its assets -------------------------------------------------------------


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_html_references_only_this_server(client: TestClient, page: str) -> None:
    response = client.get(page)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    refs = _parse(response.text).refs
    assert refs, "the page references no assets at all"
    foreign = [value for _, _, value in refs if _foreign(value, "http://testserver")]
    assert foreign == []


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_assets_are_served(client: TestClient, page: str) -> None:
    refs = _parse(client.get(page).text).refs
    # The specification itself is named in script (Swagger UI) or an attribute (ReDoc).
    urls = sorted({value for _, _, value in refs} | {"/openapi.json"})

    answers = {url: client.get(url) for url in urls}

    assert {url: r.status_code for url, r in answers.items()} == dict.fromkeys(urls, 200)
    for url, r in answers.items():
        assert len(r.content) > 0, url
        expected = {
            ".css": "text/css",
            ".js": "javascript",
            ".png": "image/png",
            ".json": "application/json",
        }[os.path.splitext(url)[1]]
        assert expected in r.headers["content-type"], (url, r.headers["content-type"])


# --- the OpenAPI document ----------------------------------------------------------------------


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "put", "post", "patch", "delete", "head", "options")
    ]


def _examples(node: Any, components: dict[str, Any], seen: set[str]) -> Iterator[Any]:
    """Every `example`/`examples` value under `node`, following $refs once each."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                yield from _examples(components[name], components, seen)
        for key, value in node.items():
            if key in ("example", "examples"):
                yield value
            else:
                yield from _examples(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _examples(value, components, seen)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _essay_vocabulary(client: TestClient) -> set[str]:
    """Ids and every name form of what the seed drew from the essay, read through the API."""
    words: set[str] = set()
    for collection in ("persons", "organizations", "sources"):
        items = client.get(f"/v1/{collection}", params={"limit": 500}).json()["items"]
        assert items, collection
        for item in items:
            words.add(item["id"])
            words.add(item.get("name") or item["title"])
            words.update(form["name"] for form in item.get("names", []))
    return {w for w in words if len(w) >= 4}


def test_every_operation_is_documented(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    operations = _operations(doc)
    assert sorted((path, method) for method, path, _ in operations) == OPERATIONS

    undocumented = [
        (method, path, field)
        for method, path, op in operations
        for field in ("summary", "description")
        if not str(op.get(field, "")).strip()
    ]
    untagged = [(method, path) for method, path, op in operations if len(op.get("tags", [])) != 1]

    assert undocumented == []
    assert untagged == []


def test_every_data_operation_has_an_example_from_the_essay(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    components = doc.get("components", {}).get("schemas", {})
    vocabulary = _essay_vocabulary(client)
    assert {"elvira-nabiullina", "alexei-kudrin", "bondarev-2023-west-must-drive-a-wedge"} <= (
        vocabulary
    )

    def drawn_from_essay(text: str) -> bool:
        return any(word in text for word in vocabulary) or (
            len(text) >= 4 and any(text in word for word in vocabulary)
        )

    missing = []
    for method, path, op in _operations(doc):
        if set(op["tags"]) <= NO_ESSAY_TAGS:
            continue
        where = {
            "parameters": op.get("parameters", []),
            "requestBody": op.get("requestBody", {}),
            "responses": op.get("responses", {}),
        }
        texts = [s for ex in _examples(where, components, set()) for s in _strings(ex)]
        if not any(drawn_from_essay(text) for text in texts):
            missing.append((method, path))

    assert missing == []


# Example ids of things users create (annotations, keys) cannot be in the seed: Try it out on
# these answers a clean 404 problem instead.
USER_DATA_PATHS = {
    "/v1/annotations/{annotation_id}",
    "/v1/annotations/{annotation_id}/replies",
    "/v1/annotations/{annotation_id}/versions",
    "/v1/keys/{key_id}",
}


def test_documented_parameter_examples_find_seeded_data(client: TestClient, keys: Keys) -> None:
    """Swagger UI's "Try it out" pre-fills these examples: each read must answer 200 with data
    (with an admin key, and one annotation like the documented examples in place)."""
    for person in ("alexei-kudrin", "elvira-nabiullina"):
        noted = client.post(
            "/v1/annotations",
            json={
                "target": {"type": "person", "id": person},
                "motivation": "tagging",
                "tags": ["loyalty"],
            },
            headers=keys["admin"],
        )
        assert noted.status_code == 201
    doc = client.get("/openapi.json").json()
    results = {}
    tried = set()
    reads = [(m, p, op) for m, p, op in _operations(doc) if m == "GET"]
    for method, path, op in reads:
        params = op.get("parameters", [])
        path_values = {
            p["name"]: p["schema"].get("examples", ["(no example)"])[0]
            for p in params
            if p["in"] == "path"
        }
        url = path.format(**path_values)
        queries = [
            {p["name"]: p["schema"]["examples"][0]}
            for p in params
            if p["in"] == "query" and p.get("schema", {}).get("examples")
        ]
        for query in queries or [{}]:
            response = client.request(method, url, params=query, headers=keys["admin"])
            body = response.json()
            if path in USER_DATA_PATHS:
                found = response.status_code == 404 and body["type"].endswith("/not-found")
                results[(method, url, tuple(query.items()))] = (200, found)
                continue
            found = bool(body["items"]) if "items" in body else response.status_code == 200
            results[(method, url, tuple(query.items()))] = (response.status_code, found)
            tried.add((method, path))

    assert tried == {(m, p) for m, p, _ in reads if p not in USER_DATA_PATHS}
    assert [k for k, v in results.items() if v != (200, True)] == []


# --- a real browser ----------------------------------------------------------------------------


@pytest.fixture
def served(db_url: str) -> Iterator[str]:
    with running_server(db_url) as base_url:
        yield base_url


def _render(chromium: str, url: str) -> str:
    """The DOM of `url` after its scripts ran, with every host but loopback unresolvable."""
    with tempfile.TemporaryDirectory(
        prefix="elitekb-chromium-", ignore_cleanup_errors=True
    ) as profile:
        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                # No internet: the page must build from this server's assets alone.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=10000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=CHROMIUM_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), f"chromium dumped no DOM:\n{result.stderr[-2000:]}"
    return result.stdout


def _loaded_resources(dom: _Refs) -> list[str]:
    """URLs the rendered page loads (not <a> links, which are only navigation)."""
    return [value for tag, attr, value in dom.refs if not (tag == "a" and attr == "href")]


def test_swagger_ui_renders_every_operation_offline(served: str) -> None:
    chromium = chromium_path()
    doc = httpx.get(served + "/openapi.json", timeout=10, trust_env=False).json()

    dom = _parse(_render(chromium, served + "/docs"))

    rendered_paths = sorted(
        attrs["data-path"]
        for _, attrs in dom.elements
        if "opblock-summary-path" in attrs.get("class", "").split() and "data-path" in attrs
    )
    assert rendered_paths == sorted(path for _, path, _ in _operations(doc))
    assert "/v1/persons/{person_id}" in rendered_paths
    opblocks = [a for _, a in dom.elements if "opblock" in a.get("class", "").split()]
    assert len(opblocks) == len(rendered_paths)
    assert [u for u in _loaded_resources(dom) if _foreign(u, served)] == []


def test_redoc_renders_every_operation_offline(served: str) -> None:
    chromium = chromium_path()
    doc = httpx.get(served + "/openapi.json", timeout=10, trust_env=False).json()

    dom = _parse(_render(chromium, served + "/redoc"))

    text = " ".join(dom.text)
    assert "Something went wrong" not in text
    assert [op["summary"] for _, _, op in _operations(doc) if op["summary"] not in text] == []
    assert "Get a person" in text
    assert [u for u in _loaded_resources(dom) if _foreign(u, served)] == []
