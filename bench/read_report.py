"""Ratios, growth, targets and tables of bench/read_bench.py's measurements."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Row = dict[str, Any]
START, END = "<!-- read-bench:start -->", "<!-- read-bench:end -->"
GROWTH_MAX = 1.5
SERVERS = ("elitekb", "elitekb-ratelimited")


def _baseline(rows: list[Row], c: int) -> tuple[float, float]:
    base = [r for r in rows if r["server"] == "baseline" and r["c"] == c]
    if not base:
        return float("nan"), float("nan")
    return statistics.mean(r["rps"] for r in base), statistics.mean(r["p50_ms"] for r in base)


def _growth(blocks: list[dict[str, Any]]) -> list[Row]:
    """p50 at the largest size / at the smallest, per backend, read scenario, at c=1."""
    out = []
    for backend in dict.fromkeys(b["backend"] for b in blocks):
        mine = sorted((b for b in blocks if b["backend"] == backend), key=lambda b: b["claims"])
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]

        def reads(block: dict[str, Any]) -> dict[str, Row]:
            return {
                r["scenario"]: r
                for r in block["rows"]
                if r["server"] == "elitekb" and r["c"] == 1 and _is_read(r)
            }

        a, b = reads(small), reads(large)
        for name in a.keys() & b.keys():
            ratio = b[name]["p50_ms"] / a[name]["p50_ms"] if a[name]["p50_ms"] else float("inf")
            out.append(
                {
                    "backend": backend,
                    "scenario": name,
                    "popularity": a[name]["popularity"],
                    "small_claims": small["claims"],
                    "large_claims": large["claims"],
                    "p50_small_ms": a[name]["p50_ms"],
                    "p50_large_ms": b[name]["p50_ms"],
                    "ratio": ratio,
                }
            )
    return sorted(out, key=lambda g: (g["backend"], -g["ratio"]))


def _is_read(row: Row) -> bool:
    return row["op"].startswith("GET ") or row["op"] == "POST /v1/match"


def _is_list(row: Row) -> bool:
    return row["op"].startswith("GET ") and "limit=" in row["path"]


def _check(
    label: str, rows: Iterable[Row], ok: Callable[[Row], bool], value: Callable[[Row], float]
) -> Row:
    rows = list(rows)
    if not rows:
        return {"target": label, "status": "n/a", "checked": 0, "misses": []}
    misses = [
        {"backend": r["backend"], "claims": r["claims"], "scenario": r["scenario"], "c": r["c"]}
        | {"value": round(value(r), 3)}
        for r in rows
        if not ok(r)
    ]
    worst = (min if "≥" in label else max)(value(r) for r in rows)
    return {
        "target": label,
        "status": "MISS" if misses else "PASS",
        "checked": len(rows),
        "worst": round(worst, 3),
        "misses": misses,
    }


def _targets(blocks: list[dict[str, Any]], growth: list[Row]) -> list[Row]:
    rows = [r for b in blocks for r in b["rows"] if r["server"] in SERVERS]
    largest = {
        b["backend"]: max(x["claims"] for x in blocks if x["backend"] == b["backend"])
        for b in blocks
    }

    def at(backend: str | None, c: int | None, *, big: bool = False) -> list[Row]:
        return [
            r
            for r in rows
            if (backend is None or r["backend"] == backend)
            and (c is None or r["c"] == c)
            and (not big or r["claims"] == largest[r["backend"]])
        ]

    def op(rs: list[Row], name: str, flt: str | None = None) -> list[Row]:
        return [r for r in rs if r["op"] == name and r["filter"] == flt]

    person, claims = "GET /v1/persons/{person_id}", "GET /v1/persons/{person_id}/claims"
    ratio = lambda r: r["rps_vs_baseline"]  # noqa: E731
    out = []
    for backend in sorted({g["backend"] for g in growth}):
        mine = [g for g in growth if g["backend"] == backend]
        out.append(
            _check(
                f"{backend}: growth p50(largest)/p50(smallest) ≤ {GROWTH_MAX}, every read, c=1",
                ({**g, "c": 1, "claims": g["large_claims"]} for g in mine),
                lambda g: g["ratio"] <= GROWTH_MAX,
                lambda g: g["ratio"],
            )
        )
    for backend in sorted(largest):
        out.append(
            _check(
                f"{backend} at {largest[backend]:,} claims: every list and filter, c=1, "
                "p99 ≤ 50 ms",
                (r for r in at(backend, 1, big=True) if _is_list(r)),
                lambda r: r["p99_ms"] <= 50,
                lambda r: r["p99_ms"],
            )
        )
    sq, pg = at("sqlite", 16), at("postgres", 16)
    claims_pages = op(sq, claims) + op(sq, "GET /v1/claims", "subject")
    out += [
        _check(
            "sqlite c=16: GET /v1/persons/{id} ≥ 0.75x baseline req/s",
            op(sq, person),
            lambda r: ratio(r) >= 0.75,
            ratio,
        ),
        _check(
            "sqlite c=16: person claims, claims?subject= (50/page) ≥ 0.35x",
            claims_pages,
            lambda r: ratio(r) >= 0.35,
            ratio,
        ),
        _check(
            "sqlite c=16: /livez with rate limits on ≥ 0.9x",
            op(sq, "GET /livez", "rate limits on"),
            lambda r: ratio(r) >= 0.9,
            ratio,
        ),
        _check(
            "postgres 2 processes c=16: person detail ≥ 0.5x",
            op(pg, person),
            lambda r: ratio(r) >= 0.5,
            ratio,
        ),
        _check(
            "postgres 2 processes c=16: claims pages ≥ 0.25x",
            op(pg, claims) + op(pg, "GET /v1/claims", "subject"),
            lambda r: ratio(r) >= 0.25,
            ratio,
        ),
    ]
    pg_big = at("postgres", 1, big=True)
    search = op(pg_big, "GET /v1/search", "q") + op(pg_big, "POST /v1/match")
    size = f"{largest['postgres']:,}" if "postgres" in largest else "the largest size"
    out += [
        _check(
            f"postgres at {size} claims, c=1: search, match p50 ≤ 20 ms",
            search,
            lambda r: r["p50_ms"] <= 20,
            lambda r: r["p50_ms"],
        ),
        _check(
            f"postgres at {size} claims, c=1: search, match p99 ≤ 100 ms",
            search,
            lambda r: r["p99_ms"] <= 100,
            lambda r: r["p99_ms"],
        ),
    ]
    for backend, floor in (("sqlite", 500), ("postgres", 1000)):
        post = op(at(backend, 16), "POST /v1/annotations")
        out.append(
            _check(
                f"{backend} c=16: POST /v1/annotations ≥ {floor}/s",
                post,
                lambda r, f=floor: r["rps"] >= f,
                lambda r: r["rps"],
            )
        )
        out.append(
            _check(
                f"{backend}: POST /v1/annotations, zero errors",
                op(at(backend, None), "POST /v1/annotations"),
                lambda r: r["errors"] == 0,
                lambda r: r["errors"],
            )
        )
    c64 = at(None, 64)
    out += [
        _check("c=64: zero errors", c64, lambda r: r["errors"] == 0, lambda r: r["errors"]),
        _check(
            "c=64: p99 ≤ 3x p50",
            c64,
            lambda r: r["p99_ms"] <= 3 * r["p50_ms"],
            lambda r: r["p99_ms"] / r["p50_ms"] if r["p50_ms"] else 0,
        ),
    ]
    starts = [
        {
            "backend": b["backend"],
            "claims": b["claims"],
            "scenario": "elitekb serve start to /readyz 200",
            "c": 0,
            "s": s,
        }
        for b in blocks
        if b["claims"] == largest[b["backend"]]
        for s in b["startup_s"]
    ]
    out.append(
        _check(
            "/readyz within 2 s of start at the largest size",
            starts,
            lambda r: r["s"] <= 2,
            lambda r: r["s"],
        )
    )
    out.append(
        _check(
            "every scenario load-tested (its first request under --max-probe-ms)",
            (r for r in rows if r["c"] == 1),
            lambda r: not r.get("probe_only"),
            lambda r: r["max_ms"] if r.get("probe_only") else 0.0,
        )
    )
    out.append(
        _check(
            "peak RSS per process ≤ 250 MiB",
            rows,
            lambda r: r["rss_max_mib"] <= 250,
            lambda r: r["rss_max_mib"],
        )
    )
    return out


def analyse(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    for block in blocks:
        for row in block["rows"]:
            rps, p50 = _baseline(block["rows"], row["c"])
            row["rps_vs_baseline"] = row["rps"] / rps if rps else float("nan")
            row["p50_vs_baseline"] = row["p50_ms"] / p50 if p50 else float("nan")
    growth = _growth(blocks)
    return {"growth": growth, "targets": _targets(blocks, growth)}


# --------------------------------------------------------------------------------------------
# Output


def _block_table(block: dict[str, Any]) -> list[str]:
    head = (
        f"{'c':>3}  {'scenario':76}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p99 ms':>7}  "
        f"{'max ms':>7}  {'err':>4}  {'RSS MiB':>7}  {'rps/base':>8}  {'p50/base':>8}"
    )
    lines = [
        f"\n{block['backend']}, {block['claims']:,} claims, {block['persons']:,} persons",
        head,
    ]
    lines.append("-" * len(head))
    for r in block["rows"]:
        lines.append(
            f"{r['c']:>3}  {_label(r)[:76]:76}  {r['requests']:>8}  {r['rps']:7.0f}  "
            f"{r['p50_ms']:7.2f}  {r['p99_ms']:7.2f}  {r['max_ms']:7.1f}  {r['errors']:>4}  "
            f"{r['rss_max_mib']:7.1f}  {r['rps_vs_baseline']:8.3f}  {r['p50_vs_baseline']:8.2f}"
        )
    return lines


def _label(row: Row) -> str:
    return row["scenario"] + (" (1 request: too slow to load)" if row.get("probe_only") else "")


def render(report: dict[str, Any]) -> str:
    lines = []
    for block in report["blocks"]:
        lines += _block_table(block)
    if report["growth"]:
        lines.append("\ngrowth of p50 at c=1, largest / smallest size (worst first)")
        for g in report["growth"]:
            lines.append(
                f"  {g['backend']:8} {g['scenario'][:76]:76} {g['p50_small_ms']:7.2f} -> "
                f"{g['p50_large_ms']:7.2f} ms  {g['ratio']:5.2f}x"
            )
    lines.append(
        "\nstart-up to /readyz 200 (s): "
        + "; ".join(
            f"{b['backend']} {b['claims']:,}: {', '.join(f'{s:.2f}' for s in b['startup_s'])}"
            for b in report["blocks"]
        )
    )
    lines.append("\ntargets")
    for t in report["targets"]:
        worst = (
            f" (worst {t['worst']}, {len(t['misses'])}/{t['checked']} missed)"
            if t["checked"]
            else ""
        )
        lines.append(f"  {t['status']:4}  {t['target']}{worst}")
    return "\n".join(lines)


def _md(report: dict[str, Any]) -> str:
    env = report["environment"]
    out = [
        f"Run of {report['started_at']} at commit {env['commit'][:10]}"
        f"{' (uncommitted changes)' if env['dirty'] else ''}: {env['cpu']}, {env['cpus']} CPUs, "
        f"load average {env['loadavg_at_start'][0]} at the start and {env['loadavg_at_end'][0]} "
        f"at the end, {env['wall_seconds'] / 60:.0f} min; Python {env['python']}, "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items())
        + f"; {report['settings']['seconds']} s per measurement "
        f"({report['settings']['seconds_c64']} s at c=64) after "
        f"{report['settings']['warmup_requests']} unmeasured requests.",
        "",
        "Targets:",
        "",
        "| | target | checked | worst |",
        "|---|---|---:|---:|",
    ]
    for t in report["targets"]:
        out.append(f"| {t['status']} | {t['target']} | {t['checked']} | {t.get('worst', '')} |")
    for b in report["blocks"]:
        out += [
            "",
            f"{b['backend']}, {b['claims']:,} claims, {b['persons']:,} persons; start-up to "
            f"/readyz {', '.join(f'{s:.2f}' for s in b['startup_s'])} s:",
            "",
            "| scenario | c | req/s | p50 ms | p99 ms | max ms | errors | RSS MiB | req/s vs base "
            "| p50 vs base |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in b["rows"]:
            name = _label(r).replace("|", "\\|")
            out.append(
                f"| {name} | {r['c']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                f"{r['max_ms']:.1f} | {r['errors']} | {r['rss_max_mib']:.0f} | "
                f"{r['rps_vs_baseline']:.3f} | {r['p50_vs_baseline']:.2f} |"
            )
    if report["growth"]:
        out += ["", "Growth of p50 at c=1 (worst first):", ""]
        out += [
            "| backend | scenario | p50 small ms | p50 large ms | ratio |",
            "|---|---|---:|---:|---:|",
        ]
        for g in report["growth"]:
            out.append(
                f"| {g['backend']} | {g['scenario']} "
                f"({g['small_claims']:,} -> {g['large_claims']:,}) "
                f"| {g['p50_small_ms']:.2f} | {g['p50_large_ms']:.2f} | {g['ratio']:.2f} |"
            )
    return "\n".join(out)


def update_readme(readme: Path, report: dict[str, Any]) -> None:
    text = readme.read_text()
    block = f"{START}\n{_md(report)}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme}: the markers {START} / {END} are missing")
    readme.write_text(pattern.sub(lambda _: block, text))
