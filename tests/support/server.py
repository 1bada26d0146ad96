"""Run the real `elitekb serve` (uvicorn) as a subprocess on a free loopback port.

The end-to-end tests, the docs browser test and bench/http_bench.py all go through here, so
every one of them exercises the exact command an operator runs. The server's output goes to a
file (a pipe nobody reads would block it once full) and is quoted when start-up fails.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

ELITEKB = Path(sys.executable).parent / "elitekb"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no server output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no server output)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


def wait_ready(proc: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last = "no answer yet"
    with httpx.Client(base_url=base_url, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"elitekb serve exited with status {proc.returncode} before it was ready:\n"
                    + _tail(log)
                )
            try:
                response = client.get("/readyz")
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:300]}"
            time.sleep(0.1)
    raise RuntimeError(
        f"elitekb serve at {base_url} was not ready within {START_TIMEOUT_S:.0f} s "
        f"(last /readyz: {last}):\n{_tail(log)}"
    )


@contextlib.contextmanager
def running_server(
    database_url: str,
    *,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    prefix: Sequence[str] = (),
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Serve `database_url` with `elitekb serve` and yield its base URL; always stop it.

    `prefix` wraps the command, e.g. `("taskset", "-c", "0")` to pin the server to a core;
    `args` are appended to it, e.g. `("--workers", "2")`. Rate limits are off unless `env`
    sets them: a test's or a benchmark's burst of requests from one address is not abuse.

    A free port can be taken by someone else between probing and binding, so start-up is
    retried on a fresh port a few times before giving up.
    """
    with contextlib.ExitStack() as stack:
        if log_dir is None:
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="elitekb-e2e-")))
        child_env = {
            **os.environ,
            "ELITEKB_DATABASE_URL": database_url,
            "ELITEKB_LOG_LEVEL": "warning",
            "ELITEKB_RATE_LIMIT_ANONYMOUS": "",
            "ELITEKB_RATE_LIMIT_KEY": "",
            **(env or {}),
        }
        error: RuntimeError | None = None
        for attempt in range(3):
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            log = log_dir / f"server-{port}-{attempt}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        *prefix,
                        str(ELITEKB),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        *args,
                    ],
                    env=child_env,
                    cwd=log_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                wait_ready(proc, base_url, log)
            except RuntimeError as exc:
                _stop(proc)
                error = exc
                if "address already in use" not in _tail(log).lower():
                    raise
                continue
            try:
                yield base_url
            finally:
                _stop(proc)
            return
        assert error is not None
        raise error
