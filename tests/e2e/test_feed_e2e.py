"""The change feed on the real server: two uvicorn worker processes, 20 clients writing
(creates, edits, hides, deletes) for a bounded time while a client follows the feed with
long-polling. At the end the follower has every acknowledged write exactly once, in sequence
order, with no gap, and the mirror it built equals what the API serves.

Nothing here measures speed (bench/feed_bench.py does).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from app.db import make_engine, write_session
from app.models.api_key import Scope
from app.services.access.keys import create_key
from tests.support.server import running_server

pytestmark = pytest.mark.slow

WRITERS = 20
WRITE_SECONDS = 2.5
MAX_WRITES_PER_WRITER = 25
REQUEST_TIMEOUT_S = 40.0
RUN_TIMEOUT_S = 120.0
PERSONS = ("alexei-kudrin", "elvira-nabiullina", "german-gref", "mikhail-mishustin")


def make_key(db_url: str, name: str, scope: Scope) -> tuple[str, str]:
    engine = make_engine(db_url)
    try:
        with write_session(engine) as session:
            created = create_key(session, name=name, scopes=[scope], actor=None, origin="cli")
        return created.id, created.secret
    finally:
        engine.dispose()


@pytest.fixture
def two_workers(db_url: str) -> Iterator[str]:
    with running_server(db_url, args=("--workers", "2")) as url:
        yield url


Ack = tuple[str, str, int]  # (annotation id, op as the feed shows it to a curator, version)


async def writer(base: str, secret: str, curator: str, n: int, stop: float) -> list[Ack]:
    """Create annotations; edit every second one, hide (as curator) every third and delete
    every fifth. Returns every write acknowledged."""
    acked: list[Ack] = []
    async with (
        httpx.AsyncClient(
            base_url=base, timeout=REQUEST_TIMEOUT_S, trust_env=False,
            headers={"Authorization": f"Bearer {secret}"},
        ) as http,
        httpx.AsyncClient(
            base_url=base, timeout=REQUEST_TIMEOUT_S, trust_env=False,
            headers={"Authorization": f"Bearer {curator}"},
        ) as curate,
    ):  # fmt: skip
        for i in range(MAX_WRITES_PER_WRITER):
            if time.monotonic() > stop:
                break
            made = await http.post(
                "/v1/annotations",
                json={
                    "target": {"type": "person", "id": PERSONS[(n + i) % len(PERSONS)]},
                    "motivation": "commenting",
                    "body": f"writer {n}, note {i}",
                },
            )
            assert made.status_code == 201, made.text
            aid, tag = made.json()["id"], made.headers["etag"]
            acked.append((aid, "create", 1))
            if i % 2 == 0:
                edited = await http.patch(
                    f"/v1/annotations/{aid}",
                    json={"body": f"writer {n}, note {i}, edited"},
                    headers={"If-Match": tag},
                )
                assert edited.status_code == 200, edited.text
                acked.append((aid, "update", 2))
                tag = edited.headers["etag"]
            if i % 3 == 0:
                hidden = await curate.post(f"/v1/annotations/{aid}/hide", json={"reason": "t"})
                assert hidden.status_code == 200, hidden.text
                acked.append((aid, "hide", hidden.json()["version"]))
            elif i % 5 == 0:
                gone = await http.delete(f"/v1/annotations/{aid}", headers={"If-Match": tag})
                assert gone.status_code == 200, gone.text
                acked.append((aid, "delete", gone.json()["version"]))
    return acked


async def follow(base: str, secret: str, after: int, done: asyncio.Event) -> list[dict[str, Any]]:
    """Follow the feed from `after` with long-polls until the writers are done and a poll
    came back empty."""
    items: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
        base_url=base, timeout=REQUEST_TIMEOUT_S, trust_env=False,
        headers={"Authorization": f"Bearer {secret}"},
    ) as http:  # fmt: skip
        while True:
            finished = done.is_set()
            page = await http.get(
                "/v1/changes", params={"after": after, "wait": 0.5 if finished else 5}
            )
            assert page.status_code == 200, page.text
            body = page.json()
            items += body["items"]
            assert f"after={body['last_seq']}" in page.headers["link"] or body["next_cursor"]
            after = body["last_seq"]
            if finished and not body["items"]:
                return items


def test_a_follower_gets_every_acknowledged_write_once_in_order(
    db_url: str, two_workers: str
) -> None:
    writer_keys = [make_key(db_url, f"writer-{n}", Scope.annotate)[1] for n in range(WRITERS)]
    _, curator = make_key(db_url, "curator", Scope.curate)
    with httpx.Client(base_url=two_workers, trust_env=False) as http:
        start = http.get(
            "/v1/changes", params={"after": 0, "limit": 1000},
            headers={"Authorization": f"Bearer {curator}"},
        ).json()["last_seq"]  # fmt: skip

    async def run() -> tuple[list[list[Ack]], list[dict[str, Any]]]:
        done = asyncio.Event()
        follower = asyncio.create_task(follow(two_workers, curator, start, done))
        stop = time.monotonic() + WRITE_SECONDS
        writes = await asyncio.gather(
            *(writer(two_workers, s, curator, n, stop) for n, s in enumerate(writer_keys))
        )
        done.set()
        return writes, await follower

    writes, items = asyncio.run(asyncio.wait_for(run(), RUN_TIMEOUT_S))
    acked = [a for per_writer in writes for a in per_writer]
    assert len(acked) >= WRITERS  # every writer got at least one write in

    # In sequence order, each once, and no gap: the same rows a walk made afterwards returns.
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(set(seqs))
    with httpx.Client(
        base_url=two_workers, trust_env=False, headers={"Authorization": f"Bearer {curator}"}
    ) as http:
        walked: list[dict[str, Any]] = []
        after = start
        while True:
            body = http.get("/v1/changes", params={"after": after, "limit": 1000}).json()
            walked += body["items"]
            if not body["items"]:
                break
            after = body["last_seq"]
        assert [i["seq"] for i in walked] == seqs
        assert walked == items

        # Every acknowledged write exactly once (the log also holds the key creations).
        seen = Counter(
            (i["entity_id"], i["op"], i["version"])
            for i in items
            if i["entity_type"] == "annotation"
        )
        assert seen == Counter(acked)

        # The mirror the follower built equals what the API serves now.
        mirror: dict[str, Any] = {}
        for item in items:
            if item["entity_type"] != "annotation":
                continue
            if item["op"] == "delete":
                assert item["tombstone"]["id"] == item["entity_id"]
                mirror[item["entity_id"]] = None
            else:
                mirror[item["entity_id"]] = item["document"]
        assert len(mirror) == len({a[0] for a in acked})
        for aid, document in mirror.items():
            got = http.get(f"/v1/annotations/{aid}")
            if document is None:
                assert got.status_code == 410, got.text
                continue
            assert got.status_code == 200, got.text
            now = got.json()
            assert (document["version"], document["body"], document["hidden"]) == (
                now["version"],
                now["body"],
                now["hidden"],
            )


IDLE_POLLERS = 50


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_idle_long_pollers_hold_no_database_connections(db_url: str) -> None:
    """Fifty requests long-polling one server process hold no connection while they wait: the
    database's sessions number no more than after a burst of the same polls had warmed the
    process up (its pool, its cache probe and its one LISTEN connection)."""
    database = db_url.rsplit("/", 1)[-1]
    admin = db_url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"

    def sessions() -> tuple[int, int]:
        """The database's sessions, and how many of them are inside a transaction."""
        with psycopg.connect(admin, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE state LIKE 'idle in transaction%%') "
                "FROM pg_stat_activity WHERE datname = %s",
                (database,),
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    with running_server(db_url) as base:

        async def run() -> tuple[int, int, list[httpx.Response]]:
            async with httpx.AsyncClient(
                base_url=base, timeout=REQUEST_TIMEOUT_S, trust_env=False,
                limits=httpx.Limits(max_connections=IDLE_POLLERS + 5),
            ) as http:  # fmt: skip
                head = (await http.get("/v1/changes", params={"after": 0, "limit": 1000})).json()
                after = head["last_seq"]
                # Warm up: as many polls at once, so the pool has opened what a burst of
                # their reads needs, and the watcher has started.
                warm = await asyncio.gather(
                    *(
                        http.get("/v1/changes", params={"after": after, "wait": 0.5})
                        for _ in range(IDLE_POLLERS)
                    )
                )
                assert all(r.json()["items"] == [] for r in warm)
                before = sessions()
                polls = [
                    asyncio.create_task(http.get("/v1/changes", params={"after": after, "wait": 3}))
                    for _ in range(IDLE_POLLERS)
                ]
                await asyncio.sleep(1.5)
                during = sessions()
                # Threads and pooled connections are free: a read is answered while all wait.
                read = await http.get("/v1/persons/alexei-kudrin")
                assert read.status_code == 200
                assert not any(poll.done() for poll in polls)
                return before, during, await asyncio.gather(*polls)

        before, during, answers = asyncio.run(asyncio.wait_for(run(), RUN_TIMEOUT_S))
    assert [r.status_code for r in answers] == [200] * IDLE_POLLERS
    assert all(r.json()["items"] == [] for r in answers)
    assert during[0] <= before[0], (before, during)
    assert during[1] == 0, during
