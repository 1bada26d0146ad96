"""Smoke test of bench/feed_bench.py: a --quick run on a tiny generated SQLite knowledge base
with real `elitekb serve` processes and client processes. No timing is asserted
(CONVENTIONS.md): only that the run completed without a failed request, that the walk read
the whole log, that the follower got every write exactly once, that every idle poller woke
for the write, and that the result file has its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_quick_run_follows_every_write_once(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "feed_bench.py"),
            "--quick",
            "--backends",
            "sqlite",
            "--claims",
            "300",
            "--pollers",
            "30",
            "--results-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (result,) = tmp_path.glob("feed-*.json")
    report = json.loads(result.read_text())
    assert report["failures"] == []
    (block,) = report["blocks"]
    assert block["backend"] == "sqlite"

    walks = block["walk"]
    assert set(walks) == {"admin", "anonymous"}
    for walk in walks.values():
        assert walk["errors"] == 0
        assert walk["reached_end"] is True
        assert walk["pages_without_link"] == 0
    assert walks["admin"]["changes"] == block["expected_admin_changes"]
    # bench/gen_kb.py stores a record on every change row but a delete's
    facts = block["facts"]
    assert facts["with_document"] == facts["changes"] - facts["deletes"]

    latency = block["latency"]
    assert latency["writes"] == 20
    assert latency["received"] == 20
    assert (latency["missed"], latency["received_twice"], latency["errors"]) == (0, 0, 0)
    assert latency["in_order"] is True
    assert set(latency["latency_ms"]) == {"p50", "p99", "max", "min"}

    idle = block["idle"]
    assert idle["pollers"] == 30
    assert idle["errors"] == 0
    assert idle["received_the_write"] == 30
    assert {"count", "by_file"} <= set(idle["before"]) and {"count"} <= set(idle["while_waiting"])

    for figure in ("livez", "sql"):
        assert block[figure]
    assert set(block["ratios"]) == {"walk_vs_sql", "anonymous_vs_admin", "page_vs_livez"}
    assert {t["target"] for t in report["targets"]} == {
        "walk changes/s (admin)",
        "follower p50 ms",
        "follower p99 ms",
        "db holds +30 idle pollers",
    }
    assert report["environment"]["loadavg_at_start"]
