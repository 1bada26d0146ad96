"""The client processes of bench/feed_bench.py, one role per run; each writes its figures as
JSON to --out (and `pollers`/`follow` print one line when attached, so the runner knows when
to go on).

    python bench/feed_clients.py walk    --base URL [--key K] --limit 1000 --out F
    python bench/feed_clients.py livez   --base URL --requests 2000 --out F
    python bench/feed_clients.py sql     --db URL --limit 1000 --out F
    python bench/feed_clients.py follow  --base URL --after SEQ --nonce N --expect 200 --out F
    python bench/feed_clients.py write   --base URL --key K --claim ID --nonce N --writes 200 \\
                                         --interval 0.05 --out F
    python bench/feed_clients.py pollers --base URL --after SEQ --pollers 100 --out F

Times that two processes compare (a write's 201, the follower's receipt) are wall-clock
nanoseconds, `time.time_ns()`: one clock for every process of the machine, unlike
`time.monotonic()`/`perf_counter()`, whose reference points are per process in general.
Durations inside one process use `perf_counter()`. Every loop is bounded by a count and by
--max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

TIMEOUT_S = 60.0
WAIT_S = 30  # the long-poll wait= of followers and idle pollers
ITEM = b'{"seq":'  # how every item of a page begins (ChangePublic's first field)
LAST_SEQ = b'"last_seq":'
END = b'"next_cursor":null,'


def _quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None, "min": None}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else []
    return {
        "p50": cuts[49] if cuts else values[0],
        "p99": cuts[98] if cuts else values[0],
        "max": max(values),
        "min": min(values),
    }


def _headers(key: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"} if key else {}


def walk(args: argparse.Namespace) -> dict[str, Any]:
    """The whole feed from the start, a page of --limit at a time, each resumed with
    `after=<last_seq>` of the one before. Bodies are not parsed: the item count is the number
    of item openings, `last_seq` is read off the end of the body."""
    pages = items = size = errors = no_link = 0
    latencies: list[float] = []
    after = 0
    done = False
    started = time.perf_counter()
    with httpx.Client(
        base_url=args.base, headers=_headers(args.key), timeout=TIMEOUT_S, trust_env=False
    ) as http:
        while not done and pages < args.max_pages:
            if time.perf_counter() - started > args.max_seconds:
                errors += 1  # not finished in time: counted as a failure of the run
                break
            sent = time.perf_counter()
            response = http.get("/v1/changes", params={"after": after, "limit": args.limit})
            body = response.content
            latencies.append(time.perf_counter() - sent)
            pages += 1
            if response.status_code != 200:
                errors += 1
                break
            no_link += 'rel="next"' not in response.headers.get("link", "")
            items += body.count(ITEM)
            size += len(body)
            at = body.rindex(LAST_SEQ) + len(LAST_SEQ)
            after = int(body[at:-1])
            done = END in body[-200:]
    seconds = time.perf_counter() - started
    per_page = _quantiles(latencies)
    return {
        "pages": pages,
        "changes": items,
        "bytes": size,
        "seconds": round(seconds, 3),
        "changes_per_s": items / seconds if seconds else 0.0,
        "mib_per_s": size / seconds / 2**20 if seconds else 0.0,
        "page_ms": {k: v * 1000 if v is not None else None for k, v in per_page.items()},
        "last_seq": after,
        "reached_end": done,
        "pages_without_link": no_link,
        "errors": errors + no_link,
    }


def livez(args: argparse.Namespace) -> dict[str, Any]:
    """Sequential GET /livez over one keep-alive connection: the cost of a request."""
    errors = 0
    latencies = []
    with httpx.Client(base_url=args.base, timeout=TIMEOUT_S, trust_env=False) as http:
        for _ in range(min(50, args.requests)):
            http.get("/livez")
        started = time.perf_counter()
        for _ in range(args.requests):
            sent = time.perf_counter()
            errors += http.get("/livez").status_code != 200
            latencies.append(time.perf_counter() - sent)
    seconds = time.perf_counter() - started
    q = _quantiles(latencies)
    return {
        "requests": args.requests,
        "seconds": round(seconds, 3),
        "rps": args.requests / seconds,
        "p50_ms": (q["p50"] or 0) * 1000,
        "errors": errors,
    }


def sql(args: argparse.Namespace) -> dict[str, Any]:
    """The feed's rows read straight from the database, keyset pages of --limit: the same
    columns, documents included, no HTTP, no JSON."""
    query = (
        "SELECT seq, at, key_id, origin, entity_type, entity_id, op, version, document "
        "FROM change WHERE seq > {p} ORDER BY seq LIMIT {p}"
    )
    if args.db.startswith("sqlite"):
        import sqlite3

        conn: Any = sqlite3.connect(args.db.split("///", 1)[1])
        mark = "?"
    else:
        import psycopg

        conn = psycopg.connect(args.db.replace("postgresql+psycopg://", "postgresql://"))
        mark = "%s"
    statement = query.format(p=mark)
    rows = size = pages = 0
    after = 0
    started = time.perf_counter()
    try:
        while pages < args.max_pages and time.perf_counter() - started < args.max_seconds:
            page = conn.execute(statement, (after, args.limit)).fetchall()
            pages += 1
            if not page:
                break
            rows += len(page)
            size += sum(len(r[8] or "") for r in page)
            after = page[-1][0]
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    return {
        "pages": pages,
        "rows": rows,
        "document_chars": size,
        "seconds": round(seconds, 3),
        "rows_per_s": rows / seconds if seconds else 0.0,
    }


def _ours(item: dict[str, Any], nonce: str) -> bool:
    document = item.get("document") or {}
    return (
        item["entity_type"] == "annotation"
        and item["op"] == "create"
        and nonce in (document.get("body") or "")
    )


def follow(args: argparse.Namespace) -> dict[str, Any]:
    """Long-poll `after=<last>&wait=30` until --expect of the writer's creates arrived (or
    --max-seconds): when each arrived, and any that arrived twice."""
    received: list[dict[str, Any]] = []
    polls = errors = 0
    after = args.after
    started = time.perf_counter()
    print("following", flush=True)
    with httpx.Client(base_url=args.base, timeout=WAIT_S + TIMEOUT_S, trust_env=False) as http:
        while len(received) < args.expect and time.perf_counter() - started < args.max_seconds:
            response = http.get(
                "/v1/changes", params={"after": after, "wait": WAIT_S, "limit": 1000}
            )
            at = time.time_ns()
            polls += 1
            if response.status_code != 200:
                errors += 1
                time.sleep(0.1)
                continue
            page = response.json()
            for item in page["items"]:
                if _ours(item, args.nonce):
                    received.append({"id": item["entity_id"], "seq": item["seq"], "at_ns": at})
            after = page["last_seq"]
    return {"polls": polls, "errors": errors, "received": received}


def write(args: argparse.Namespace) -> dict[str, Any]:
    """--writes annotation creates, one every --interval seconds (not faster, whatever the
    answers take): the wall-clock time each 201 arrived."""
    writes: list[dict[str, Any]] = []
    errors = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=args.base, headers=_headers(args.key), timeout=TIMEOUT_S, trust_env=False
    ) as http:
        for i in range(args.writes):
            if time.perf_counter() - started > args.max_seconds:
                break
            pause = started + i * args.interval - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent = time.perf_counter()
            response = http.post(
                "/v1/annotations",
                json={
                    "target": {"type": "claim", "id": args.claim},
                    "motivation": "commenting",
                    "body": f"feed_bench {args.nonce} write {i}",
                },
            )
            at = time.time_ns()
            if response.status_code != 201:
                errors += 1
                print(response.status_code, response.text[:300], file=sys.stderr)
                continue
            writes.append(
                {
                    "id": response.json()["id"],
                    "at_ns": at,
                    "rtt_ms": (time.perf_counter() - sent) * 1000,
                }
            )
    return {"writes": writes, "errors": errors}


async def _pollers(args: argparse.Namespace) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    limits = httpx.Limits(max_connections=args.pollers, max_keepalive_connections=args.pollers)
    async with httpx.AsyncClient(
        base_url=args.base,
        headers=_headers(args.key),
        timeout=WAIT_S + TIMEOUT_S,
        limits=limits,
        trust_env=False,
    ) as http:

        async def poll() -> None:
            try:
                response = await http.get(
                    "/v1/changes", params={"after": args.after, "wait": args.wait, "limit": 1000}
                )
            except httpx.HTTPError as exc:
                results.append({"status": 0, "error": repr(exc), "at_ns": time.time_ns()})
                return
            at = time.time_ns()
            page = response.json() if response.status_code == 200 else {}
            results.append(
                {
                    "status": response.status_code,
                    "at_ns": at,
                    "ids": [i["entity_id"] for i in page.get("items", [])],
                }
            )

        tasks = []
        for _ in range(args.pollers):
            tasks.append(asyncio.create_task(poll()))
            await asyncio.sleep(args.stagger)
        await asyncio.sleep(0.5)
        print("attached", flush=True)
        await asyncio.wait(tasks, timeout=args.max_seconds)
    return {"results": results}


def pollers(args: argparse.Namespace) -> dict[str, Any]:
    """--pollers long-polls of `after=<head>&wait=30`, each on its own connection, started
    --stagger seconds apart; they end when a change commits (the runner makes one) or after
    30 s."""
    return asyncio.run(_pollers(args))


ROLES = {"walk": walk, "livez": livez, "sql": sql, "follow": follow, "write": write}
ROLES["pollers"] = pollers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=sorted(ROLES))
    parser.add_argument("--base", help="the server, http://127.0.0.1:PORT")
    parser.add_argument("--db", help="sql: the database URL")
    parser.add_argument("--key", help="an API key secret")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--max-pages", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--after", type=int, default=0)
    parser.add_argument("--nonce", default="")
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--claim")
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--wait", type=float, default=WAIT_S, help="pollers: wait= seconds")
    parser.add_argument("--stagger", type=float, default=0.0, help="pollers: seconds between")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = ROLES[args.role](args)
    args.out.write_text(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
