"""End to end over real HTTP: `elitekb serve` in a subprocess, httpx over loopback.

Each test starts its own server on its own fresh database (SQLite file or PostgreSQL), so the
whole stack is exercised as deployed: the CLI, uvicorn, the lifespan, the engine from
ELITEKB_DATABASE_URL and the real socket. The concurrency test is a deadlock detector for
FastAPI issue 3205 (every request stalling ~30 s once the connection pool and the threadpool
starve each other at c=64), not a speed assertion; speed lives in bench/.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from app.db import make_engine
from tests.support.api import sign_cursor, stored_cursor_secret, unpack_cursor
from tests.support.server import running_server

pytestmark = pytest.mark.slow

PERSON_IDS = [
    "alexei-kudrin",
    "boris-bondarev",
    "elvira-nabiullina",
    "german-gref",
    "mikhail-mishustin",
    "sergei-sobyanin",
    "vladimir-putin",
]
LINK_NEXT = re.compile(r'^<([^>]+)>; rel="next"$')

CONCURRENCY = 64
TOTAL_REQUESTS = 1024
# Issue 3205 stalls requests for the 30 s pool timeout. Healthy runs here peak at about 1 s
# (p50 ~0.2 s: 64 clients queue for 40 worker threads on a shared 2-CPU box), so 10 s separates
# the two with a wide margin either way. A request stalled past the timeout counts as failed.
STALL_BOUND_S = 10.0
REQUEST_TIMEOUT_S = 20.0
RUN_TIMEOUT_S = 120.0


@pytest.fixture
def base_url(db_url: str) -> Iterator[str]:
    with running_server(db_url) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False) as client:
        yield client


def test_get_person(http: httpx.Client, backend: str) -> None:
    ready = http.get("/readyz")
    response = http.get("/v1/persons/alexei-kudrin")

    # The server really is on the backend under test, not a default database.
    assert ready.status_code == 200
    assert ready.json()["database"] == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])
    body = response.json()
    assert body["id"] == "alexei-kudrin"
    assert body["name"] == "Alexei Kudrin"
    assert {"name": "Алексей Кудрин", "script": "Cyrl", "kind": "original"}.items() <= (
        body["names"][0].items()
    )


def _walk(http: httpx.Client, base_url: str, first: str) -> list[list[str]]:
    """Follow Link rel="next" from `first`; return the ids of each page."""
    pages: list[list[str]] = []
    url: str | None = first
    while url is not None:
        assert len(pages) < 50, "pagination does not terminate"
        response = http.get(url)
        assert response.status_code == 200
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        link = response.headers.get("link")
        if body["next_cursor"] is None:
            assert link is None
            url = None
            continue
        assert link is not None
        match = LINK_NEXT.fullmatch(link)
        assert match is not None, link
        url = match.group(1)
        # Absolute, on the origin the client used, carrying the cursor from the body.
        assert url.startswith(base_url + "/")
        assert httpx.URL(url).params["cursor"] == body["next_cursor"]
    return pages


def test_lists_follow_link_headers(http: httpx.Client, base_url: str) -> None:
    everything = http.get("/v1/claims", params={"subject": "vladimir-putin", "limit": 500})
    assert everything.status_code == 200
    putin_claims = [item["id"] for item in everything.json()["items"]]
    assert len(putin_claims) == 14

    person_pages = _walk(http, base_url, "/v1/persons?limit=2")
    claim_pages = _walk(http, base_url, "/v1/claims?subject=vladimir-putin&limit=5")

    assert person_pages == [PERSON_IDS[0:2], PERSON_IDS[2:4], PERSON_IDS[4:6], PERSON_IDS[6:7]]
    assert [len(page) for page in claim_pages] == [5, 5, 4]
    assert [claim_id for page in claim_pages for claim_id in page] == putin_claims


def _client_port(response: httpx.Response) -> int:
    """The local port of the connection a response came over."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def test_forged_cursors_leave_the_connection_open(db_url: str, base_url: str) -> None:
    """A forged cursor is a 400 that keeps the keep-alive connection (a 500 made uvicorn close
    it, so the client's next request failed too)."""
    engine = make_engine(db_url)
    try:
        key = stored_cursor_secret(engine)
    finally:
        engine.dispose()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False, limits=limits) as http:
        first = http.get("/v1/claims", params={"limit": 1})
        port = _client_port(first)
        real = unpack_cursor(first.json()["next_cursor"])
        forged = {
            "/v1/claims": {"k": [real["k"][0], 2**63, real["k"][2]], "f": real["f"]},
            "/v1/persons": None,
            "/v1/changes": None,
        }
        for path in ("/v1/persons", "/v1/changes"):
            other = unpack_cursor(http.get(path, params={"limit": 1}).json()["next_cursor"])
            value: object = "\ud800" if path == "/v1/persons" else 2**64
            forged[path] = {"k": [value], "f": other["f"]}
        for path, payload in forged.items():
            bad = http.get(path, params={"limit": 1, "cursor": sign_cursor(key, payload)})
            assert bad.status_code == 400, bad.text
            assert bad.json()["type"] == "https://elitekb.example/problems/invalid-cursor"
            assert "connection" not in bad.headers
            good = http.get("/v1/persons/alexei-kudrin")
            assert good.status_code == 200
            assert _client_port(bad) == _client_port(good) == port


def test_etag_gives_304(http: httpx.Client) -> None:
    first = http.get("/v1/persons/elvira-nabiullina")
    etag = first.headers["etag"]

    again = http.get("/v1/persons/elvira-nabiullina", headers={"If-None-Match": etag})
    weak = http.get("/v1/persons/elvira-nabiullina", headers={"If-None-Match": f"W/{etag}"})
    stale = http.get("/v1/persons/elvira-nabiullina", headers={"If-None-Match": '"0000"'})

    assert first.status_code == 200
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert (weak.status_code, weak.content) == (304, b"")
    assert (stale.status_code, stale.content) == (200, first.content)


def test_unknown_person_is_problem_json_404(http: httpx.Client) -> None:
    response = http.get("/v1/persons/alexei-kudrn", headers={"X-Request-ID": "e2e-404"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "e2e-404"
    assert response.json() == {
        "type": "https://elitekb.example/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No person with id 'alexei-kudrn'.",
        "instance": "/v1/persons/alexei-kudrn",
        "request_id": "e2e-404",
    }


async def _load(base_url: str, paths: list[str]) -> list[tuple[str, int, bytes, float]]:
    """Send `paths` from CONCURRENCY clients, each on its own keep-alive connection."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    results: list[tuple[str, int, bytes, float]] = []

    async def client() -> None:
        # One AsyncClient per simulated client: a single client shared by 64 tasks spends more
        # time in its own connection pool than the server spends answering.
        async with httpx.AsyncClient(
            base_url=base_url,
            limits=httpx.Limits(max_connections=1),
            timeout=REQUEST_TIMEOUT_S,
            trust_env=False,
        ) as http:
            while not queue.empty():
                path = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await http.get(path)
                except httpx.TimeoutException:
                    results.append((path, 0, b"timeout", time.perf_counter() - started))
                    continue
                elapsed = time.perf_counter() - started
                results.append((path, response.status_code, response.content, elapsed))

    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(CONCURRENCY))), RUN_TIMEOUT_S)
    return results


def test_no_pool_stall_at_64_concurrent_clients(http: httpx.Client, base_url: str) -> None:
    distinct = [f"/v1/persons/{p}" for p in PERSON_IDS] + [
        f"/v1/claims?subject={p}" for p in PERSON_IDS
    ]
    # Bodies served one at a time, to compare every concurrent answer against byte for byte.
    expected = {path: http.get(path).content for path in distinct}
    paths = [distinct[i % len(distinct)] for i in range(TOTAL_REQUESTS)]

    results = asyncio.run(_load(base_url, paths))

    assert len(results) == TOTAL_REQUESTS
    failures = [(path, status) for path, status, _, _ in results if status != 200]
    assert failures == [], f"{len(failures)} of {TOTAL_REQUESTS} failed, e.g. {failures[:5]}"
    wrong = [path for path, _, body, _ in results if body != expected[path]]
    assert wrong == []
    slowest = max(elapsed for *_, elapsed in results)
    assert slowest < STALL_BOUND_S, f"a request took {slowest:.1f} s: requests stalled"
