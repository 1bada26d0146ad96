"""HTTP load benchmark of one real `elitekb serve` process, reported against a same-run baseline.

    make bench                                      # SQLite only
    ELITEKB_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres make bench
                                                    # SQLite, then PostgreSQL

Per backend: a fresh database is migrated and seeded with the `elitekb` CLI, one uvicorn process
is started with `elitekb serve` (pinned to the first CPU when there are two or more), and a load
generator pinned to the other CPUs sends GETs to each endpoint at concurrency 1 and 64 for a
fixed time after a warm-up. The load generator is wrk when installed, else an httpx asyncio
client in a separate process. Every endpoint is compared with /livez, a bare async endpoint
measured in the same run against the same process, so the ratios carry over between machines
and noisy runs far better than the absolute numbers.

Results are printed as a table and written to bench/results/<UTC timestamp>.json.
The exit status is 1 if any request failed (a non-2xx answer, a timeout or a socket error).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import ELITEKB, running_server  # noqa: E402

BASELINE = "/livez"
ENDPOINTS = [
    BASELINE,
    "/v1/persons/alexei-kudrin",
    "/v1/claims?subject=alexei-kudrin",
    "/v1/persons?q=Kudrin",
]
CONCURRENCY = [1, 64]
RESULTS_DIR = ROOT / "bench" / "results"
REQUEST_TIMEOUT_S = 30

# wrk reports its run as one JSON line. Runs are bounded by duration: wrk has no request-count
# limit (a Lua `response` hook calling thread:stop() ends the requests but not the -d timer,
# and makes wrk parse every response in Lua).
WRK_SCRIPT = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"socket_errors": %d, "non_2xx": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _cpu_sets() -> tuple[list[str], list[str]]:
    """taskset prefixes for the server and the load generator (empty if we cannot pin)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or not shutil.which("taskset"):
        return [], []
    load = ",".join(str(c) for c in cpus[1:])
    return ["taskset", "-c", str(cpus[0])], ["taskset", "-c", load]


def _run_wrk(
    prefix: list[str], url: str, concurrency: int, seconds: int, script: Path
) -> dict[str, Any]:
    cmd = [
        *prefix,
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--timeout",
        f"{REQUEST_TIMEOUT_S}s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT_S + 30, check=True
    ).stdout
    raw = json.loads(out.strip().splitlines()[-1])
    elapsed = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": elapsed,
        "rps": raw["requests"] / elapsed,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": raw["socket_errors"] + raw["non_2xx"],
    }


async def _httpx_load(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        # One AsyncClient (one connection) per simulated client: 64 tasks sharing one client
        # measure httpx's pool (about 200 req/s here) rather than the server.
        nonlocal errors
        async with httpx.AsyncClient(
            limits=httpx.Limits(max_connections=1), timeout=REQUEST_TIMEOUT_S, trust_env=False
        ) as http:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    ok = (await http.get(url)).status_code < 300
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - sent)
                errors += not ok

    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "max_ms": max(latencies) * 1000,
        "errors": errors,
    }


def _run_httpx(prefix: list[str], url: str, concurrency: int, seconds: int) -> dict[str, Any]:
    # A separate process (on the load CPUs), so load generation never shares the server's core.
    cmd = [*prefix, sys.executable, __file__, "--loadgen", url, str(concurrency), str(seconds)]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT_S + 30, check=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _migrate_and_seed(url: str) -> None:
    env = {**os.environ, "ELITEKB_DATABASE_URL": url}
    for args in (["db", "upgrade"], ["seed"]):
        subprocess.run([str(ELITEKB), *args], env=env, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def _database(backend: str, workdir: Path) -> Iterator[str]:
    """A freshly migrated and seeded database on `backend`, removed afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        _migrate_and_seed(url)
        yield url
        return
    import psycopg

    admin = os.environ["ELITEKB_BENCH_POSTGRES_URL"].replace(
        "postgresql+psycopg://", "postgresql://"
    )
    name = f"elitekb_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        url = f"{admin.rpartition('/')[0]}/{name}"
        _migrate_and_seed(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _bench_backend(
    backend: str, *, tool: str, seconds: dict[int, int], warmup: int
) -> list[dict[str, Any]]:
    server_cpu, load_cpu = _cpu_sets()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="elitekb-bench-") as tmp:
        workdir = Path(tmp)
        script = workdir / "report.lua"
        script.write_text(WRK_SCRIPT)

        def run(url: str, concurrency: int, duration: int) -> dict[str, Any]:
            if tool == "wrk":
                return _run_wrk(load_cpu, url, concurrency, duration, script)
            return _run_httpx(load_cpu, url, concurrency, duration)

        with (
            _database(backend, workdir) as database_url,
            running_server(database_url, log_dir=workdir, prefix=server_cpu) as base_url,
        ):
            for concurrency in CONCURRENCY:
                for path in ENDPOINTS:
                    run(base_url + path, concurrency, warmup)
                    result = run(base_url + path, concurrency, seconds[concurrency])
                    rows.append({"backend": backend, "path": path, "c": concurrency, **result})
                    print(
                        f"  {backend:8} c={concurrency:<3} {path:34} {result['rps']:8.0f} req/s",
                        file=sys.stderr,
                    )
    for row in rows:
        base = next(r for r in rows if r["path"] == BASELINE and r["c"] == row["c"])
        row["rps_vs_baseline"] = row["rps"] / base["rps"]
        row["p50_vs_baseline"] = row["p50_ms"] / base["p50_ms"]
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'backend':8}  {'c':>3}  {'endpoint':34}  {'requests':>8}  {'req/s':>7}  "
        f"{'p50 ms':>7}  {'p99 ms':>7}  {'max ms':>7}  {'req/s vs /livez':>15}  {'errors':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['backend']:8}  {r['c']:>3}  {r['path']:34}  {r['requests']:>8}  {r['rps']:7.0f}  "
            f"{r['p50_ms']:7.2f}  {r['p99_ms']:7.2f}  {r['max_ms']:7.1f}  "
            f"{r['rps_vs_baseline']:15.3f}  {r['errors']:>6}"
        )
    return "\n".join(lines)


def _environment(tool: str) -> dict[str, Any]:
    versions = {}
    for dist in ("fastapi", "starlette", "uvicorn", "uvloop", "sqlalchemy", "sqlmodel", "psycopg"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    if tool == "wrk":
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        versions["wrk"] = (wrk.stdout + wrk.stderr).split("[")[0].strip()
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    server_cpu, load_cpu = _cpu_sets()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": len(os.sched_getaffinity(0)),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "server_pinning": " ".join(server_cpu) or "none",
        "load_pinning": " ".join(load_cpu) or "none",
        "load_generator": tool,
        "versions": versions,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Load-test one `elitekb serve` process against a /livez baseline."
    )
    # Whole seconds: wrk takes no fractions.
    parser.add_argument("--seconds-c1", type=int, default=5, help="measured seconds at c=1")
    parser.add_argument("--seconds-c64", type=int, default=10, help="measured seconds at c=64")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each")
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    args = parser.parse_args()
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    backends = ["sqlite"] + (["postgres"] if os.environ.get("ELITEKB_BENCH_POSTGRES_URL") else [])
    started = dt.datetime.now(dt.UTC)
    env = _environment(tool)
    print(
        f"elitekb bench: {', '.join(backends)}; load by {tool}; server pinned: "
        f"{env['server_pinning']}; load pinned: {env['load_pinning']}; "
        f"load average {env['loadavg_at_start'][0]:.2f}",
        file=sys.stderr,
    )
    seconds = {1: args.seconds_c1, 64: args.seconds_c64}
    rows = [
        row
        for backend in backends
        for row in _bench_backend(backend, tool=tool, seconds=seconds, warmup=args.warmup)
    ]
    print(_table(rows))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    report = {
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "baseline": BASELINE,
        "seconds": seconds,
        "warmup_seconds": args.warmup,
        "environment": env,
        "results": rows,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--loadgen":
        url, concurrency, duration = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        print(json.dumps(asyncio.run(_httpx_load(url, concurrency, duration))))
        sys.exit(0)
    sys.exit(main())
