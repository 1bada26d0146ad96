"""Writes on the real server: racing clients on several worker processes, and a SQLite server
killed with SIGKILL in the middle of a write loop.

Nothing here measures speed. The race tests count outcomes: every accepted create is stored
once with its change-log row, and of N edits sent with the same If-Match exactly one wins.
The crash test checks that every write acknowledged with 201 survived a kill -9.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from app.db import make_engine, write_session
from app.models.api_key import Scope
from app.services.access.keys import create_key
from tests.support.server import ELITEKB, free_port, running_server, wait_ready

pytestmark = pytest.mark.slow

CLIENTS = 20
CREATES_PER_CLIENT = 10
RACERS = 20
REQUEST_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 180.0


def make_keys(db_url: str, count: int) -> list[str]:
    engine = make_engine(db_url)
    try:
        secrets = []
        for i in range(count):
            with write_session(engine) as session:
                created = create_key(
                    session, name=f"client-{i}", scopes=[Scope.annotate], actor=None, origin="cli"
                )
            secrets.append(created.secret)
        return secrets
    finally:
        engine.dispose()


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


@pytest.fixture
def two_workers(db_url: str) -> Iterator[str]:
    with running_server(db_url, args=("--workers", "2")) as url:
        yield url


def annotation(person: str, body: str) -> dict[str, object]:
    return {
        "target": {"type": "person", "id": person},
        "motivation": "commenting",
        "body": body,
    }


def test_concurrent_creates_are_each_stored_once_with_their_change(
    db_url: str, two_workers: str
) -> None:
    secrets = make_keys(db_url, CLIENTS)

    async def client(secret: str, n: int) -> list[tuple[int, str | None]]:
        headers = {"Authorization": f"Bearer {secret}"}
        out = []
        async with httpx.AsyncClient(
            base_url=two_workers, timeout=REQUEST_TIMEOUT_S, trust_env=False, headers=headers
        ) as http:
            for i in range(CREATES_PER_CLIENT):
                r = await http.post("/v1/annotations", json=annotation("german-gref", f"{n}-{i}"))
                out.append((r.status_code, r.json().get("id")))
        return out

    async def run() -> list[list[tuple[int, str | None]]]:
        return await asyncio.wait_for(
            asyncio.gather(*(client(s, n) for n, s in enumerate(secrets))), RUN_TIMEOUT_S
        )

    results = [r for per_client in asyncio.run(run()) for r in per_client]
    assert Counter(status for status, _ in results) == {201: CLIENTS * CREATES_PER_CLIENT}
    ids = {aid for _, aid in results}
    assert len(ids) == CLIENTS * CREATES_PER_CLIENT

    engine = make_engine(db_url)
    try:
        assert scalar(engine, "SELECT count(*) FROM annotation") == 200
        assert (
            scalar(
                engine,
                "SELECT count(*) FROM change WHERE entity_type = 'annotation' AND op = 'create'",
            )
            == 200
        )
        assert (
            scalar(
                engine,
                "SELECT count(DISTINCT entity_id) FROM change WHERE entity_type = 'annotation'",
            )
            == 200
        )
        # Every create left exactly one version row, and the log's numbers are all distinct.
        assert scalar(engine, "SELECT count(*) FROM annotation_version") == 200
        assert scalar(engine, "SELECT count(DISTINCT seq) FROM change") == scalar(
            engine, "SELECT count(*) FROM change"
        )
    finally:
        engine.dispose()
    with httpx.Client(base_url=two_workers, trust_env=False) as http:
        listed = http.get("/v1/persons/german-gref").json()["annotation_count"]
    assert listed == 200


def test_racing_edits_with_one_etag_let_exactly_one_win(db_url: str, two_workers: str) -> None:
    (secret,) = make_keys(db_url, 1)
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=two_workers, trust_env=False, headers=headers) as http:
        created = http.post("/v1/annotations", json=annotation("elvira-nabiullina", "v1"))
        assert created.status_code == 201
        aid, etag = created.json()["id"], created.headers["etag"]

    async def edit(n: int, start: asyncio.Event) -> httpx.Response:
        async with httpx.AsyncClient(
            base_url=two_workers, timeout=REQUEST_TIMEOUT_S, trust_env=False, headers=headers
        ) as http:
            await http.get("/livez")  # connect first, so the PATCHes leave together
            await start.wait()
            return await http.patch(
                f"/v1/annotations/{aid}", json={"body": f"edit {n}"}, headers={"If-Match": etag}
            )

    async def run() -> list[httpx.Response]:
        start = asyncio.Event()
        tasks = [asyncio.create_task(edit(n, start)) for n in range(RACERS)]
        await asyncio.sleep(0.5)
        start.set()
        return await asyncio.wait_for(asyncio.gather(*tasks), RUN_TIMEOUT_S)

    responses = asyncio.run(run())
    assert Counter(r.status_code for r in responses) == {200: 1, 412: RACERS - 1}
    winner = next(r for r in responses if r.status_code == 200)
    assert {r.headers["etag"] for r in responses if r.status_code == 412} == {
        winner.headers["etag"]
    }
    with httpx.Client(base_url=two_workers, trust_env=False) as http:
        final = http.get(f"/v1/annotations/{aid}").json()
        versions = http.get(f"/v1/annotations/{aid}/versions").json()["items"]
        log = http.get(f"/v1/changes?entity_id={aid}").json()["items"]
    assert (final["version"], final["body"]) == (2, winner.json()["body"])
    assert [(v["version"], v["content"]["body"]) for v in versions] == [
        (1, "v1"),
        (2, winner.json()["body"]),
    ]
    assert [(c["op"], c["version"]) for c in log] == [("create", 1), ("update", 2)]


# -- crash safety ---------------------------------------------------------------------------

WRITERS = 4
WRITES_PER_WRITER = 150


# The crash test is about the embedded SQLite file; PostgreSQL's durability is its own.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_sigkill_mid_write_loses_no_acknowledged_write(db_url: str, tmp_path: Path) -> None:
    (secret,) = make_keys(db_url, 1)
    seed = int(os.environ.get("ELITEKB_CRASH_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    kill_after = rng.uniform(0.3, 1.5)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "ELITEKB_DATABASE_URL": db_url,
        "ELITEKB_LOG_LEVEL": "warning",
        "ELITEKB_RATE_LIMIT_ANONYMOUS": "",
        "ELITEKB_RATE_LIMIT_KEY": "",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(ELITEKB), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    acknowledged: list[str] = []
    sent = Counter[str]()
    lock = threading.Lock()
    try:
        wait_ready(proc, base_url, log)

        def writer(n: int) -> None:
            headers = {"Authorization": f"Bearer {secret}"}
            with httpx.Client(
                base_url=base_url, timeout=10.0, trust_env=False, headers=headers
            ) as http:
                for i in range(WRITES_PER_WRITER):
                    with lock:
                        sent["sent"] += 1
                    try:
                        r = http.post(
                            "/v1/annotations", json=annotation("mikhail-mishustin", f"{n}-{i}")
                        )
                    except httpx.TransportError:
                        return
                    if r.status_code == 201:
                        with lock:
                            acknowledged.append(r.json()["id"])

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    # The kill must have landed mid-loop for the test to mean anything (seed {seed}).
    assert 0 < len(acknowledged) < WRITERS * WRITES_PER_WRITER, (seed, len(acknowledged))

    database = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in conn.execute("SELECT id FROM annotation")}
        logged = {
            row[0]
            for row in conn.execute(
                "SELECT entity_id FROM change WHERE entity_type = 'annotation' AND op = 'create'"
            )
        }
    missing = set(acknowledged) - stored
    assert missing == set(), f"acknowledged but lost (seed {seed}): {sorted(missing)[:5]}"
    # Whatever was stored, acknowledged or not, is whole: a row, its change, its version.
    assert logged == stored

    # And the restarted server serves them.
    with running_server(db_url) as url, httpx.Client(base_url=url, trust_env=False) as http:
        sample = rng.sample(acknowledged, min(20, len(acknowledged)))
        assert {http.get(f"/v1/annotations/{a}").status_code for a in sample} == {200}
        count = http.get("/v1/persons/mikhail-mishustin").json()["annotation_count"]
    assert count == len(stored)


def test_oversized_bodies_get_413_on_the_real_server(db_url: str, two_workers: str) -> None:
    (secret,) = make_keys(db_url, 1)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    body = b'{"target": {"type": "person", "id": "german-gref"}, "body": "' + b"x" * 300_000

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    with httpx.Client(base_url=two_workers, trust_env=False, timeout=REQUEST_TIMEOUT_S) as http:
        declared = http.post("/v1/annotations", content=body, headers=headers)
        chunked = http.post("/v1/annotations", content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in chunked.request.headers}
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert (declared.status_code, chunked.status_code) == (413, 413)
    assert chunked.json()["type"] == "https://elitekb.example/problems/payload-too-large"
