"""Latency of GET /v1/search and POST /v1/match on a large generated knowledge base.

    make bench-search              # SQLite and PostgreSQL, 10,000 persons, 1,000,000 claims
    .venv/bin/python bench/search_bench.py --backend sqlite --persons 500 --claims 20000
    .venv/bin/python bench/search_bench.py --sqlite-db /tmp/kb/sqlite.db   # reuse a generated one

Per backend: a scratch database is filled by bench/gen_kb.py (bulk SQL: 10,000 persons and
1,000,000 claims by default), one `elitekb serve` process is started pinned to the first CPU
(rate limits off, as in bench/http_bench.py), and a client process pinned to the other CPU sends
sequential requests over one keep-alive connection: /livez (the baseline), then GET /v1/search
cycling through 40 queries and POST /v1/match cycling through 20 bodies built from the generated
data, each after a warm-up. Figures are per request, from sending to the end of the body.

Medians and 99th percentiles are printed as a table, also as ratios to the /livez median of the
same run, and written with the environment and the generation figures to
bench/results/search-<UTC timestamp>.json. The exit status is 1 if any request was not 2xx.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from http_bench import _cpu_sets, _environment  # noqa: E402

from tests.support.server import running_server  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
GEN_KB = ROOT / "bench" / "gen_kb.py"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
REQUEST_TIMEOUT_S = 30.0
ENDPOINT_BUDGET_S = 900.0  # a client gives up on an endpoint after this long
GEN_TIMEOUT_S = 3 * 3600
TARGET_MEDIAN_MS = 20.0
TARGET_P99_MS = 100.0
SEARCH_LIMIT = 20
_GEN_ID = re.compile(r"-\d+$")


# --------------------------------------------------------------------------------------------
# Databases


def _pg_admin_url() -> str:
    return os.environ.get("ELITEKB_BENCH_POSTGRES_URL", DEFAULT_PG).replace(
        "postgresql+psycopg://", "postgresql://"
    )


def _generate(url: str, args: argparse.Namespace, stats_path: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(GEN_KB),
        url,
        "--persons",
        str(args.persons),
        "--claims",
        str(args.claims),
        "--seed",
        str(args.seed),
        "--stats-json",
        str(stats_path),
    ]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, timeout=GEN_TIMEOUT_S, stdout=sys.stderr)
    stats = dict(json.loads(stats_path.read_text()))
    stats["wall_seconds"] = round(time.perf_counter() - started, 1)
    return stats


def _size_bytes(url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


@contextlib.contextmanager
def _database(backend: str, args: argparse.Namespace, workdir: Path) -> Iterator[tuple[str, dict]]:
    """(url, generation figures) of a generated database; a scratch one is removed afterwards
    unless --keep."""
    reuse = args.sqlite_db if backend == "sqlite" else args.postgres_db
    if reuse:
        url = f"sqlite:///{Path(reuse).resolve()}" if backend == "sqlite" else reuse
        print(f"{backend}: reusing {url} (not generated in this run)", file=sys.stderr)
        yield url, {"reused": url, "database_bytes": _size_bytes(url)}
        return
    keep = Path(args.keep).resolve() if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    stats_path = workdir / f"gen-{backend}.json"
    if backend == "sqlite":
        path = (keep or workdir) / f"search-bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        try:
            yield url, _generate(url, args, stats_path)
        finally:
            if keep:
                print(f"kept {path}", file=sys.stderr)
        return
    import psycopg

    admin = _pg_admin_url()
    name = f"elitekb_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin.rpartition('/')[0]}/{name}"
    try:
        yield url, _generate(url, args, stats_path)
    finally:
        if keep:
            (keep / "postgres-url.txt").write_text(url + "\n")
            print(f"kept PostgreSQL database {url}", file=sys.stderr)
        else:
            with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------
# Queries, built from what was generated


def _masculine_surname(nom: str, female: bool) -> str:
    if not female:
        return nom
    return nom[:-2] + "ий" if nom.endswith("ская") else nom[:-1]


def _typo(text: str) -> str:
    """One letter of the last word changed (not the first letter)."""
    head, _, last = text.rpartition(" ")
    i = max(1, len(last) // 2)
    swap = "a" if last[i] != "a" else "o"
    if "\u0400" <= last[i] <= "\u04ff":
        swap = "а" if last[i] != "а" else "о"
    last = last[:i] + swap + last[i + 1 :]
    return f"{head} {last}".strip()


def build_plan(url: str, seed: int) -> dict[str, Any]:
    """40 search queries and 20 match bodies, each labelled with its kind."""
    import random

    import gen_kb
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = [
                (pid, n)
                for pid, n in conn.execute(
                    text(
                        "SELECT person_id, count(*) FROM claim_subject "
                        "WHERE person_id IS NOT NULL GROUP BY person_id "
                        "ORDER BY count(*) DESC, person_id"
                    )
                )
                if _GEN_ID.search(pid)
            ]
            claim_counts = dict(counts)
            picked = [counts[i][0] for i in (0, 1, 2, 5, 10, 50, 200)]
            picked += [counts[len(counts) // 2][0], counts[-2][0], counts[-1][0]]
            people: dict[str, dict[str, Any]] = {}
            for pid in picked:
                person = (
                    conn.execute(text("SELECT * FROM person WHERE id = :i"), {"i": pid})
                    .mappings()
                    .one()
                )
                forms = list(
                    conn.execute(
                        text("SELECT name FROM name_form WHERE person_id = :i ORDER BY ordinal"),
                        {"i": pid},
                    ).scalars()
                )
                variants: dict[str, str] = dict(
                    conn.execute(
                        text(
                            "SELECT scheme, variant FROM name_variant WHERE person_id = :i "
                            "AND origin = 'transliteration' ORDER BY id"
                        ),
                        {"i": pid},
                    ).all()
                )
                role_orgs = conn.execute(
                    text(
                        "SELECT o.name, f.name FROM role r JOIN organization o "
                        "ON o.id = r.organization_id JOIN name_form f "
                        "ON f.organization_id = o.id AND f.ordinal = 0 "
                        "WHERE r.person_id = :i ORDER BY r.id"
                    ),
                    {"i": pid},
                ).all()
                people[pid] = {
                    "id": pid,
                    "claims": claim_counts[pid],
                    "role_orgs": [list(r) for r in role_orgs],
                    "display": person["name"],
                    "birth_date": str(person["birth_date"]) if person.get("birth_date") else None,
                    "cyr": forms[0],
                    "cyr_patronymic": forms[1],
                    "variants": variants,
                }
            orgs = list(
                conn.execute(
                    text(
                        "SELECT o.name, f.name FROM organization o JOIN name_form f "
                        "ON f.organization_id = o.id AND f.ordinal = 0 "
                        "WHERE o.id LIKE '%-o%' ORDER BY o.id LIMIT 40"
                    )
                )
            )
    finally:
        engine.dispose()

    def cases(p: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        given, surname = p["cyr"].split(" ")
        female = p["cyr_patronymic"].split(" ")[1].endswith("на")
        g = gen_kb.female_given_cases(given) if female else gen_kb.male_given_cases(given)
        s = gen_kb.surname_cases(_masculine_surname(surname, female), female)
        return {"given": g, "surname": s}

    p = [people[pid] for pid in picked]
    top, second, third, p5, p10, p50, p200, mid, rare2, rare = p
    rng = random.Random(seed)
    towns = gen_kb.make_towns()
    villages = gen_kb.make_villages(random.Random(seed), 50_000)
    town = towns[len(towns) // 3]
    village = villages[1234]
    c_top, c_mid, c_p5 = cases(top), cases(mid), cases(p5)
    last = lambda person: person["display"].split(" ")[-1]  # noqa: E731
    queries: list[tuple[str, str]] = [
        ("full name, most claims", top["display"]),
        ("full name, 2nd most claims", second["display"]),
        ("full name, median claims", mid["display"]),
        ("full name, fewest claims", rare["display"]),
        ("surname, most claims", last(top)),
        ("surname, median", last(mid)),
        ("surname, rank 50", last(p50)),
        ("Cyrillic name", top["cyr"]),
        (
            "Cyrillic genitive",
            f"{c_top['given'][gen_kb.GEN]} {c_top['surname'][gen_kb.GEN]}",
        ),
        ("Cyrillic instrumental surname", c_mid["surname"][gen_kb.INS]),
        ("Cyrillic dative", f"{c_p5['given'][gen_kb.DAT]} {c_p5['surname'][gen_kb.DAT]}"),
        ("Cyrillic with patronymic", mid["cyr_patronymic"]),
        ("typo, full name", _typo(top["display"])),
        ("typo, full name, median", _typo(mid["display"])),
        ("typo, surname", _typo(last(p10))),
        ("ICAO romanisation", second["variants"].get("icao_doc_9303", second["display"])),
        ("French romanisation", mid["variants"].get("mvd_310_fr", mid["display"])),
        ("ALA-LC romanisation", p200["variants"].get("ala_lc", p200["display"])),
        ("initial + surname", f"{third['display'][0]}. {last(third)}"),
        ("lower-case name", rare2["display"].lower()),
        ("topic word (~3% of claims)", "inflation"),
        ("topic word", "sanctions"),
        ("topic word", "budget"),
        ("Russian topic word", "инфляция"),
        ("Russian topic word, inflected", "пенсий"),
        ("two topic words", "pensions taxes"),
        ("town (~80 claims)", town.latin),
        ("town, Cyrillic genitive", town.gen),
        ("village (1-2 claims)", village[0]),
        ("village, Cyrillic", village[1]),
        ("surname + topic", f"{last(top)} inflation"),
        ("organisation name", orgs[0][0]),
        ("organisation word", "Herald"),
        ("Cyrillic organisation", orgs[1][1]),
        ("seed person surname", "Kudrin"),
        ("seed person, Cyrillic instrumental", "Набиуллиной"),
        ("common phrase", "could not be reached for comment"),
        ("no match", "xyzzy quux"),
        ("no match, Cyrillic", "Брунгильдовна"),
        ("no match, name", "John Smith"),
    ]
    search = [
        {"kind": kind, "q": q, "path": f"/v1/search?q={_quote(q)}&limit={SEARCH_LIMIT}"}
        for kind, q in queries
    ]
    org_names = [o[0] for o in orgs] + [o[1] for o in orgs[:10]]
    names: list[tuple[str, str, dict[str, Any] | None]] = [
        ("display", top["display"], top),
        ("display", mid["display"], mid),
        ("display", rare["display"], rare),
        ("display", p50["display"], p50),
        ("ICAO", second["variants"].get("icao_doc_9303", second["display"]), second),
        ("French", p10["variants"].get("mvd_310_fr", p10["display"]), p10),
        ("Cyrillic", top["cyr"], top),
        ("Cyrillic", p200["cyr"], p200),
        ("Cyrillic patronymic", mid["cyr_patronymic"], mid),
        ("typo", _typo(p5["display"]), p5),
        ("typo", _typo(rare2["display"]), rare2),
        ("surname only", last(third), third),
        ("no match", "John Smith", None),
    ]
    # Bodies of two named queries, and the second of each alone (one query per request).
    match, match_one = [], []
    for i in range(20):
        kind1, name1, _ = names[i % len(names)]
        kind2, name2, person2 = names[(i * 7 + 3) % len(names)]
        # Half name an organisation the person has a role at (English or Russian name).
        if person2 and person2["role_orgs"] and i % 2 == 0:
            org, how = rng.choice(person2["role_orgs"])[i // 2 % 2], "their organisation"
        else:
            org, how = rng.choice(org_names), "another organisation"
        q2: dict[str, str] = {"name": name2, "organization": org}
        # Some give a birth date: theirs where it is known, else an unrelated one.
        if i % 3 == 0:
            q2["birth_date"] = (person2 or {}).get("birth_date") or "1963-10-29"
        match.append(
            {
                "kind": f"{kind1} + {kind2} with {how}",
                "body": {"queries": {"q1": {"name": name1}, "q2": q2}},
            }
        )
        match_one.append({"kind": f"{kind2} with {how}", "body": {"queries": {"q1": q2}}})
    return {
        "people": list(people.values()),
        "search": search,
        "match": match,
        "match_one": match_one,
    }


def _quote(q: str) -> str:
    from urllib.parse import quote

    return quote(q, safe="")


# --------------------------------------------------------------------------------------------
# The client (a separate process, pinned to its own CPU)


def _percentiles(ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "median_ms": statistics.median(ms),
        "p90_ms": cuts[89],
        "p99_ms": cuts[98],
        "max_ms": max(ms),
    }


def run_client(base_url: str, plan: dict[str, Any], requests: int, warmup: int) -> dict:
    import httpx

    endpoints: list[tuple[str, str, list[dict[str, Any]]]] = [
        ("/livez", "GET", [{"kind": "baseline", "path": "/livez"}]),
        ("GET /v1/search", "GET", plan["search"]),
        ("POST /v1/match", "POST", plan["match"]),
        ("POST /v1/match (1 query)", "POST", plan["match_one"]),
        ("/livez (after)", "GET", [{"kind": "baseline", "path": "/livez"}]),
    ]
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False) as http:
        for label, method, items in endpoints:
            samples: list[tuple[int, float, int]] = []  # (item, ms, status)
            errors: list[str] = []
            hits: dict[int, int | None] = {}
            deadline = time.monotonic() + ENDPOINT_BUDGET_S
            for n in range(warmup + requests):
                if time.monotonic() > deadline:
                    errors.append(f"gave up after {ENDPOINT_BUDGET_S:.0f} s")
                    break
                i = n % len(items)
                item = items[i]
                sent = time.perf_counter()
                try:
                    if method == "GET":
                        response = http.get(item["path"])
                    else:
                        response = http.post("/v1/match?threshold=0.85&limit=5", json=item["body"])
                    body = response.content
                    status = response.status_code
                except httpx.HTTPError as exc:
                    body, status = b"", 0
                    errors.append(f"{type(exc).__name__}: {exc}")
                ms = (time.perf_counter() - sent) * 1000
                if not 200 <= status < 300 and len(errors) < 5:
                    errors.append(
                        f"{status} for {item.get('path') or item['body']}: {body[:300]!r}"
                    )
                if i not in hits and 200 <= status < 300 and label != "/livez":
                    hits[i] = _result_count(body)
                if n >= warmup:
                    samples.append((i, ms, status))
            ms_all = [s[1] for s in samples]
            per_item = []
            for i, item in enumerate(items):
                mine = [s[1] for s in samples if s[0] == i]
                if mine:
                    per_item.append(
                        {
                            "kind": item["kind"],
                            "query": item.get("q") or item.get("body") or item["path"],
                            "n": len(mine),
                            "median_ms": statistics.median(mine),
                            "max_ms": max(mine),
                            "results": hits.get(i),
                        }
                    )
            out[label] = {
                "requests": len(samples),
                "non_2xx": sum(1 for s in samples if not 200 <= s[2] < 300),
                "errors": errors,
                **(_percentiles(ms_all) if len(ms_all) >= 2 else {}),
                "per_item": per_item if len(items) > 1 else [],
            }
    return out


def _result_count(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data.get("items"), list):
        return len(data["items"])
    if isinstance(data.get("responses"), dict):
        return sum(len(r.get("results", [])) for r in data["responses"].values())
    return None


def _client_subprocess(
    prefix: list[str], base_url: str, plan_path: Path, out_path: Path, args: argparse.Namespace
) -> dict[str, Any]:
    cmd = [
        *prefix,
        sys.executable,
        __file__,
        "--client",
        base_url,
        str(plan_path),
        str(out_path),
        "--requests",
        str(args.requests),
        "--warmup",
        str(args.warmup),
    ]
    subprocess.run(cmd, check=True, timeout=4 * ENDPOINT_BUDGET_S + 60)
    return dict(json.loads(out_path.read_text()))


# --------------------------------------------------------------------------------------------
# Report


def _bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    server_cpu, client_cpu = _cpu_sets()
    with tempfile.TemporaryDirectory(prefix="elitekb-search-bench-") as tmp:
        workdir = Path(tmp)
        with _database(backend, args, workdir) as (url, gen_stats):
            t = time.perf_counter()
            plan = build_plan(url, args.seed)
            print(
                f"{backend}: {len(plan['search'])} search queries and {len(plan['match'])} "
                f"match bodies built in {time.perf_counter() - t:.1f} s",
                file=sys.stderr,
            )
            plan_path = workdir / "plan.json"
            plan_path.write_text(json.dumps(plan, ensure_ascii=False))
            with running_server(url, log_dir=workdir, prefix=server_cpu) as base_url:
                results = _client_subprocess(
                    client_cpu, base_url, plan_path, workdir / "client.json", args
                )
    base = results["/livez"]["median_ms"]
    for row in results.values():
        if "median_ms" in row:
            row["median_vs_livez"] = row["median_ms"] / base
            row["p99_vs_livez"] = row["p99_ms"] / base
    return {"backend": backend, "generation": gen_stats, "people": plan["people"], **results}


ENDPOINT_ORDER = [
    "/livez",
    "GET /v1/search",
    "POST /v1/match",
    "POST /v1/match (1 query)",
    "/livez (after)",
]


def _table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | endpoint | requests | median ms | p90 ms | p99 ms | max ms "
        "| median / livez | p99 / livez | non-2xx | target met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        for label in ENDPOINT_ORDER:
            r = run[label]
            if "median_ms" not in r:
                lines.append(
                    f"| {run['backend']} | {label} | {r['requests']} | - | - | - | - "
                    f"| - | - | {r['non_2xx']} | |"
                )
                continue
            met = ""
            if label.startswith(("GET", "POST")):
                ok = r["median_ms"] < TARGET_MEDIAN_MS and r["p99_ms"] < TARGET_P99_MS
                met = "yes" if ok and not r["non_2xx"] else "NO"
            lines.append(
                f"| {run['backend']} | {label} | {r['requests']} | {r['median_ms']:.2f} "
                f"| {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} "
                f"| {r['median_vs_livez']:.1f} | {r['p99_vs_livez']:.1f} | {r['non_2xx']} | {met} |"
            )
    return "\n".join(lines)


def _slowest(runs: list[dict[str, Any]], top: int = 8) -> str:
    lines = []
    for run in runs:
        for label in ("GET /v1/search", "POST /v1/match", "POST /v1/match (1 query)"):
            items = sorted(run[label].get("per_item", []), key=lambda x: -x["median_ms"])
            if not items:
                continue
            lines.append(f"\n{run['backend']} {label}, slowest {top} of {len(items)} (median ms):")
            for item in items[:top]:
                q = item["query"]
                q = q if isinstance(q, str) else json.dumps(q, ensure_ascii=False)
                lines.append(
                    f"  {item['median_ms']:8.2f}  max {item['max_ms']:8.2f}  "
                    f"results {item['results']!s:>4}  {item['kind']}: {q[:90]}"
                )
    return "\n".join(lines)


def _generation_line(run: dict[str, Any]) -> str:
    gen = run["generation"]
    size = f"{gen['database_bytes'] / 2**20:,.0f} MiB"
    if "reused" in gen:
        return f"{run['backend']}: reused {gen['reused']} ({size})"
    return (
        f"{run['backend']}: {gen['persons']:,} persons, {gen['claims']:,} claims, "
        f"{gen['sources']:,} sources generated in {gen['wall_seconds']:.0f} s "
        f"(rows {gen['load_seconds']:.0f} s, indexes {gen['index_seconds']:.0f} s); "
        f"database {size}"
    )


def _code_version() -> dict[str, Any]:
    """The commit measured and how many files differ from it (read-only git queries)."""
    out: dict[str, Any] = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            [*git, "status", "--porcelain"], capture_output=True, text=True, timeout=10
        )
        out = {"commit": head.stdout.strip(), "changed_files": len(status.stdout.splitlines())}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Latency of /v1/search and /v1/match on a generated knowledge base."
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=400, help="measured, per endpoint")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured, per endpoint")
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the generated databases (SQLite file in DIR)"
    )
    parser.add_argument("--sqlite-db", metavar="PATH", help="use this generated SQLite file")
    parser.add_argument("--postgres-db", metavar="URL", help="use this generated database")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    started = dt.datetime.now(dt.UTC)
    env = _environment("httpx")
    print(
        f"elitekb search bench: {', '.join(backends)}; {args.persons} persons, {args.claims} "
        f"claims; server pinned: {env['server_pinning']}; client pinned: "
        f"{env['load_pinning']}; load average {env['loadavg_at_start'][0]:.2f}",
        file=sys.stderr,
    )
    runs = [_bench_backend(backend, args) for backend in backends]
    for run in runs:
        print(_generation_line(run))
    print()
    print(_table(runs))
    print(_slowest(runs))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"search-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    env["load_generator"] = "httpx, sequential, one keep-alive connection"
    report = {
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "baseline": "/livez",
        "persons": args.persons,
        "claims": args.claims,
        "seed": args.seed,
        "requests": args.requests,
        "warmup": args.warmup,
        "targets": {"median_ms": TARGET_MEDIAN_MS, "p99_ms": TARGET_P99_MS},
        "environment": env,
        "code": _code_version(),
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    failed = any(
        run[label]["non_2xx"] or run[label]["errors"] for run in runs for label in ENDPOINT_ORDER
    )
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--client":
        client = argparse.ArgumentParser(prog="search_bench.py --client")
        client.add_argument("base_url")
        client.add_argument("plan", type=Path)
        client.add_argument("out", type=Path)
        client.add_argument("--requests", type=int, required=True)
        client.add_argument("--warmup", type=int, required=True)
        a = client.parse_args(sys.argv[2:])
        result = run_client(a.base_url, json.loads(a.plan.read_text()), a.requests, a.warmup)
        a.out.write_text(json.dumps(result, ensure_ascii=False))
        sys.exit(0)
    sys.exit(main())
