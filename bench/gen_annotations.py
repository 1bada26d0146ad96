"""API keys, annotations, their versions and the change log, as the app's writes leave them.

What each write stores is read off app/services/annotations/writes.py and
app/services/access/keys.py:
- a key (`create_key`): id `key_` + 10 base32 characters, scopes space-separated, the SHA-256
  of a secret and its first 8 characters as the hint, version 1, one change row (origin cli);
- create: the annotation at version 1 (thread_id its own id, or its parent's thread for a
  reply), one annotation_tag row per tag, a version row (op create) with `_content`, a change
  row (origin api, the creator's key);
- update (by the creator): version + 1, new updated_at, the new body, a version row;
- hide (by a curator): hidden, hidden_reason, version + 1, a version row (op hide) with the
  acting curator's key;
- delete (by the creator): version + 1, deleted_at = updated_at, its annotation_tag rows
  removed (the row keeps its body and tags; the version's content is emptied), a version row.

Ids of annotations sort by creation time like `new_sortable_id` (48 bits of milliseconds, 30
random bits). Timestamps are whole seconds, as `utcnow()` gives them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gen_records

from app.services.text.spans import CONTEXT_CHARS

# (at seconds, key id, annotation id, op, version, change.document)
Event = tuple[int, str, str, str, int, str | None]

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
ANNOTATE_KEYS = 30
CURATE_KEYS = 6
REPLY_SHARE = 0.30
ASSESS_SHARE = 0.15
HIDE_SHARE = 0.03
DELETE_SHARE = 0.02
UPDATE_SHARE = 0.08
# Shares of the thread-starting annotations by target (the rest go to claims).
TARGET_SHARES = (("person", 0.10), ("organization", 0.05), ("source", 0.07), ("role", 0.03))
SOURCE_SELECTOR_SHARE = 0.6  # source annotations that pick a span of the text
ANNOTATION_DAYS = 300  # the annotations are written over this many days after the import

TAG_NOUNS = [
    "loyalty",
    "inference",
    "sourcing",
    "attribution",
    "translation",
    "chronology",
    "quote",
    "context",
    "bias",
    "spin",
    "rumour",
    "leak",
    "denial",
    "conflict-of-interest",
    "corruption",
    "budget",
    "sanctions",
    "appointment",
    "dismissal",
    "succession",
    "lobbying",
    "media",
    "regional",
    "federal",
    "security",
    "military",
    "energy",
    "banking",
    "privatisation",
    "elections",
    "opposition",
    "protest",
    "court",
    "investigation",
    "propaganda",
    "family",
    "business",
    "property",
    "offshore",
]
TAG_QUALIFIERS = ["", "needs-check", "confirmed", "disputed", "follow-up"]
TAGS = [f"{n}-{q}" if q else n for q in TAG_QUALIFIERS for n in TAG_NOUNS][:200]
VERDICTS = ["supported"] * 4 + ["disputed"] * 2 + ["misleading", "unverifiable", "unverifiable"]
HIDE_REASONS = [
    "Off-topic.",
    "Personal attack on the subject.",
    "Duplicate of an earlier note.",
    "Unsourced allegation.",
    None,
]
COMMENTS = [
    "The quote is accurate but the paraphrase drops the hedge.",
    "Another outlet reported the same figure a week earlier.",
    "The attribution is the author's, not the subject's.",
    "This contradicts the subject's statement in the regional press.",
    "Worth checking against the official transcript.",
    "The date in the source is the date of publication, not of the statement.",
    "The subject has repeated this in several interviews.",
    "Context: this was said during the budget debate.",
]
QUESTIONS = [
    "What is the original source for this?",
    "Is there a recording of the statement?",
    "Was this confirmed by the press service?",
    "Which year does this refer to?",
]
REPLIES = [
    "Agreed; I found the same in the archive.",
    "I am not sure: the transcript reads differently.",
    "Here is the link to the original interview.",
    "Checked with a second source: it holds.",
    "This was corrected later by the same outlet.",
    "Thanks, updated my note.",
]


def sortable_id(prefix: str, millis: int, rng: random.Random) -> str:
    value = millis << 30 | rng.getrandbits(30)
    digits = []
    for _ in range(16):
        value, digit = divmod(value, 32)
        digits.append(CROCKFORD[digit])
    return prefix + "".join(reversed(digits))


@dataclass
class Key:
    id: str
    name: str
    scopes: str


@dataclass
class Ann:
    id: str
    at: int  # seconds since the start of the annotation period
    target_type: str
    target_id: str
    thread_id: str
    motivation: str
    body: str | None
    tags: list[str]
    verdict: str | None
    confidence: float | None
    links: list[str]
    creator: str
    selector: dict[str, Any] = field(default_factory=dict)
    # (at, op, key id, body after the write) of each later write, in order
    writes: list[tuple[int, str, str]] = field(default_factory=list)
    hidden: bool = False
    hidden_reason: str | None = None
    deleted_at: int | None = None
    revised: str | None = None
    last_child: int = 0


def content(a: Ann, body: str | None, hidden: bool, reason: str | None, deleted: bool) -> str:
    """writes._content: what a version records."""
    return json.dumps(
        {
            "body": None if deleted else body,
            "tags": [] if deleted else list(a.tags),
            "assessment": None
            if deleted or a.verdict is None
            else {"verdict": a.verdict, "confidence": a.confidence},
            "links": [] if deleted else list(a.links),
            "hidden": hidden,
            "hidden_reason": reason,
            "deleted": deleted,
        }
    )


def stored(
    a: Ann,
    start: dt.datetime,
    at: int,
    version: int,
    body: str | None,
    hidden: bool,
    reason: str | None,
) -> str:
    """change.document of the version written at `at` (not a delete: that stores none)."""
    return gen_records.annotation(
        annotation_id=a.id,
        target_type=a.target_type,
        target_id=a.target_id,
        selector=a.selector,
        motivation=a.motivation,
        body=body,
        tags=a.tags,
        verdict=a.verdict,
        confidence=a.confidence,
        links=a.links,
        creator=a.creator,
        thread_id=a.thread_id,
        hidden=hidden,
        hidden_reason=reason,
        created=start + dt.timedelta(seconds=a.at),
        updated=start + dt.timedelta(seconds=at),
        version=version,
    )


def cumulative(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


class AnnotationPlan:
    """Who annotates what, when; rows come out of `rows()`."""

    def __init__(self, seed: int, count: int) -> None:
        self.rng = random.Random(seed * 1_000_003 + 17)
        self.count = count
        self.seed = seed
        self.keys: list[Key] = []
        self.annotations: list[Ann] = []
        # Source annotations with a selector are decided while the sources are generated.
        self.source_targets: list[tuple[str, dict[str, Any] | None]] = []
        roots = count - round(count * REPLY_SHARE)
        self.source_wanted = round(roots * dict(TARGET_SHARES)["source"])
        self.tag_cum = cumulative([1.0 / (r + 1) for r in range(len(TAGS))])

    def make_keys(self, key_id: Callable[[int], str]) -> None:
        for i in range(ANNOTATE_KEYS + CURATE_KEYS):
            curator = i >= ANNOTATE_KEYS
            name = f"curator-{i - ANNOTATE_KEYS + 1:02d}" if curator else f"analyst-{i + 1:02d}"
            self.keys.append(Key(key_id(i), name, "curate" if curator else "annotate"))

    def key_rows(self, now: Any) -> list[tuple[Any, ...]]:
        """api_key rows. Each secret is random and thrown away: nobody can use these keys."""
        rows = []
        for k in self.keys:
            secret = "ekb_" + secrets.token_urlsafe(32)
            digest = hashlib.sha256(secret.encode()).hexdigest()
            rows.append((k.id, k.name, k.scopes, digest, secret[:8], now, None, None, now, 1))
        return rows

    def want_source(self, n_sources: int) -> dict[int, int]:
        """How many annotations each source index gets (decided before generating them)."""
        out: dict[int, int] = {}
        for _ in range(self.source_wanted):
            s = self.rng.randrange(n_sources)
            out[s] = out.get(s, 0) + 1
        return out

    def add_source_target(
        self, source_id: str, text: str, spans: Sequence[tuple[int, int]]
    ) -> None:
        if self.rng.random() < SOURCE_SELECTOR_SHARE and spans:
            start, end = self.rng.choice(spans)
            selector = {
                "selector_start": start,
                "selector_end": end,
                "quote": text[start:end],
                "prefix": text[max(0, start - CONTEXT_CHARS) : start],
                "suffix": text[end : end + CONTEXT_CHARS],
            }
            self.source_targets.append((source_id, selector))
        else:
            self.source_targets.append((source_id, None))

    def build(
        self,
        pick_claim: Callable[[random.Random], str | None],
        pick_person: Callable[[random.Random], str],
        org_ids: Sequence[str],
        role_ids: Sequence[str],
    ) -> None:
        rng = self.rng
        count = self.count
        replies_total = round(count * REPLY_SHARE)
        roots_total = count - replies_total
        span = ANNOTATION_DAYS * 86_400
        writers = [k.id for k in self.keys]
        key_cum = cumulative([1.0 / (r + 1) ** 0.7 for r in range(len(writers))])
        curators = [k.id for k in self.keys if k.scopes == "curate"]

        def key() -> str:
            return rng.choices(writers, cum_weights=key_cum)[0]

        def tags(low: int, high: int) -> list[str]:
            k = rng.randint(low, high)
            out: list[str] = []
            while len(out) < k:
                t = rng.choices(TAGS, cum_weights=self.tag_cum)[0]
                if t not in out:
                    out.append(t)
            return out

        kinds = ["claim"] * roots_total
        at = 0
        for kind, share in TARGET_SHARES:
            n = len(self.source_targets) if kind == "source" else round(roots_total * share)
            kinds[at : at + n] = [kind] * n
            at += n
        rng.shuffle(kinds)
        source_targets = list(self.source_targets)
        rng.shuffle(source_targets)
        assessing_left = round(count * ASSESS_SHARE)
        claim_roots = kinds.count("claim")
        times = sorted(rng.randrange(span) for _ in range(roots_total))
        roots: list[Ann] = []
        for kind, t in zip(kinds, times, strict=True):
            selector: dict[str, Any] = {}
            if kind == "claim":
                target = pick_claim(rng)
                if target is None:
                    kind, target = "person", pick_person(rng)
            elif kind == "person":
                target = pick_person(rng)
            elif kind == "organization":
                target = rng.choice(org_ids)
            elif kind == "role":
                target = rng.choice(role_ids)
            else:
                target, sel = source_targets.pop()
                selector = sel or {}
            body: str | None = None
            verdict = confidence = None
            links: list[str] = []
            if kind == "claim" and rng.random() < assessing_left / max(1, claim_roots):
                assessing_left -= 1
                motivation = "assessing"
                verdict = rng.choice(VERDICTS)
                confidence = round(rng.uniform(0.3, 1.0), 2)
                body = rng.choice(COMMENTS) if rng.random() < 0.7 else None
                tag_list = tags(0, 3)
            else:
                r = rng.random()
                if r < 0.55:
                    motivation, body, tag_list = "commenting", rng.choice(COMMENTS), tags(0, 3)
                elif r < 0.75:
                    motivation, tag_list = "tagging", tags(1, 3)
                elif r < 0.92:
                    motivation, body, tag_list = "questioning", rng.choice(QUESTIONS), tags(0, 2)
                else:
                    motivation, tag_list = "linking", tags(0, 2)
                    links = [f"https://example.org/archive/{rng.randrange(10**6)}"]
                    body = rng.choice(COMMENTS) if rng.random() < 0.5 else None
            if kind == "claim":
                claim_roots -= 1
            roots.append(
                Ann("", t, kind, target, "", motivation, body, tag_list, verdict, confidence,
                    links, key(), selector)
            )  # fmt: skip
        # Threads: some roots get 1-5 replies, each to the root or an earlier reply.
        order = list(range(len(roots)))
        rng.shuffle(order)
        replies: list[tuple[int, int, Ann]] = []  # (root index, parent position, reply)
        left = replies_total
        for r in order:
            if left <= 0:
                break
            n = min(left, rng.randint(1, 5))
            left -= n
            t = roots[r].at
            for j in range(n):
                t += rng.randint(60, 5 * 86_400)
                parent = rng.randrange(j + 1)  # 0: the root, j: the j-th reply
                reply = Ann(
                    "", t, "annotation", "", "", "replying", rng.choice(REPLIES),
                    tags(0, 1) if rng.random() < 0.2 else [], None, None, [], key(),
                )  # fmt: skip
                replies.append((r, parent, reply))
        # Ids from creation times, in creation order (ties broken by the random bits).
        everyone = roots + [rep for _, _, rep in replies]
        seen: set[str] = set()
        for a in everyone:
            while True:
                a.id = sortable_id("ann_", a.at * 1000 + rng.randrange(1000), rng)
                if a.id not in seen:
                    seen.add(a.id)
                    break
        for a in roots:
            a.thread_id = a.id
        threads: dict[int, list[Ann]] = {}
        for r, parent, reply in replies:
            members = threads.setdefault(r, [roots[r]])
            target = members[parent]
            reply.target_id = target.id
            reply.thread_id = roots[r].id
            target.last_child = max(target.last_child, reply.at)
            members.append(reply)
        everyone.sort(key=lambda a: a.id)
        # Later writes: edits by the creator, then a hide by a curator or a delete by the
        # creator, each after everything that came before it.
        n = len(everyone)
        picks = rng.sample(range(n), k=min(n, round(n * (HIDE_SHARE + DELETE_SHARE))))
        hides = set(picks[: round(n * HIDE_SHARE)])
        edits = rng.sample(range(n), k=round(n * UPDATE_SHARE))
        for i in edits:
            a = everyone[i]
            if a.body is None:
                continue
            a.revised = a.body + " (Revised after a second reading.)"
            a.writes.append((a.at + rng.randint(600, 20 * 86_400), "update", a.creator))
        for i in picks:
            a = everyone[i]
            after = max([a.at, a.last_child] + [w[0] for w in a.writes])
            when = after + rng.randint(600, 10 * 86_400)
            if i in hides:
                a.writes.append((when, "hide", rng.choice(curators)))
                a.hidden, a.hidden_reason = True, rng.choice(HIDE_REASONS)
            else:
                a.writes.append((when, "delete", a.creator))
                a.deleted_at = when
        self.annotations = everyone

    def rows(
        self, start: dt.datetime, ts: Callable[[dt.datetime], Any]
    ) -> tuple[dict[str, list[tuple[Any, ...]]], list[Event]]:
        """Rows of annotation, annotation_tag and annotation_version, and the annotation
        events (at seconds, key id, annotation id, op, version, stored record) in no
        particular order."""

        def when(seconds: int) -> Any:
            return ts(start + dt.timedelta(seconds=seconds))

        ann_rows, tag_rows, version_rows = [], [], []
        events: list[Event] = []
        for a in self.annotations:
            body = a.body
            hidden, reason, deleted = False, None, False
            version = 1

            version_rows.append(
                (
                    a.id,
                    1,
                    when(a.at),
                    a.creator,
                    "create",
                    content(a, body, hidden, reason, deleted),
                )
            )
            events.append(
                (a.at, a.creator, a.id, "create", 1, stored(a, start, a.at, 1, body, False, None))
            )
            updated = a.at
            for at, op, key_id in sorted(a.writes):
                version += 1
                updated = at
                if op == "update":
                    body = a.revised
                elif op == "hide":
                    hidden, reason = True, a.hidden_reason
                else:
                    deleted = True
                version_rows.append(
                    (a.id, version, when(at), key_id, op, content(a, body, hidden, reason, deleted))
                )
                document = None if deleted else stored(a, start, at, version, body, hidden, reason)
                events.append((at, key_id, a.id, op, version, document))
            sel = a.selector
            ann_rows.append(
                (
                    a.id,
                    a.target_type,
                    a.target_id,
                    sel.get("selector_start"),
                    sel.get("selector_end"),
                    sel.get("quote"),
                    sel.get("prefix"),
                    sel.get("suffix"),
                    a.thread_id,
                    a.motivation,
                    body,
                    json.dumps(a.tags),
                    a.verdict,
                    a.confidence,
                    json.dumps(a.links),
                    a.creator,
                    a.hidden,
                    a.hidden_reason if a.hidden else None,
                    0,
                    when(a.deleted_at) if a.deleted_at is not None else None,
                    when(a.at),
                    when(updated),
                    version,
                )
            )
            if a.deleted_at is None:
                tag_rows += [(a.id, t) for t in a.tags]
        return (
            {
                "annotation": ann_rows,
                "annotation_tag": tag_rows,
                "annotation_version": version_rows,
            },
            events,
        )


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
TAG_COLS = ("annotation_id", "tag")
VERSION_COLS = ("annotation_id", "version", "at", "key_id", "op", "content")
KEY_COLS = (
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
)
CHANGE_COLS = (
    "seq",
    "at",
    "key_id",
    "origin",
    "entity_type",
    "entity_id",
    "op",
    "version",
    "document",
)
