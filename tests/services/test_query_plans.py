"""Query plans are part of the contract: every statement a read endpoint runs is driven by an
index on both databases, so a page costs the same at ten thousand claims as at a million.

A knowledge base is generated with bench/gen_kb.py (large enough that each planner's choice is
real: the PostgreSQL tables are ANALYZEd as autovacuum would, SQLite is left as the app leaves
it), every GET endpoint and every documented filter is called through the app for a popular
and a rare entity, first and second page, and each statement the app sent is EXPLAINed. Any
full scan of `claim`, `claim_subject`, `annotation`, `mention` or `change` fails the test,
naming the request, the statement and the plan.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlmodel import SQLModel

from app.db import make_engine
from app.main import create_app
from tests.conftest import _pg_admin, _pg_url
from tests.support.clients import app_settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUARDED = {"claim", "claim_subject", "annotation", "mention", "change"}
# Enough rows that PostgreSQL's statistics favour no table scan where an index serves.
PERSONS, CLAIMS, ANNOTATIONS = 300, 20_000, 40_000
# Rows an ordered index walk may pass over for one page of 50 (PostgreSQL, measured): at most
# 100 per row served. PostgreSQL walks the primary key in list order, filtering, where its
# statistics say a filter passes a few percent of rows (`?verdict=`: ~4%) and the heap is in
# id order: the walk's length follows the filter's selectivity, not the table's size.
WALK_LIMIT = 5000
# Whole-index walks accepted, and why: each reads the index in list order and stops at the
# page's end, because (nearly) every row it meets belongs on the page. Nothing else may scan.
# A partial index holds only the rows its condition admits: reading all of it is no scan.
PARTIAL_INDEXES = {
    index.name
    for table in SQLModel.metadata.tables.values()
    for index in table.indexes
    if index.dialect_options["sqlite"].get("where") is not None
}
ORDERED_WALKS = {
    ("/v1/claims", "claim"): "no filter: the first rows of the keyset index are the page",
    ("/v1/annotations", "annotation"): "only visibility, which all but hidden ones pass",
    ("/v1/annotations?include_deleted=true", "annotation"): "as /v1/annotations",
    ("/v1/annotations?target_type=claim", "annotation"): "most annotations are on claims",
    ("/v1/changes", "change"): "the feed from its start: the first rows of the log are the page",
    ("/v1/changes?after=0", "change"): "as /v1/changes",
}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'kb.db'}"
        drop = None
    else:
        if not request.config.pg_ok:  # type: ignore[attr-defined]
            pytest.skip("PostgreSQL is not reachable")
        name = f"ekb_plans_{os.getpid()}"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(f'CREATE DATABASE "{name}"')
        url, drop = _pg_url(name), name
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "gen_kb.py"),
            url.replace("+psycopg", ""),
            "--persons",
            str(PERSONS),
            "--claims",
            str(CLAIMS),
            "--annotations",
            str(ANNOTATIONS),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    yield url
    if drop is not None:
        _pg_admin(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


def one(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).first()


def scenarios(engine: Engine) -> list[str]:
    """GET requests covering every read endpoint and filter, for popular and rare entities."""
    popular, rare = (
        one(
            engine,
            f"SELECT subject_id FROM claim_tally t JOIN person p ON p.id = t.subject_id "
            f"GROUP BY subject_id ORDER BY SUM(n) {order}, subject_id LIMIT 1",
        )[0]
        for order in ("DESC", "ASC")
    )
    org = one(
        engine,
        "SELECT t.subject_id FROM claim_tally t JOIN organization o ON "
        "o.id = t.subject_id GROUP BY t.subject_id ORDER BY SUM(n) DESC LIMIT 1",
    )[0]
    speaker = one(
        engine,
        "SELECT attributed_to_person_id FROM claim WHERE "
        "attributed_to_person_id IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1",
    )[0]
    source, claim = one(engine, "SELECT source_id, id FROM claim ORDER BY id LIMIT 1")
    role, member_org = one(engine, "SELECT id, organization_id FROM role ORDER BY id LIMIT 1")
    author = one(engine, "SELECT person_id FROM source_author LIMIT 1")
    publisher = one(
        engine,
        "SELECT publisher_organization_id FROM source WHERE "
        "publisher_organization_id IS NOT NULL LIMIT 1",
    )
    surname = one(engine, f"SELECT name FROM person WHERE id = '{popular}'")[0].split()[-1]
    head = one(engine, "SELECT max(seq) FROM change")[0]
    middle = head // 2
    requests = [
        "/v1/persons",
        f"/v1/persons?q={surname}",
        f"/v1/persons?organization={member_org}",
        "/v1/persons?role_status=current",
        "/v1/organizations",
        "/v1/organizations?q=bank",
        "/v1/organizations?kind=company",
        "/v1/roles",
        f"/v1/roles?person={popular}",
        f"/v1/roles?organization={member_org}",
        "/v1/roles?kind=position",
        "/v1/roles?status=current",
        f"/v1/roles/{role}",
        "/v1/sources",
        "/v1/sources?language=ru",
        "/v1/sources?genre=news",
        f"/v1/sources/{source}",
        f"/v1/sources/{source}/text?start=0&end=100",
        f"/v1/sources/{source}/claims",
        f"/v1/sources/{source}/claims?kind=assertion",
        f"/v1/sources/{source}/mentions",
        f"/v1/sources/{source}/mentions?person={popular}",
        "/v1/claims",
        f"/v1/claims?source={source}",
        "/v1/claims?kind=prediction",
        "/v1/claims?modality=hedged",
        "/v1/claims?stance=unfavourable",
        f"/v1/claims?attributed_to={speaker}",
        f"/v1/claims/{claim}",
        f"/v1/claims?subject={org}",
        f"/v1/organizations/{org}",
        f"/v1/organizations/{org}/mentions",
        "/v1/annotations",
        "/v1/annotations?target_type=claim",
        f"/v1/annotations?target_id={claim}",
        "/v1/annotations?tag=inference",
        "/v1/annotations?motivation=assessing",
        "/v1/annotations?verdict=disputed",
        "/v1/annotations?flagged=true",
        "/v1/annotations?include_deleted=true",
        "/v1/changes",
        "/v1/changes?entity_type=claim",
        f"/v1/changes?entity_id={popular}",
        "/v1/changes?entity_type=person",
        "/v1/changes?after=0",
        f"/v1/changes?after={middle}&limit=1000",
        f"/v1/changes?after={head}",
        f"/v1/changes?after={middle}&entity_type=annotation",
        f"/v1/claims/{claim}/versions",
        f"/v1/claims/{claim}?as_of={head}",
        f"/v1/claims/{claim}?as_of=2100-01-01T00:00:00Z",
        f"/v1/roles/{role}/versions",
        f"/v1/roles/{role}?as_of={head}",
        f"/v1/sources/{source}/versions",
        f"/v1/sources/{source}?as_of={head}",
        f"/v1/organizations/{org}/versions",
        f"/v1/organizations/{org}?as_of={head}",
        f"/v1/search?q={surname}",
    ]
    if author:
        requests.append(f"/v1/sources?author={author[0]}")
    if publisher:
        requests.append(f"/v1/sources?publisher={publisher[0]}")
    for person in (popular, rare):
        requests += [
            f"/v1/persons/{person}",
            f"/v1/persons/{person}/roles",
            f"/v1/persons/{person}/versions",
            f"/v1/persons/{person}?as_of={head}",
            f"/v1/persons/{person}/claims",
            f"/v1/persons/{person}/claims?stance=neutral",
            f"/v1/persons/{person}/annotations",
            f"/v1/persons/{person}/mentions",
            f"/v1/claims?subject={person}",
        ]
    annotation = one(
        engine,
        "SELECT id, creator_key_id, thread_id FROM annotation "
        "WHERE hidden = false AND deleted_at IS NULL ORDER BY id LIMIT 1",
    )
    if annotation is not None:
        aid, creator, thread = annotation
        requests += [
            f"/v1/annotations/{aid}",
            f"/v1/annotations/{aid}/replies",
            f"/v1/annotations/{aid}/versions",
            f"/v1/annotations?creator={creator}",
            f"/v1/annotations?thread={thread}",
        ]
    return requests


def full_scans(engine: Engine, statement: str, parameters: Any) -> list[tuple[str, str]]:
    """The guarded tables the plan reads whole (a table or an index without a condition)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            scans = []
            for row in rows:
                m = re.match(r"SCAN (\w+)", row[-1])
                table = re.sub(r"_\d+$", "", m.group(1)) if m else ""
                index = re.search(r"USING (?:COVERING )?INDEX (\w+)", row[-1])
                if table in GUARDED and not (index and index.group(1) in PARTIAL_INDEXES):
                    scans.append((table, row[-1]))
            return scans
        plan = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
        ).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found: list[tuple[str, str]] = []

    def walk(node: dict[str, Any]) -> None:
        relation = node.get("Relation Name")
        if relation in GUARDED and node.get("Index Name") not in PARTIAL_INDEXES:
            kind = node["Node Type"]
            # PostgreSQL may walk an index in list order, filtering, when its statistics say
            # the filter passes many rows (`?kind=` of a common kind); measured, such a walk
            # must stay a walk to the page's end, not through the table.
            removed = node.get("Rows Removed by Filter", 0)
            walk_through = "Index Cond" not in node and removed > WALK_LIMIT
            if kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and walk_through):
                found.append(
                    (
                        relation,
                        f"{kind} on {relation} {node.get('Index Name', '')} "
                        f"(rows removed by filter: {removed})",
                    )
                )
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def test_every_read_is_driven_by_an_index(generated: str) -> None:
    engine = make_engine(generated)
    sent: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not many:
            sent.append((statement, parameters))

    app = create_app(engine, app_settings(cache_max_bytes=0))
    violations: list[str] = []
    checked = 0
    try:
        with TestClient(app) as client:
            requests = scenarios(engine)
            for path in requests:
                sent.clear()
                first = client.get(path)
                assert first.status_code == 200, (path, first.text)
                statements = [(path, *statement) for statement in sent]
                body = first.json()
                cursor = body.get("next_cursor") if isinstance(body, dict) else None
                if isinstance(cursor, str):
                    following = f"{path}{'&' if '?' in path else '?'}cursor={cursor}"
                    sent.clear()
                    second = client.get(following)
                    assert second.status_code == 200, (following, second.text)
                    statements += [(following, *statement) for statement in sent]
                event.remove(engine, "before_cursor_execute", capture)
                try:
                    for page, statement, parameters in statements:
                        checked += 1
                        for table, scan in full_scans(engine, statement, parameters):
                            # A walk is accepted on the first page only: a later page must
                            # start at its cursor, not walk up to it.
                            if (page, table) not in ORDERED_WALKS:
                                violations.append(f"{page}\n  {scan}\n  {statement}")
                finally:
                    event.listen(engine, "before_cursor_execute", capture)
    finally:
        engine.dispose()
    assert checked > 3 * len(requests)
    assert violations == [], "\n\n".join(violations)
