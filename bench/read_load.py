"""Servers and load generators of bench/read_bench.py.

Servers are started as an operator would, pinned to one CPU, with their output in a log file;
start-up is timed from the Popen to the first 200 of the readiness URL. The peak RSS of a
server's processes during one measurement comes from VmHWM in /proc/<pid>/status, reset before
each measurement by writing 5 to /proc/<pid>/clear_refs.

Load comes from wrk (one thread, pinned to the other CPU, a Lua script that prints the run as
one JSON line; POSTs cycle through given bodies or make a unique annotation per request) or, in
--quick runs, from an httpx client that sends a fixed number of requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from http_bench import WRK_SCRIPT  # noqa: E402

from tests.support.server import free_port  # noqa: E402

START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 10

# wrk.format() with a header table sends only those headers: the -H ones are merged in here.
# http_bench's report hook (one JSON line per run), with a helper for the POST scripts.
REPORT_LUA = (
    """
local function with_json(headers)
  local all = {}
  for k, v in pairs(wrk.headers) do all[k] = v end
  all["Content-Type"] = "application/json"
  return all
end
"""
    + WRK_SCRIPT
)

BODIES_LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", nil, with_json(), bodies[i])
end
"""

# Unique bodies: a run nonce and a counter (wrk -t1: one Lua state, so the counter is unique).
ANNOTATION_LUA = """
local n = 0
request = function()
  n = n + 1
  local body = '{"target": {"type": "claim", "id": "%s"}, "motivation": "commenting", '
    .. '"body": "read_bench %s ' .. n .. '", "tags": ["read-bench"]}'
  return wrk.format("POST", nil, with_json(), body)
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


@dataclass
class Server:
    name: str
    base_url: str
    proc: subprocess.Popen[bytes]
    startup_s: float
    log: Path
    pids: list[int] = field(default_factory=list)

    def processes(self) -> list[int]:
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [self.proc.pid, *(c.pid for c in children)]

    def reset_peaks(self) -> None:
        self.pids = self.processes()
        for pid in self.pids:
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def wait_idle(self, *, timeout: float = 120.0, busy: float = 0.2) -> float:
        """Wait until the server's processes use under `busy` of a CPU (the requests wrk
        left in flight are done), at most `timeout` seconds; how long it took."""
        started = time.perf_counter()
        procs = [psutil.Process(p) for p in self.pids or self.processes()]

        def cpu() -> float:
            total = 0.0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    times = proc.cpu_times()
                    total += times.user + times.system
            return total

        while time.perf_counter() - started < timeout:
            before = cpu()
            time.sleep(0.2)
            if cpu() - before < busy * 0.2:
                break
        return time.perf_counter() - started

    def peaks_mib(self) -> list[float]:
        """VmHWM of each process since reset_peaks(), in MiB."""
        peaks = []
        for pid in self.pids:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        return peaks


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


@contextlib.contextmanager
def serve(
    name: str,
    cmd: Sequence[str],
    *,
    env: dict[str, str],
    ready_path: str,
    log_dir: Path,
    prefix: Sequence[str] = (),
) -> Iterator[Server]:
    """Start `cmd` (its port given as {port}) and wait for `ready_path` to answer 200."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = log_dir / f"{name}-{port}.log"
    argv = [*prefix, *(a.replace("{port}", str(port)) for a in cmd)]
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=log_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = started + START_TIMEOUT_S
        with httpx.Client(base_url=base_url, timeout=2.0, trust_env=False) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail(log)}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get(ready_path).status_code == 200:
                        break
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{name} not ready in {START_TIMEOUT_S} s:\n{tail(log)}")
                time.sleep(0.01)
        startup = time.perf_counter() - started
        yield Server(name, base_url, proc, startup, log)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@dataclass
class Load:
    """How to load one URL: GET, POST cycling through bodies, or unique annotation POSTs."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)
    annotate_claim: str | None = None


def _wrk_script(load: Load, workdir: Path) -> Path:
    lua = REPORT_LUA
    if load.bodies:
        lua += BODIES_LUA % ", ".join(_lua_string(b) for b in load.bodies)
    elif load.annotate_claim:
        lua += ANNOTATION_LUA % (load.annotate_claim, f"{time.time_ns():x}")
    path = workdir / f"wrk-{abs(hash(lua)) & 0xFFFFFFFF:08x}.lua"
    path.write_text(lua)
    return path


def run_wrk(
    load: Load, *, concurrency: int, seconds: int, prefix: Sequence[str], workdir: Path
) -> dict[str, Any]:
    cmd = [*prefix, "wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s"]
    cmd += ["--timeout", f"{REQUEST_TIMEOUT_S}s", "-s", str(_wrk_script(load, workdir))]
    for name, value in load.headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*cmd, load.url],
        capture_output=True,
        text=True,
        timeout=seconds + REQUEST_TIMEOUT_S + 30,
        check=True,
    ).stdout
    raw = json.loads(out.strip().splitlines()[-1])
    elapsed = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(elapsed, 3),
        "rps": raw["requests"] / elapsed,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "errors": raw["non_2xx"] + raw["socket_errors"],
    }


async def _httpx_count(load: Load, concurrency: int, requests: int) -> dict[str, Any]:
    latencies: list[float] = []
    non_2xx = socket_errors = 0
    left = requests
    counter = 0
    nonce = f"{time.time_ns():x}"

    def body() -> str | None:
        nonlocal counter
        if load.bodies:
            counter += 1
            return load.bodies[counter % len(load.bodies)]
        if load.annotate_claim:
            counter += 1
            return json.dumps(
                {
                    "target": {"type": "claim", "id": load.annotate_claim},
                    "motivation": "commenting",
                    "body": f"read_bench {nonce} {counter}",
                    "tags": ["read-bench"],
                }
            )
        return None

    # One client for all (a client each would cost more to make than a quick run's requests).
    http = httpx.AsyncClient(
        timeout=REQUEST_TIMEOUT_S,
        trust_env=False,
        headers=load.headers,
        limits=httpx.Limits(max_connections=concurrency),
    )

    async def client() -> None:
        nonlocal left, non_2xx, socket_errors
        while left > 0:
            left -= 1
            content = body()
            sent = time.perf_counter()
            try:
                if content is None:
                    response = await http.get(load.url)
                else:
                    response = await http.post(
                        load.url, content=content, headers={"content-type": "application/json"}
                    )
                non_2xx += not 200 <= response.status_code < 300
            except httpx.HTTPError:
                socket_errors += 1
            latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    async with http:
        await asyncio.gather(*(client() for _ in range(min(concurrency, requests))))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    first = latencies[0] if latencies else 0.0
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": len(latencies) / elapsed,
        "p50_ms": (cuts[49] if cuts else first) * 1000,
        "p99_ms": (cuts[98] if cuts else first) * 1000,
        "max_ms": max(latencies, default=0.0) * 1000,
        "non_2xx": non_2xx,
        "socket_errors": socket_errors,
        "errors": non_2xx + socket_errors,
    }


def run_httpx(load: Load, *, concurrency: int, requests: int) -> dict[str, Any]:
    return asyncio.run(_httpx_count(load, concurrency, requests))


def warm_up(load: Load, requests: int) -> None:
    """A few unmeasured requests, sequential, so caches and prepared statements are warm."""
    if requests > 0:
        run_httpx(load, concurrency=1, requests=requests)


def environment_extra() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {"commit": commit, "dirty": bool(dirty), "pid": os.getpid()}
