"""Smoke test of bench/read_bench.py: a --quick run on a tiny generated SQLite knowledge base,
with the real servers (elitekb serve, the baselines, Datasette when installed). No timing is
asserted (CONVENTIONS.md): only that every GET operation of the OpenAPI document was measured
and that no request failed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.main import app

pytestmark = pytest.mark.slow


def test_quick_run_measures_every_get_operation(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "read_bench.py"),
            "--quick",
            "--backends",
            "sqlite",
            "--sizes",
            "300",
            "--results-dir",
            str(tmp_path),
            "--no-readme",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    (result,) = tmp_path.glob("reads-*.json")
    report = json.loads(result.read_text())
    (block,) = report["blocks"]
    rows = block["rows"]

    gets = {f"GET {path}" for path, item in app.openapi()["paths"].items() if "get" in item}
    measured = {r["op"] for r in rows if r["server"] == "elitekb"}
    assert measured - gets == {"POST /v1/match", "POST /v1/annotations"}
    assert gets <= measured
    for op in gets:
        assert {r["c"] for r in rows if r["op"] == op and r["server"] == "elitekb"} >= {1, 64}
    assert [r["scenario"] for r in rows if r["errors"]] == []
    assert {r["server"] for r in rows} >= {"baseline", "naive", "elitekb-ratelimited"}
    assert all(r["requests"] == 12 for r in rows)
    assert {t["target"]: t["status"] for t in report["targets"]}


def test_an_operation_or_filter_without_scenario_is_listed() -> None:
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    from read_plan import coverage_gaps

    document = app.openapi()
    assert coverage_gaps(document) == []
    persons = document["paths"]["/v1/persons"]["get"]
    document = {
        "paths": {
            **document["paths"],
            "/v1/persons": {
                "get": {**persons, "parameters": [*persons["parameters"], _query("born_after")]}
            },
            "/v1/widgets/{widget_id}": {
                "get": {"parameters": [{"name": "widget_id", "in": "path"}, _query("colour")]}
            },
        }
    }
    assert coverage_gaps(document) == [
        "GET /v1/persons: query parameter 'born_after' (add it to FILTERS)",
        "GET /v1/widgets/{widget_id}: path parameter 'widget_id' (add it to PATH_ENTITIES)",
        "GET /v1/widgets/{widget_id}: query parameter 'colour' (add it to FILTERS)",
    ]


def _query(name: str) -> dict[str, str]:
    return {"name": name, "in": "query"}
