"""Shared expectations and helpers for the API behaviour tests in tests/api/.

Expected values come from the curated seed files themselves (seed/data/*.toml and the source
original), read independently of the database, so a test compares what the API serves with what
the curators wrote. Claim ids are recomputed with the seed loader's `short_id`; claim offsets are
recomputed by finding each quote (its `occurrence`-th match) in the canonical text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from app.config import PROJECT_ROOT
from app.services.loading.seed import short_id
from app.services.text.preparation import derive_markdown_article

SEED_DIR = PROJECT_ROOT / "seed"
SOURCE_ID = "bondarev-2023-west-must-drive-a-wedge"
SOURCE_TITLE = "The West Must Drive a Wedge Between Putin and Russia's Elites"
ORIGINAL_PATH = SEED_DIR / "sources" / f"{SOURCE_ID}.original.md"
CONTEXT = 32

FIVE = [
    "alexei-kudrin",
    "elvira-nabiullina",
    "german-gref",
    "mikhail-mishustin",
    "sergei-sobyanin",
]
ALL_PERSONS = [
    "alexei-kudrin",
    "boris-bondarev",
    "elvira-nabiullina",
    "german-gref",
    "mikhail-mishustin",
    "sergei-sobyanin",
    "vladimir-putin",
]
ALL_ORGANIZATIONS = [
    "central-bank-of-russia",
    "government-of-russia",
    "ministry-of-finance-of-russia",
    "moscow-city-government",
    "presidency-of-russia",
    "russian-elite",
    "russian-opposition-in-exile",
    "sberbank",
    "the-moscow-times",
]
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


def _toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


@cache
def seed_persons() -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in _toml(SEED_DIR / "data" / "persons.toml")["person"]}


@cache
def seed_organizations() -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in _toml(SEED_DIR / "data" / "organizations.toml")["organization"]}


@cache
def seed_source_file() -> dict[str, Any]:
    return _toml(SEED_DIR / "data" / "sources" / f"{SOURCE_ID}.toml")


@cache
def canonical_text() -> str:
    return derive_markdown_article(ORIGINAL_PATH.read_text(encoding="utf-8")).text


def claim_id(key: str) -> str:
    return short_id("clm_", SOURCE_ID, key)


def role_id(person: str, organization: str, title: str, kind: str) -> str:
    return short_id("rol_", person, organization, title, kind)


def _nth(text: str, quote: str, n: int) -> int:
    at = -1
    for _ in range(n):
        at = text.find(quote, at + 1)
        assert at != -1, f"{quote!r} does not occur {n} time(s)"
    return at


@dataclass(frozen=True)
class ExpectedClaim:
    key: str
    id: str
    quote: str
    start: int
    end: int
    prefix: str
    suffix: str
    subjects: tuple[tuple[str, str], ...]
    attributed_to: dict[str, Any]
    kind: str
    statement: str
    modality: str
    hedge: str | None
    stance: str
    rationale: str | None


def _ref_name(kind: str, entity_id: str) -> str:
    table = seed_persons() if kind == "person" else seed_organizations()
    return str(table[entity_id]["name"])


@cache
def expected_claims() -> tuple[ExpectedClaim, ...]:
    """Every seeded claim, in the API's list order: (source, start, id)."""
    text = canonical_text()
    out = []
    for c in seed_source_file()["claim"]:
        quote = c["quote"]
        occurrences = [m.start() for m in re.finditer(f"(?={re.escape(quote)})", text)]
        assert len(occurrences) == 1 or "occurrence" in c, c["key"]
        start = _nth(text, quote, c.get("occurrence", 1))
        end = start + len(quote)
        if "attributed_to" in c:
            kind, _, who = c["attributed_to"].partition(":")
            attributed = {"type": kind, "id": who, "name": _ref_name(kind, who)}
        else:
            attributed = {"type": None, "id": None, "name": c["attributed_to_label"]}
        out.append(
            ExpectedClaim(
                key=c["key"],
                id=claim_id(c["key"]),
                quote=quote,
                start=start,
                end=end,
                prefix=text[max(0, start - CONTEXT) : start],
                suffix=text[end : end + CONTEXT],
                subjects=tuple(tuple(s.split(":", 1)) for s in c["subjects"]),  # type: ignore[misc]
                attributed_to=attributed,
                kind=c["kind"],
                statement=c["statement"],
                modality=c["modality"],
                hedge=c.get("hedge"),
                stance=c["stance"],
                rationale=c.get("rationale"),
            )
        )
    return tuple(sorted(out, key=lambda e: (SOURCE_ID, e.start, e.id)))


def claim_by_key(key: str) -> ExpectedClaim:
    return next(c for c in expected_claims() if c.key == key)


def claim_json(c: ExpectedClaim) -> dict[str, Any]:
    """The public JSON of a seeded claim, minus the timestamps."""
    return {
        "id": c.id,
        "source": {"id": SOURCE_ID, "title": SOURCE_TITLE},
        "quote": c.quote,
        "start": c.start,
        "end": c.end,
        "prefix": c.prefix,
        "suffix": c.suffix,
        "subjects": [
            {"type": kind, "id": who, "name": _ref_name(kind, who)} for kind, who in c.subjects
        ],
        "attributed_to": c.attributed_to,
        "kind": c.kind,
        "statement": c.statement,
        "modality": c.modality,
        "hedge": c.hedge,
        "stance": c.stance,
        "rationale": c.rationale,
        "annotation_count": 0,
        "version": 1,
    }


def without_timestamps(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("created_at", "updated_at")}


def claim_ids_where(**conditions: str) -> list[str]:
    """Ids of seeded claims matching subject=/kind=/modality=/stance=/attributed_to=, in order."""

    def ok(c: ExpectedClaim) -> bool:
        for name, value in conditions.items():
            if name == "subject":
                if value not in {who for _, who in c.subjects}:
                    return False
            elif name == "attributed_to":
                if c.attributed_to["id"] != value:
                    return False
            elif getattr(c, name) != value:
                return False
        return True

    return [c.id for c in expected_claims() if ok(c)]


def claim_counts(entity_id: str) -> dict[str, Any]:
    by_kind: dict[str, int] = {}
    for c in expected_claims():
        if entity_id in {who for _, who in c.subjects}:
            by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
    return {"total": sum(by_kind.values()), "by_kind": dict(sorted(by_kind.items()))}


def seed_roles() -> list[dict[str, Any]]:
    return list(seed_source_file()["role"])


def role_json(r: dict[str, Any]) -> dict[str, Any]:
    """The public JSON of a seeded role, minus the timestamps."""
    org = seed_organizations()[r["organization"]]
    claim = claim_by_key(r["claim"])
    return {
        "id": role_id(r["person"], r["organization"], r["title"], r["kind"]),
        "person": {"id": r["person"], "name": seed_persons()[r["person"]]["name"]},
        "organization": {"id": org["id"], "name": org["name"], "kind": org["kind"]},
        "title": r["title"],
        "kind": r["kind"],
        "status": r["status"],
        "status_as_of_date": "2023-02-23",
        "start_date": None,
        "start_date_precision": None,
        "end_date": None,
        "end_date_precision": None,
        "provenance": {
            "claim_id": claim.id,
            "source_id": SOURCE_ID,
            "quote": claim.quote,
            "start": claim.start,
            "end": claim.end,
        },
        "version": 1,
    }


def name_forms(entity: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": n["name"],
            "lang": n.get("lang"),
            "script": n["script"],
            "kind": n["kind"],
            "scheme": n.get("scheme"),
            "provenance": n["provenance"],
        }
        for n in entity["names"]
    ]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def assert_problem(
    response: httpx.Response, status: int, path: str, *mentions: str, slug: str | None = None
) -> dict[str, Any]:
    """Assert an RFC 9457 problem+json answer and return its body."""
    assert response.status_code == status, response.text[:400]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    expected_keys = PROBLEM_KEYS | ({"errors"} if "errors" in body else set())
    assert set(body) == expected_keys
    assert body["status"] == status
    assert body["title"] == HTTPStatus(status).phrase
    if slug is not None:
        assert body["type"] == f"https://elitekb.example/problems/{slug}"
    assert body["instance"] == path
    assert body["request_id"] == response.headers["x-request-id"]
    for mention in mentions:
        assert mention in body["detail"], (mention, body["detail"])
    return body


def next_link(response: httpx.Response) -> str | None:
    """The target of an RFC 8288 `Link: <...>; rel="next"` header, or None without one."""
    header = response.headers.get("link")
    if header is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert match, header
    return match.group(1)


def stored_cursor_secret(engine: Engine) -> bytes:
    """The key this database signs cursors with (made by its migration)."""
    with engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM instance_secret WHERE name = 'cursor'"))
        return str(value.scalar_one()).encode()


def sign_cursor(key: bytes, payload: Any) -> str:
    """A cursor as the API makes them: 12 bytes of HMAC-SHA256, then the payload (JSON, or
    bytes as given), base64url without padding."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":"))
    raw = raw if isinstance(raw, bytes) else raw.encode()
    sig = hmac.new(key, raw, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(sig + raw).decode().rstrip("=")


def unpack_cursor(cursor: str) -> dict[str, Any]:
    """What a cursor says (its JSON payload after the 12-byte signature)."""
    blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    payload: dict[str, Any] = json.loads(blob[12:])
    return payload
