"""What bench/read_bench.py measures: entities picked from the database, one scenario per GET
operation and documented filter of the app's OpenAPI document, the POST scenarios.

Every GET operation's path and query parameters are read from the running server's
/openapi.json. A path parameter is filled from PATH_ENTITIES, a query parameter from FILTERS
(or is `limit`/`cursor`, handled for every list); anything else stops the run with the list of
what has no scenario, so a new endpoint or filter cannot go unmeasured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

POPULARITY = ("popular", "median", "rare")
PAGE = 50
SEARCH_PAGE = 20  # what bench/search_bench.py and the search targets use

# Path parameter name -> entity pool.
PATH_ENTITIES = {
    "person_id": "person",
    "organization_id": "organization",
    "source_id": "source",
    "claim_id": "claim",
    "role_id": "role",
    "annotation_id": "annotation",
    "key_id": "key",
}


@dataclass(frozen=True)
class Pool:
    """A filter valued by an entity pool: one scenario per popularity."""

    name: str


@dataclass(frozen=True)
class Rarest:
    """A filter valued by the least common non-null value of table.column (a keyset walk has
    to skip the most rows to fill a page), else `fallback`."""

    table: str
    column: str
    fallback: str


@dataclass(frozen=True)
class Const:
    value: str


# (path template, query parameters that go together) -> where the value comes from.
FILTERS: dict[tuple[str, tuple[str, ...]], Pool | Rarest | Const] = {
    ("/v1/persons", ("q",)): Pool("person_name"),
    ("/v1/persons", ("organization",)): Pool("role_organization"),
    ("/v1/persons", ("role_status",)): Rarest("role", "status", "current"),
    ("/v1/persons/{person_id}/claims", ("kind",)): Rarest("claim", "kind", "assertion"),
    ("/v1/persons/{person_id}/claims", ("modality",)): Rarest("claim", "modality", "asserted"),
    ("/v1/persons/{person_id}/claims", ("stance",)): Rarest("claim", "stance", "neutral"),
    ("/v1/organizations", ("q",)): Pool("organization_name"),
    ("/v1/organizations", ("kind",)): Rarest("organization", "kind", "company"),
    ("/v1/roles", ("person",)): Pool("person"),
    ("/v1/roles", ("organization",)): Pool("role_organization"),
    ("/v1/roles", ("kind",)): Rarest("role", "kind", "position"),
    ("/v1/roles", ("status",)): Rarest("role", "status", "current"),
    ("/v1/sources", ("language",)): Rarest("source", "language", "en"),
    ("/v1/sources", ("genre",)): Rarest("source", "genre", "news"),
    ("/v1/sources", ("author",)): Pool("author"),
    ("/v1/sources", ("publisher",)): Pool("publisher"),
    ("/v1/sources/{source_id}/text", ("start", "end")): Const("start=1000&end=1500"),
    ("/v1/sources/{source_id}/claims", ("kind",)): Rarest("claim", "kind", "assertion"),
    ("/v1/sources/{source_id}/claims", ("modality",)): Rarest("claim", "modality", "asserted"),
    ("/v1/sources/{source_id}/claims", ("stance",)): Rarest("claim", "stance", "neutral"),
    ("/v1/sources/{source_id}/mentions", ("person",)): Pool("person"),
    ("/v1/sources/{source_id}/mentions", ("organization",)): Pool("organization"),
    ("/v1/claims", ("subject",)): Pool("person"),
    ("/v1/claims", ("source",)): Pool("source"),
    ("/v1/claims", ("kind",)): Rarest("claim", "kind", "assertion"),
    ("/v1/claims", ("modality",)): Rarest("claim", "modality", "asserted"),
    ("/v1/claims", ("stance",)): Rarest("claim", "stance", "neutral"),
    ("/v1/claims", ("attributed_to",)): Pool("attributed_to"),
    ("/v1/annotations", ("target_type", "target_id")): Pool("annotation_target"),
    ("/v1/annotations", ("tag",)): Rarest("annotation_tag", "tag", "bench"),
    ("/v1/annotations", ("motivation",)): Rarest("annotation", "motivation", "commenting"),
    ("/v1/annotations", ("creator",)): Pool("creator"),
    ("/v1/annotations", ("verdict",)): Rarest("annotation", "verdict", "supported"),
    ("/v1/annotations", ("thread",)): Pool("annotation"),
    ("/v1/annotations", ("flagged",)): Const("flagged=true"),
    ("/v1/annotations", ("include_deleted",)): Const("include_deleted=true"),
    ("/v1/search", ("q",)): Pool("person_name"),
    ("/v1/search", ("types",)): Const("types=person"),
    ("/v1/changes", ("entity_type",)): Rarest("change", "entity_type", "person"),
    ("/v1/changes", ("entity_id",)): Pool("change_entity"),
    # Resuming a walk, and a long-poll that has something to show at once.
    ("/v1/changes", ("after",)): Const("after=1"),
    ("/v1/changes", ("wait",)): Const("wait=1"),
    # A citable read: the version current at a sequence number past the head.
    ("/v1/persons/{person_id}", ("as_of",)): Const("as_of=999999999"),
    ("/v1/organizations/{organization_id}", ("as_of",)): Const("as_of=999999999"),
    ("/v1/roles/{role_id}", ("as_of",)): Const("as_of=999999999"),
    ("/v1/sources/{source_id}", ("as_of",)): Const("as_of=999999999"),
    ("/v1/claims/{claim_id}", ("as_of",)): Const("as_of=999999999"),
    ("/v1/annotations/{annotation_id}", ("as_of",)): Const("as_of=999999999"),
    ("/v1/persons/{person_id}/versions", ("after",)): Const("after=1"),
    ("/v1/organizations/{organization_id}/versions", ("after",)): Const("after=1"),
    ("/v1/roles/{role_id}/versions", ("after",)): Const("after=1"),
    ("/v1/sources/{source_id}/versions", ("after",)): Const("after=1"),
    ("/v1/claims/{claim_id}/versions", ("after",)): Const("after=1"),
}
PAGING = {"limit", "cursor"}
# Required parameters every scenario of the operation carries: (param, pool), at "popular"
# for the filter scenarios.
REQUIRED = {"/v1/search": ("q", "person_name")}
# The scenarios that also run at c=16 (the targets).
TARGETS = {
    ("GET /livez", None),
    ("GET /v1/persons/{person_id}", None),
    ("GET /v1/persons/{person_id}/claims", None),
    ("GET /v1/claims", "subject"),
    ("GET /v1/search", "q"),
    ("POST /v1/match", None),
    ("POST /v1/annotations", None),
}
ADMIN_PREFIX = "/v1/keys"


@dataclass
class Scenario:
    op: str  # "GET /v1/persons/{person_id}"
    path: str  # what is requested, with its query string
    filter: str | None = None  # the query parameter(s) the scenario is about
    popularity: str | None = None  # popular/median/rare, or "rarest value"
    entity: str | None = None
    auth: str | None = None  # "admin" or "annotate": send that key
    bodies: list[str] = field(default_factory=list)  # POST: cycled through
    unique_annotation: str | None = None  # POST /v1/annotations: a claim id to annotate
    server: str = "elitekb"

    @property
    def name(self) -> str:
        label = self.op + (f" ?{self.filter}" if self.filter else "")
        return label + (f" [{self.popularity}]" if self.popularity else "")

    @property
    def method(self) -> str:
        return self.op.split(" ", 1)[0]

    @property
    def target(self) -> bool:
        return (self.op, self.filter) in TARGETS

    @property
    def is_read(self) -> bool:
        return self.method == "GET" or self.op == "POST /v1/match"


# --------------------------------------------------------------------------------------------
# Entities


def _pick(rows: list[tuple[Any, int]]) -> dict[str, dict[str, Any]]:
    """popular (most rows), median, rare (fewest non-zero rows; ties by id) of (id, count)."""
    rows = sorted(((k, int(n)) for k, n in rows if k is not None and n), key=lambda r: r[0])
    if not rows:
        return {}
    by_count = sorted(rows, key=lambda r: -r[1])  # stable: ties stay in id order
    picks = {
        "popular": by_count[0],
        "median": by_count[len(by_count) // 2],
        "rare": min(rows, key=lambda r: r[1]),
    }
    return {p: {"id": k, "count": n} for p, (k, n) in picks.items()}


COUNTS = {
    "person": "SELECT person_id, count(*) FROM claim_subject WHERE person_id IS NOT NULL "
    "GROUP BY person_id",
    "organization": "SELECT organization_id, count(*) FROM claim_subject "
    "WHERE organization_id IS NOT NULL GROUP BY organization_id",
    "source": "SELECT source_id, count(*) FROM claim GROUP BY source_id",
    "attributed_to": "SELECT attributed_to_person_id, count(*) FROM claim "
    "WHERE attributed_to_person_id IS NOT NULL GROUP BY attributed_to_person_id",
    "author": "SELECT person_id, count(*) FROM source_author GROUP BY person_id",
    "publisher": "SELECT publisher_organization_id, count(*) FROM source "
    "WHERE publisher_organization_id IS NOT NULL GROUP BY publisher_organization_id",
    "role_organization": "SELECT organization_id, count(*) FROM role GROUP BY organization_id",
    # An annotation target as the pair its filter takes.
    "annotation_target": "SELECT target_type || ':' || target_id, count(*) FROM annotation "
    "GROUP BY target_type, target_id",
    # Threads by size; the id is the thread's root annotation, one every reader sees.
    "annotation": "SELECT a.thread_id, count(*) FROM annotation a JOIN annotation r "
    "ON r.id = a.thread_id WHERE r.hidden = false GROUP BY a.thread_id",
    "creator": "SELECT creator_key_id, count(*) FROM annotation GROUP BY creator_key_id",
    "change_entity": "SELECT entity_id, count(*) FROM change GROUP BY entity_id",
}


def pick_entities(database_url: str, *, admin_key_id: str | None) -> dict[str, Any]:
    """Every pool's popular/median/rare entity, with its row count, and the rarest values."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    pools: dict[str, dict[str, dict[str, Any]]] = {}
    rarest: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            for pool, sql in COUNTS.items():
                pools[pool] = _pick([tuple(r) for r in conn.execute(text(sql))])
            if not pools["organization"]:
                pools["organization"] = pools["role_organization"]
            for pool, table in (("person", "person"), ("organization", "organization")):
                pools[f"{pool}_name"] = {
                    p: {
                        **e,
                        "id": conn.execute(
                            text(f"SELECT name FROM {table} WHERE id = :i"), {"i": e["id"]}
                        ).scalar_one(),
                        "of": e["id"],
                    }
                    for p, e in pools[pool].items()
                }
            # A claim and a role of each chosen person.
            for pool, sql in (
                ("claim", "SELECT min(claim_id) FROM claim_subject WHERE person_id = :i"),
                ("role", "SELECT min(id) FROM role WHERE person_id = :i"),
            ):
                pools[pool] = {}
                for p, e in pools["person"].items():
                    found = conn.execute(text(sql), {"i": e["id"]}).scalar()
                    if found is None and pool == "role":
                        found = conn.execute(text("SELECT min(id) FROM role")).scalar()
                    if found is not None:
                        pools[pool][p] = {"id": found, "of": e["id"], "count": e["count"]}
            for spec in {s for s in FILTERS.values() if isinstance(s, Rarest)}:
                rows = conn.execute(
                    text(
                        f"SELECT {spec.column}, count(*) FROM {spec.table} "
                        f"WHERE {spec.column} IS NOT NULL GROUP BY {spec.column}"
                    )
                ).all()
                rarest[f"{spec.table}.{spec.column}"] = (
                    min(rows, key=lambda r: (r[1], str(r[0])))[0] if rows else spec.fallback
                )
            totals = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("person", "organization", "source", "claim", "annotation", "mention")
            }
            totals["change"] = conn.execute(text('SELECT count(*) FROM "change"')).scalar_one()
    finally:
        engine.dispose()
    if admin_key_id:
        pools["key"] = {"popular": {"id": admin_key_id, "count": 1}}
    # With no change rows yet, the audit-trail filter asks for the most quoted person's.
    if not pools["change_entity"] and pools["person"]:
        pools["change_entity"] = {"popular": pools["person"]["popular"]}
    return {"pools": pools, "rarest": rarest, "totals": totals}


# --------------------------------------------------------------------------------------------
# Scenarios


def get_operations(openapi: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """{path template: {"path": [...], "query": [...]}} of every GET operation."""
    ops = {}
    for path, item in openapi["paths"].items():
        op = item.get("get")
        if op is None:
            continue
        params = op.get("parameters", []) + item.get("parameters", [])
        ops[path] = {
            where: [p["name"] for p in params if p["in"] == where] for where in ("path", "query")
        }
    return ops


def coverage_gaps(openapi: dict[str, Any]) -> list[str]:
    """What the runner has no scenario for: empty when every GET operation and filter is."""
    gaps = []
    for path, params in get_operations(openapi).items():
        for name in params["path"]:
            if name not in PATH_ENTITIES:
                gaps.append(f"GET {path}: path parameter {name!r} (add it to PATH_ENTITIES)")
        grouped = {p for (t, names) in FILTERS if t == path for p in names}
        for name in params["query"]:
            if name not in PAGING and name not in grouped:
                gaps.append(f"GET {path}: query parameter {name!r} (add it to FILTERS)")
    return gaps


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def build_scenarios(openapi: dict[str, Any], entities: dict[str, Any]) -> list[Scenario]:
    """The GET scenarios (in document order), then match and the annotation POST."""
    pools, rarest = entities["pools"], entities["rarest"]
    out: list[Scenario] = []
    for path, params in get_operations(openapi).items():
        op = f"GET {path}"
        auth = "admin" if path.startswith(ADMIN_PREFIX) else None
        paging = {"limit": SEARCH_PAGE if path == "/v1/search" else PAGE}
        paging = {k: v for k, v in paging.items() if "limit" in params["query"]}
        required = REQUIRED.get(path)
        # Path variants: one per popularity of the path entity (the first one's pool).
        path_pools = [PATH_ENTITIES[n] for n in params["path"]]
        if path_pools:
            variants = [
                (p, pools[path_pools[0]][p]["id"])
                for p in POPULARITY
                if p in pools.get(path_pools[0], {})
            ]
        else:
            variants = [(None, None)]
        for popularity, entity in variants:
            filled = _fill(path, {n: str(entity) for n in params["path"]})
            query = dict(paging)
            if required:
                # A required parameter valued by a pool: one scenario per popularity.
                for p, e in pools.get(required[1], {}).items():
                    q = {**query, required[0]: e["id"]}
                    out.append(
                        Scenario(op, f"{filled}?{urlencode(q)}", required[0], p, e["id"], auth)
                    )
                continue
            sep = "?" if query else ""
            out.append(
                Scenario(op, filled + sep + urlencode(query), None, popularity, entity, auth)
            )
        # Filters: on a path with an entity, at its popular one.
        base_path = _fill(path, {n: str(variants[0][1]) for n in params["path"]})
        base_query = dict(paging)
        if required and pools.get(required[1]):
            base_query[required[0]] = pools[required[1]]["popular"]["id"]
        for (template, names), spec in FILTERS.items():
            if template != path or (required and names == (required[0],)):
                continue
            label = ",".join(names)
            if isinstance(spec, Const):
                query = urlencode(base_query) + "&" + spec.value if base_query else spec.value
                out.append(Scenario(op, f"{base_path}?{query}", label, None, None, auth))
            elif isinstance(spec, Rarest):
                value = rarest[f"{spec.table}.{spec.column}"]
                query = urlencode({**base_query, names[0]: value})
                out.append(Scenario(op, f"{base_path}?{query}", label, "rarest value", value, auth))
            else:
                for p, e in pools.get(spec.name, {}).items():
                    if names == ("target_type", "target_id"):
                        kind, _, ident = str(e["id"]).partition(":")
                        values = {"target_type": kind, "target_id": ident}
                    else:
                        values = {names[0]: e["id"]}
                    query = urlencode({**base_query, **values})
                    out.append(Scenario(op, f"{base_path}?{query}", label, p, e["id"], auth))
        if "cursor" in params["query"]:
            query = urlencode(base_query)
            # The cursor itself is fetched from the first page before measuring.
            out.append(Scenario(op, f"{base_path}?{query}", "cursor", None, None, auth))
    for p, e in pools["person_name"].items():
        body = json.dumps({"queries": {"q1": {"name": e["id"]}}}, ensure_ascii=False)
        out.append(Scenario("POST /v1/match", "/v1/match", None, p, e["id"], bodies=[body]))
    claim = pools["claim"].get("median") or pools["claim"].get("popular")
    if claim:
        out.append(
            Scenario(
                "POST /v1/annotations",
                "/v1/annotations",
                auth="annotate",
                entity=claim["id"],
                unique_annotation=claim["id"],
            )
        )
    return out
