"""One ranked list over persons, organisations, claims and sources, and matching by example.

The backend proposes candidates (app/services/search_backend.py); this module scores them the
same way on every database:
- persons and organisations by their best-matching spelling (app/services/name_scoring.py),
  or, at most 0.72, by the words of their description;
- claims (quote and statement) and sources (title and text) hold every word of the query
  (Russian words in any case): 0.5, plus 0.2 if the words stand together in the query's
  order, plus up to 0.1 for a short record (the words are more of what it says). At most
  0.8, so a name found by its surname alone (0.875) comes before the claims that use it.
Ties go to persons, organisations, claims, sources in that order, then to the smaller id.

A term found in more records than `DOC_CANDIDATES` is ranked among the first that many (by
insertion order) of each type: add a word to narrow it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.models import Claim, NameVariant, Organization, Person, Role, Source
from app.models.search_api import Highlight, MatchCandidate, MatchQuery, SearchHit
from app.pagination import Keyset, decode_cursor, encode_cursor
from app.services import name_scoring, terms
from app.services.search_backend import VariantRow, backend_for, name_candidates

TYPES = ("person", "organization", "claim", "source")
NAME_CANDIDATES = 200
DOC_CANDIDATES = 500
# Below this a name is not offered as a search result (it still counts in /match, which
# reports every candidate's score).
NAME_FLOOR = 0.6
DESCRIPTION_WEIGHT = 0.9
SNIPPET_CHARS = 240
_SCALE = 10_000
_ORIGIN_ORDER = {"form": 0, "display": 1, "transliteration": 2}
SEARCH = Keyset("search", (), (int, int, str), lambda hit: hit)


@dataclass
class _Hit:
    type: str
    id: str
    score: float
    matched_by: list[str]
    variant: VariantRow | None = None
    name_words: list[int] | None = None

    def sort_key(self) -> tuple[int, int, str]:
        return (-round(self.score * _SCALE), TYPES.index(self.type), self.id)


def _owner(row: VariantRow) -> tuple[str, str]:
    if row.person_id is not None:
        return "person", row.person_id
    return "organization", str(row.organization_id)


def best_names(
    session: Session, query: name_scoring.QueryName, types: Sequence[str]
) -> dict[tuple[str, str], tuple[name_scoring.NameScore, VariantRow]]:
    """Every candidate entity of the wanted types with its best-scoring spelling."""
    rows = name_candidates(
        session, key=query.key, alternatives=list(query.alternatives), limit=NAME_CANDIDATES
    )
    typed = {terms.fold(w.surface) for w in query.words}
    cyrillic = terms.is_cyrillic(query.text)
    best: dict[tuple[str, str], tuple[name_scoring.NameScore, VariantRow]] = {}
    for row in rows:
        owner = _owner(row)
        if owner[0] not in types:
            continue
        scored = name_scoring.score(query, row.variant, row.key, row.skel)
        if scored.score <= 0:
            continue
        current = best.get(owner)
        if current is None or _preference(typed, cyrillic, scored, row) < _preference(
            typed, cyrillic, *current
        ):
            best[owner] = (scored, row)
    return best


@lru_cache(maxsize=100_000)
def _folded_words(variant: str) -> tuple[str, ...]:
    return tuple(terms.fold(w.surface) for w in terms.words(variant))


def _preference(
    typed: set[str], cyrillic: bool, scored: name_scoring.NameScore, row: VariantRow
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


def _why_name(scored: name_scoring.NameScore, row: VariantRow) -> str:
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


def _doc_score(keys: list[str], doc_terms: str) -> tuple[float, list[str]]:
    # String operations, not word lists: a source's terms run to thousands of words.
    phrase = f" {' '.join(keys)} " in f" {doc_terms} "
    brevity = min(1.0, 20 / (doc_terms.count(" ") + 1))
    why = ["has every word of the query"]
    if phrase and len(keys) > 1:
        why.append("as a phrase")
    return round(0.5 + (0.2 if phrase else 0.0) + 0.1 * brevity, 4), why


def _doc_hits(session: Session, keys: list[str], types: Sequence[str]) -> list[_Hit]:
    backend = backend_for(session)
    hits = []
    for doc_type in types:
        for entity_id, doc_terms in backend.doc_matches(session, doc_type, keys, DOC_CANDIDATES):
            value, why = _doc_score(keys, doc_terms)
            if doc_type in ("person", "organization"):
                value = round(value * DESCRIPTION_WEIGHT, 4)
                why = [f"description {w}" for w in why]
            hits.append(_Hit(doc_type, entity_id, value, why))
    return hits


def ranked(session: Session, query: name_scoring.QueryName, types: Sequence[str]) -> list[_Hit]:
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
                    [_why_name(scored, row)],
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


def search(
    session: Session, *, q: str, types: Sequence[str], limit: int, cursor: str | None
) -> tuple[list[SearchHit], str | None]:
    filters: dict[str, Any] = {"q": q, "types": sorted(types)}
    query = name_scoring.parse_query(q)
    hits = ranked(session, query, types)
    if cursor is not None:
        after = tuple(decode_cursor(cursor, SEARCH, filters))
        after_key = (-after[0], after[1], after[2])
        hits = [h for h in hits if h.sort_key() > after_key]
    page, more = hits[:limit], len(hits) > limit
    next_cursor = None
    if more:
        last = page[-1].sort_key()
        next_cursor = encode_cursor(SEARCH, [-last[0], last[1], last[2]], filters)
    return _present(session, page, [w.key for w in query.words]), next_cursor


# -- presenting a page ------------------------------------------------------------------


def _spans(text: str, keys: set[str]) -> list[tuple[int, int]]:
    return [(w.start, w.end) for w in terms.words(text) if w.key in keys]


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


def _present(session: Session, page: list[_Hit], keys: list[str]) -> list[SearchHit]:
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
    for field, text in fields:
        if text and (spans := _spans(text, keys)):
            return _highlight(field, text, spans, _phrase_start(text, ordered))
    return None


def _phrase_start(text: str, ordered: list[str]) -> int | None:
    """Where the query's words first stand together in its order, if they do."""
    words = terms.words(text)
    n = len(ordered)
    for i in range(len(words) - n + 1):
        if [w.key for w in words[i : i + n]] == ordered:
            return words[i].start
    return None


# -- matching by example ----------------------------------------------------------------


def _organization_similarity(session: Session, org_query: str, person_id: str) -> float | None:
    """How well the query's organisation names one the person holds or held a role at; None
    if no role of theirs names an organisation."""
    org_ids = list(
        session.scalars(
            select(col(Role.organization_id)).where(
                col(Role.person_id) == person_id, col(Role.organization_id).is_not(None)
            )
        )
    )
    if not org_ids:
        return None
    query = name_scoring.parse_query(org_query)
    variants = session.execute(
        select(col(NameVariant.variant), col(NameVariant.key), col(NameVariant.skel)).where(
            col(NameVariant.organization_id).in_(org_ids)
        )
    )
    return max((name_scoring.score(query, v, k, s).score for v, k, s in variants), default=0.0)


def match(
    session: Session, query: MatchQuery, *, threshold: float, limit: int
) -> list[MatchCandidate]:
    """Candidates for one example, best first. The score is the name's; an organisation
    given in the query moves it by up to 0.1 (up if the person's roles name it, down if they
    name others); a birth date by BIRTH_ADJUSTMENT when the person's is recorded."""
    parsed = name_scoring.parse_query(query.name)
    if not parsed.words:
        return []
    kind = query.type.value
    out = []
    candidates = best_names(session, parsed, [kind])
    births = (
        _birth_dates(session, [entity_id for _, entity_id in candidates])
        if query.birth_date is not None and kind == "person"
        else {}
    )
    for (_, entity_id), (scored, row) in candidates.items():
        features: dict[str, float | None] = {"name": scored.score}
        total = scored.score
        if query.birth_date is not None:
            agreement = birth_agreement(query.birth_date, births.get(entity_id))
            features["birth_date"] = agreement
            if agreement is not None:
                total += BIRTH_ADJUSTMENT[agreement]
        if query.organization and kind == "person":
            org = _organization_similarity(session, query.organization, entity_id)
            features["organization"] = org
            if org is not None:
                total += 0.2 * (org - 0.5)
        total = min(1.0, max(0.0, total))
        out.append(
            (
                round(total, 4),
                entity_id,
                features,
                _why_name(scored, row),
            )
        )
    out.sort(key=lambda c: (-c[0], c[1]))
    names = _display_names(session, kind, [c[1] for c in out[:limit]])
    return [
        MatchCandidate(
            type=kind,
            id=entity_id,
            name=names.get(entity_id, entity_id),
            score=total,
            match=total >= threshold,
            features=features,
            explanation=why,
        )
        for total, entity_id, features, why in out[:limit]
    ]


# A same birth date confirms a little; another day of the same year (often a data error)
# doubts a little; another year is strong evidence of another person.
BIRTH_ADJUSTMENT = {1.0: 0.05, 0.5: -0.05, 0.0: -0.3}


def birth_agreement(asked: date, known: date | None) -> float | None:
    """1.0 same date, 0.5 same year only, 0.0 another year, None if no date is recorded."""
    if known is None:
        return None
    if known == asked:
        return 1.0
    return 0.5 if known.year == asked.year else 0.0


def _birth_dates(session: Session, ids: list[str]) -> dict[str, date | None]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(col(Person.id), col(Person.birth_date)).where(col(Person.id).in_(ids))
        ).all()
    )


def _display_names(session: Session, kind: str, ids: list[str]) -> dict[str, str]:
    model: Any = Person if kind == "person" else Organization
    return dict(
        session.execute(select(col(model.id), col(model.name)).where(col(model.id).in_(ids))).all()
    )
