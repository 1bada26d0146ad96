"""One ranked list over persons, organisations, claims and sources (matching by example, in
app/services/search/matching.py, reuses the name half).

The backend proposes candidates (app/services/search/backends.py); this module scores them the
same way on every database:
- persons and organisations by their best-matching spelling (app/services/search/scoring.py),
  or, at most 0.72, by the words of their description;
- claims (quote and statement) and sources (title and text) hold every word of the query
  (Russian words in any case; common words such as "the" or "не" are not required unless the
  query has nothing else): 0.5, plus 0.2 if the words stand together in the query's
  order, plus up to 0.1 for a short record (the words are more of what it says). At most
  0.8, so a name found by its surname alone (0.875) comes before the claims that use it.
Ties go to persons, organisations, claims, sources in that order, then to the smaller id.

A term found in more records of a type than `DOC_CANDIDATES` allows (200 claims, 50
sources, persons or organisations) is ranked among the first that many found: add a word to
narrow it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.models import Claim, Organization, Person, SearchDoc, Source
from app.models.common import SLUG_MAX
from app.models.search import Highlight, SearchHit
from app.pagination import Filters, KeyRule, Keyset, decode_cursor, encode_cursor, text_rule
from app.services.search import scoring, terms
from app.services.search.backends import DocMatch, VariantRow, backend_for, name_candidates

TYPES = ("person", "organization", "claim", "source")
NAME_CANDIDATES = 200
# Candidates weighed per document type: fewer of the kinds whose rows are long or few.
DOC_CANDIDATES = {"claim": 200, "source": 50, "person": 50, "organization": 50}
# Below this a name is not offered as a search result (it still counts in /match, which
# reports every candidate's score).
NAME_FLOOR = 0.6
DESCRIPTION_WEIGHT = 0.9
SNIPPET_CHARS = 240
# Longer source texts are highlighted from their stored keys (see _long_text_highlight).
LONG_TEXT = 2000
_SCALE = 10_000
_ORIGIN_ORDER = {"form": 0, "display": 1, "transliteration": 2}
# Ranked in Python, so the rules are given: the scaled score, the type's rank, the id.
SEARCH = Keyset(
    "search",
    (),
    lambda hit: hit,
    rules=(KeyRule(int, 0, _SCALE), KeyRule(int, 0, len(TYPES) - 1), text_rule(SLUG_MAX)),
)


@dataclass
class _Hit:
    type: str
    id: str
    score: float
    matched_by: list[str]
    variant: VariantRow | None = None
    name_words: list[int] | None = None
    doc_terms: str | None = None

    def sort_key(self) -> tuple[int, int, str]:
        return (-round(self.score * _SCALE), TYPES.index(self.type), self.id)


def _owner(row: VariantRow) -> tuple[str, str]:
    if row.person_id is not None:
        return "person", row.person_id
    return "organization", str(row.organization_id)


def best_names(
    session: Session, query: scoring.QueryName, types: Sequence[str]
) -> dict[tuple[str, str], tuple[scoring.NameScore, VariantRow]]:
    """Every candidate entity of the wanted types with its best-scoring spelling."""
    rows = name_candidates(
        session,
        key=query.key,
        alternatives=list(query.alternatives),
        typed=[None if w.key in terms.STOPWORDS else w.skel for w in query.words],
        limit=NAME_CANDIDATES,
    )
    typed = {terms.fold(w.surface) for w in query.words}
    cyrillic = terms.is_cyrillic(query.text)
    best: dict[tuple[str, str], tuple[scoring.NameScore, VariantRow]] = {}
    for row in rows:
        owner = _owner(row)
        if owner[0] not in types:
            continue
        scored = scoring.score(query, row.variant, row.key, row.skel)
        if scored.score <= 0:
            continue
        current = best.get(owner)
        if (
            current is None
            or scored.score > current[0].score
            or (
                scored.score == current[0].score
                and _preference(typed, cyrillic, scored, row)
                < _preference(typed, cyrillic, *current)
            )
        ):
            best[owner] = (scored, row)
    return best


@lru_cache(maxsize=100_000)
def _folded_words(variant: str) -> tuple[str, ...]:
    return tuple(terms.fold(w.surface) for w in terms.words(variant))


def _preference(
    typed: set[str], cyrillic: bool, scored: scoring.NameScore, row: VariantRow
) -> tuple[float, int, int, int, str]:
    """Which spelling explains a result: the best score, then the one sharing most words
    with the query as typed, then one in the query's script, then a curated form over the
    display name over a generated romanisation, then the spelling itself (so every backend,
    whatever order it returns rows in, picks the same one)."""
    literal = sum(1 for w in _folded_words(row.variant) if w in typed)
    other_script = terms.is_cyrillic(row.variant) != cyrillic
    return (
        -scored.score,
        -literal,
        int(other_script),
        _ORIGIN_ORDER.get(row.origin, 9),
        row.variant,
    )


def why_name(scored: scoring.NameScore, row: VariantRow) -> str:
    how = {
        "exact": "is the name",
        "transliteration": "is the name in another spelling",
        "inflected_form": "is an inflected form of the name",
        "fuzzy": "is close to the name",
        "part_of_name": "is part of the name",
        "partial_overlap": "shares part of the name",
    }[scored.method]
    origin = f"{row.origin}, {row.scheme}" if row.scheme else row.origin
    return f"query {how} {row.variant!r} ({origin}): {scored.method}"


def _doc_score(keys: list[str], doc: DocMatch) -> tuple[float, list[str]]:
    brevity = min(1.0, 20 / max(doc.words, 1))
    why = ["has every word of the query"]
    if doc.phrase and len(keys) > 1:
        why.append("as a phrase")
    return round(0.5 + (0.2 if doc.phrase else 0.0) + 0.1 * brevity, 4), why


def _doc_hits(session: Session, keys: list[str], types: Sequence[str]) -> list[_Hit]:
    backend = backend_for(session)
    hits = []
    required = [k for k in keys if k not in terms.STOPWORDS] or keys
    skipped = [k for k in keys if k not in required]
    phrase = f" {' '.join(keys)} "
    found = backend.doc_matches(session, {t: DOC_CANDIDATES[t] for t in types}, required, phrase)
    for doc_type, docs in found.items():
        for doc in docs:
            value, why = _doc_score(keys, doc)
            if skipped:
                why[0] += f" (common words not required: {', '.join(skipped)})"
            if doc_type in ("person", "organization"):
                value = round(value * DESCRIPTION_WEIGHT, 4)
                why = [f"description {w}" for w in why]
            hits.append(_Hit(doc_type, doc.entity_id, value, why))
    return hits


def ranked(session: Session, query: scoring.QueryName, types: Sequence[str]) -> list[_Hit]:
    if not query.words:
        return []
    keys = [w.key for w in query.words]
    hits: dict[tuple[str, str], _Hit] = {}
    entity_types = [t for t in types if t in ("person", "organization")]
    if entity_types:
        for owner, (scored, row) in best_names(session, query, entity_types).items():
            if scored.score >= NAME_FLOOR:
                hits[owner] = _Hit(
                    owner[0],
                    owner[1],
                    scored.score,
                    [why_name(scored, row)],
                    row,
                    scored.matched_words,
                )
    for hit in _doc_hits(session, keys, types):
        current = hits.get((hit.type, hit.id))
        if current is None:
            hits[(hit.type, hit.id)] = hit
        elif hit.score > current.score:
            hit.matched_by = current.matched_by + hit.matched_by
            hits[(hit.type, hit.id)] = hit
        else:
            current.matched_by += hit.matched_by
    return sorted(hits.values(), key=_Hit.sort_key)


@dataclass(frozen=True)
class _SearchFilters(Filters):
    """What a search cursor is bound to: the query and the kinds searched."""

    q: str
    types: tuple[str, ...]


def search(
    session: Session, *, q: str, types: Sequence[str], limit: int, cursor: str | None
) -> tuple[list[SearchHit], str | None]:
    filters = _SearchFilters(q=q, types=tuple(sorted(types)))
    query = scoring.parse_query(q)
    hits = ranked(session, query, types)
    if cursor is not None:
        after = tuple(decode_cursor(session, cursor, SEARCH, filters))
        after_key = (-after[0], after[1], after[2])
        hits = [h for h in hits if h.sort_key() > after_key]
    page, more = hits[:limit], len(hits) > limit
    next_cursor = None
    if more:
        last = page[-1].sort_key()
        next_cursor = encode_cursor(session, SEARCH, [-last[0], last[1], last[2]], filters)
    return _search_hits(session, page, [w.key for w in query.words]), next_cursor


# -- presenting a page ------------------------------------------------------------------


def _highlight(
    field: str, text: str, spans: list[tuple[int, int]], focus: int | None = None
) -> Highlight:
    """A snippet of at most SNIPPET_CHARS around `focus` (default: the first match); match
    offsets are relative to the snippet, `offset` is where the snippet starts in the field."""
    if len(text) <= SNIPPET_CHARS:
        start, end = 0, len(text)
    else:
        first = focus if focus is not None else (spans[0][0] if spans else 0)
        start = max(0, min(first - SNIPPET_CHARS // 3, len(text) - SNIPPET_CHARS))
        end = start + SNIPPET_CHARS
    return Highlight(
        field=field,
        text=text[start:end],
        offset=start,
        matches=[[s - start, e - start] for s, e in spans if s >= start and e <= end],
    )


def _search_hits(session: Session, page: list[_Hit], keys: list[str]) -> list[SearchHit]:
    wanted: dict[str, list[str]] = defaultdict(list)
    for hit in page:
        wanted[hit.type].append(hit.id)
    models: dict[str, Any] = {
        "person": Person,
        "organization": Organization,
        "claim": Claim,
        "source": Source,
    }
    rows = {
        (t, row.id): row
        for t, ids in wanted.items()
        for row in session.scalars(select(models[t]).where(col(models[t].id).in_(ids)))
    }
    if wanted.get("source"):
        # A long text's stored keys place its snippet without analysing the whole text.
        source_terms = dict(
            session.execute(
                select(col(SearchDoc.entity_id), col(SearchDoc.terms)).where(
                    col(SearchDoc.entity_type) == "source",
                    col(SearchDoc.entity_id).in_(wanted["source"]),
                )
            ).all()
        )
        for hit in page:
            if hit.type == "source":
                hit.doc_terms = source_terms.get(hit.id)
    out = []
    for hit in page:
        row = rows.get((hit.type, hit.id))
        if row is None:
            continue
        out.append(
            SearchHit(
                type=hit.type,
                id=hit.id,
                label=_label(hit.type, row),
                score=hit.score,
                matched_by=hit.matched_by,
                highlight=_hit_highlight(hit, row, keys),
            )
        )
    return out


def _label(kind: str, row: Any) -> str:
    if kind == "claim":
        quote = str(row.quote)
        return quote if len(quote) <= 120 else quote[:119] + "…"
    if kind == "source":
        return str(row.title)
    return str(row.name)


def _hit_highlight(hit: _Hit, row: Any, ordered: list[str]) -> Highlight | None:
    keys = set(ordered)
    if hit.variant is not None and hit.name_words is not None:
        words = terms.words(hit.variant.variant)
        spans = [(words[i].start, words[i].end) for i in hit.name_words if i < len(words)]
        return _highlight("name", hit.variant.variant, spans)
    fields: list[tuple[str, str | None]]
    if hit.type == "claim":
        fields = [("quote", row.quote), ("statement", row.statement)]
    elif hit.type == "source":
        fields = [("title", row.title), ("text", row.text)]
    else:
        fields = [("description", row.description)]
    if hit.type == "source" and row.text and hit.doc_terms and len(row.text) > LONG_TEXT:
        title_words = len(terms.words(row.title))
        if not set(hit.doc_terms.split()[:title_words]) & keys:
            found = _long_text_highlight(row.text, hit.doc_terms.split()[title_words:], ordered)
            if found is not None:
                return found
    for field, text in fields:
        if not text:
            continue
        words = terms.words(text)
        spans = [(w.start, w.end) for w in words if w.key in keys]
        if spans:
            return _highlight(field, text, spans, _phrase_start(words, ordered))
    return None


def _phrase_start(words: list[terms.Word], ordered: list[str]) -> int | None:
    """Where the query's words first stand together in its order, if they do."""
    n = len(ordered)
    for i in range(len(words) - n + 1):
        if [w.key for w in words[i : i + n]] == ordered:
            return words[i].start
    return None


def _long_text_highlight(text: str, text_keys: list[str], ordered: list[str]) -> Highlight | None:
    """The highlight of a long source text, analysing only the words around the snippet: the
    stored keys say which word to centre on. None (analyse it all) if they disagree with the
    text."""
    keys = set(ordered)
    n = len(ordered)
    focus = next(
        (i for i in range(len(text_keys) - n + 1) if text_keys[i : i + n] == ordered), None
    )
    if focus is None:
        focus = next((i for i, k in enumerate(text_keys) if k in keys), None)
    if focus is None:
        return None
    start = terms.nth_word_start(text, focus)
    if start is None:
        return None
    lo = max(0, start - SNIPPET_CHARS)
    window = [
        (w.start + lo, w.end + lo, w.key)
        for w in terms.words(text[lo : start + 2 * SNIPPET_CHARS])
        # A word cut by the window's edge is not a word of the text.
        if w.start > 0 or lo == 0
    ]
    if not any(s == start and k == text_keys[focus] for s, _, k in window):
        return None
    spans = [(s, e) for s, e, k in window if k in keys]
    return _highlight("text", text, spans, start)
