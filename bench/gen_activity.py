"""What analysts and curators add to a generated knowledge base (bench/gen_kb.py): API keys,
annotations with their threads, tags, assessments, edits, flags, hides and deletes, every
version row the app keeps for them, the change-log rows of everything generated, and the
mentions the app's own detection finds.

Rows are the app's own shapes (app/services/annotations/writes.py): an annotation's versions
hold `_content` as it stood after each write, a delete drops its tag rows and empties its
content, a hide records the curator's key. The change log gets one row per accepted write in
time order: a "create" per curated record (origin cli), then the annotations' writes (origin
api, with their keys). Mentions come from `detection.detect` itself, for every n-th source
(detecting costs ~0.1 s per generated source, so all 20,000 would take half an hour).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import Session

from app.db import make_engine
from app.models import Mention
from app.services.search.detection import detect
from app.services.search.lexicon import load_lexicon

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
KEYS = 40
CURATORS = 4
REPLY_SHARE = 0.3
TAG_WORDS = [
    "sanctions", "inflation", "loyalty", "defection", "budget", "oil", "gas", "banking",
    "reform", "succession", "war", "propaganda", "elections", "regions", "energy",
    "technocrat", "siloviki", "oligarch", "media", "courts",
]  # fmt: skip
VERDICTS = ("supported", "disputed", "misleading", "unverifiable")

PutFn = Callable[[str, Sequence[str], Sequence[Sequence[Any]]], None]


def sortable_id(prefix: str, at: dt.datetime, rng: random.Random) -> str:
    """As app/services/curation/transaction.py new_sortable_id, at a given time."""
    value = int(at.timestamp() * 1000) << 30 | rng.getrandbits(30)
    digits = []
    for _ in range(16):
        value, digit = divmod(value, 32)
        digits.append(CROCKFORD[digit])
    return prefix + "".join(reversed(digits))


def tag_vocabulary() -> list[str]:
    """200 tags: the words above, then pairs of them."""
    pairs = [f"{a}-{b}" for a in TAG_WORDS for b in TAG_WORDS if a != b]
    return (TAG_WORDS + pairs)[:200]


@dataclass
class Curated:
    """What gen_kb generated, in the order it was written, for the change log and targets."""

    persons: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)


@dataclass
class _State:
    body: str | None
    tags: list[str]
    verdict: str | None
    confidence: float | None
    links: list[str]
    hidden: bool = False
    hidden_reason: str | None = None
    deleted: bool = False

    def content(self) -> dict[str, Any]:
        gone = self.deleted
        return {
            "body": None if gone else self.body,
            "tags": [] if gone else list(self.tags),
            "assessment": None
            if gone or self.verdict is None
            else {"verdict": self.verdict, "confidence": self.confidence},
            "links": [] if gone else list(self.links),
            "hidden": self.hidden,
            "hidden_reason": self.hidden_reason,
            "deleted": gone,
        }


def generate_activity(
    writer: Any,
    put: PutFn,
    curated: Curated,
    *,
    annotations: int,
    seed: int,
    start: dt.datetime,
) -> dict[str, int]:
    """Keys, annotations and the change log, through `put`; returns row counts."""
    rng = random.Random(seed * 7919 + 11)
    ts = writer.ts
    counts: dict[str, int] = {}
    clock = start

    def tick(seconds: float = 1.0) -> dt.datetime:
        nonlocal clock
        clock += dt.timedelta(seconds=seconds)
        return clock

    changes: list[tuple[Any, ...]] = []

    def log(entity: str, entity_id: str, op: str, version: int, key: str | None, at: Any) -> None:
        changes.append((ts(at), key, "api" if key else "cli", entity, entity_id, op, version))

    # The curated records, as `elitekb` loaded them.
    at = tick()
    for entity, ids in (
        ("organization", curated.organizations),
        ("person", curated.persons),
        ("source", curated.sources),
        ("claim", curated.claims),
        ("role", curated.roles),
    ):
        for entity_id in ids:
            log(entity, entity_id, "create", 1, None, at)

    keys = []
    for i in range(KEYS):
        at = tick()
        key_id = "key_" + hashlib.sha256(f"{seed}-key-{i}".encode()).hexdigest()[:10]
        scopes = "curate" if i < CURATORS else "annotate"
        secret_hash = hashlib.sha256(f"{seed}-secret-{i}".encode()).hexdigest()
        keys.append(
            (
                key_id,
                f"analyst-{i}",
                scopes,
                secret_hash,
                secret_hash[:8],
                ts(at),
                None,
                None,
                ts(at),
                1,
            )
        )
        log("api_key", key_id, "create", 1, None, at)
    put(
        "api_key",
        (
            "id",
            "name",
            "scopes",
            "secret_hash",
            "hint",
            "created_at",
            "created_by",
            "revoked_at",
            "updated_at",
            "version",
        ),
        keys,
    )
    curators = [k[0] for k in keys[:CURATORS]]
    annotators = [k[0] for k in keys[CURATORS:]]

    vocabulary = tag_vocabulary()
    tag_weights = [1 / (r + 1) for r in range(len(vocabulary))]
    rows: list[tuple[Any, ...]] = []
    tag_rows: list[tuple[str, str]] = []
    versions: list[tuple[Any, ...]] = []
    flags: list[tuple[Any, ...]] = []
    roots: list[tuple[str, str]] = []  # (annotation id, thread id) of recent visible ones
    for n in range(annotations):
        created = tick(rng.uniform(0.5, 3.0))
        aid = sortable_id("ann_", created, rng)
        creator = rng.choice(annotators)
        body: str | None = None
        tags: list[str] = []
        links: list[str] = []
        verdict = None
        confidence = None
        if roots and rng.random() < REPLY_SHARE:
            parent, thread = rng.choice(roots[-500:])
            target_type, target_id, motivation = "annotation", parent, "replying"
            body = f"Reply {n}: what is the evidence for this?"
        else:
            thread = aid
            roll = rng.random()
            if roll < 0.85:
                target_type, target_id = "claim", rng.choice(curated.claims)
            elif roll < 0.93:
                target_type, target_id = "person", rng.choice(curated.persons)
            elif roll < 0.97:
                target_type, target_id = "source", rng.choice(curated.sources)
            else:
                target_type, target_id = "role", rng.choice(curated.roles)
            kind = rng.random()
            if kind < 0.15:
                motivation = "assessing"
                verdict = rng.choice(VERDICTS)
                confidence = round(rng.uniform(0.3, 0.95), 2)
                body = f"Assessment {n}: checked against other reporting."
            elif kind < 0.35:
                motivation = "tagging"
            elif kind < 0.45:
                motivation, body = "questioning", f"Question {n}: who else reports this?"
            elif kind < 0.50:
                motivation = "linking"
                links = [f"https://example.org/evidence/{n}"]
            else:
                motivation, body = "commenting", f"Note {n} on this {target_type}."
            count = rng.choice((0, 1, 1, 2, 3)) if motivation != "tagging" else rng.randint(1, 3)
            tags = sorted(set(rng.choices(vocabulary, tag_weights, k=count)))
            if motivation == "tagging" and not tags:
                tags = [vocabulary[0]]
        state = _State(body, tags, verdict, confidence, links)
        version = 1
        versions.append((aid, version, ts(created), creator, "create", json.dumps(state.content())))
        log("annotation", aid, "create", version, creator, created)
        updated = created
        if rng.random() < 0.10 and state.body is not None:
            updated = tick()
            version += 1
            state.body = state.body + " (edited)"
            versions.append(
                (aid, version, ts(updated), creator, "update", json.dumps(state.content()))
            )
            log("annotation", aid, "update", version, creator, updated)
        flag_count = 0
        if rng.random() < 0.01:
            flagger = rng.choice([k for k in annotators if k != creator])
            flag_at = tick()
            flags.append((aid, flagger, "needs a source", ts(flag_at)))
            flag_count = 1
            log("annotation", aid, "flag", version, flagger, flag_at)
        fate = rng.random()
        if fate < 0.03:
            updated = tick()
            version += 1
            state.hidden, state.hidden_reason = True, "off topic"
            curator = rng.choice(curators)
            versions.append(
                (aid, version, ts(updated), curator, "hide", json.dumps(state.content()))
            )
            log("annotation", aid, "hide", version, curator, updated)
        elif fate < 0.05:
            updated = tick()
            version += 1
            state.deleted = True
            versions.append(
                (aid, version, ts(updated), creator, "delete", json.dumps(state.content()))
            )
            log("annotation", aid, "delete", version, creator, updated)
        else:
            roots.append((aid, thread))
        if not state.deleted:
            tag_rows.extend((aid, t) for t in state.tags)
        rows.append(
            (
                aid,
                target_type,
                target_id,
                None,
                None,
                None,
                None,
                None,
                thread,
                motivation,
                None if state.deleted else state.body,
                json.dumps([] if state.deleted else state.tags),
                verdict,
                confidence,
                json.dumps([] if state.deleted else state.links),
                creator,
                state.hidden,
                state.hidden_reason,
                flag_count,
                ts(updated) if state.deleted else None,
                ts(created),
                ts(updated),
                version,
            )
        )
        if len(rows) >= 20_000:
            _flush(put, rows, tag_rows, versions, flags, counts)
    _flush(put, rows, tag_rows, versions, flags, counts)
    for i in range(0, len(changes), 50_000):
        put("change", CHANGE_COLS, changes[i : i + 50_000])
    counts["change"] = len(changes)
    counts["api_key"] = len(keys)
    return counts


ANNOTATION_COLS = (
    "id",
    "target_type",
    "target_id",
    "selector_start",
    "selector_end",
    "quote",
    "prefix",
    "suffix",
    "thread_id",
    "motivation",
    "body",
    "tags",
    "verdict",
    "confidence",
    "links",
    "creator_key_id",
    "hidden",
    "hidden_reason",
    "flag_count",
    "deleted_at",
    "created_at",
    "updated_at",
    "version",
)
VERSION_COLS = ("annotation_id", "version", "at", "key_id", "op", "content")
FLAG_COLS = ("annotation_id", "key_id", "reason", "at")
CHANGE_COLS = ("at", "key_id", "origin", "entity_type", "entity_id", "op", "version")


def _flush(
    put: PutFn,
    rows: list[tuple[Any, ...]],
    tag_rows: list[tuple[str, str]],
    versions: list[tuple[Any, ...]],
    flags: list[tuple[Any, ...]],
    counts: dict[str, int],
) -> None:
    for table, columns, batch in (
        ("annotation", ANNOTATION_COLS, rows),
        ("annotation_tag", ("annotation_id", "tag"), tag_rows),
        ("annotation_version", VERSION_COLS, versions),
        ("annotation_flag", FLAG_COLS, flags),
    ):
        if batch:
            put(table, columns, batch)
            counts[table] = counts.get(table, 0) + len(batch)
            batch.clear()


def detect_mentions(url: str, sources: Sequence[str], every: int) -> int:
    """Store what the app's detection finds in every `every`-th generated source."""
    engine = make_engine(url)
    stored = 0
    try:
        with Session(engine) as session:
            lexicon = load_lexicon(session)
            for source_id in sources[::every]:
                body = session.execute(
                    text("SELECT text FROM source WHERE id = :id"), {"id": source_id}
                ).scalar_one()
                found = detect(body, lexicon)
                if found:
                    session.execute(
                        insert(Mention),
                        [
                            {
                                "source_id": source_id,
                                "person_id": f.entity_id if f.entity_type == "person" else None,
                                "organization_id": f.entity_id
                                if f.entity_type == "organization"
                                else None,
                                "start": f.start,
                                "end": f.end,
                                "text": f.text[:300],
                                "basis": f.basis,
                                "matched_name": f.matched_name[:300],
                            }
                            for f in found
                        ],
                    )
                stored += len(found)
            session.commit()
    finally:
        engine.dispose()
    return stored
