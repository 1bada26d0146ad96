"""Scoring a written name against a known spelling, with the reason, for search and match.

Both names are compared word by word in skeleton form (app/services/search/terms.py), so other
transliterations, inflected Russian cases and a feminine surname's masculine stem cost
nothing, and rapidfuzz's normalised Indel similarity absorbs small spelling differences.

Scores, in [0, 1]:
- 1.0: the query is one of the spellings (same words once folded);
- every query word meets a different word of the spelling, as many words on both sides:
  the mean word similarity (0.98 if all words are the same once transliteration and
  inflection are set aside);
- fewer query words than the spelling has (a surname alone, given name + surname against a
  form with patronymic): the mean similarity times 0.75 + 0.25 x (share of the spelling's
  words given), times 0.85 if the surname (last word) is not among them;
- otherwise, if at least one word meets a word of the spelling ("Alexander Kudrin" against
  "Alexei Kudrin"): the whole-name token-sort similarity times 0.8, so a look-alike stays
  below a full match;
- no word in common: 0, not a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz.distance import Indel
from rapidfuzz.fuzz import token_sort_ratio

from app.services.search import terms
from app.services.search.lexicon import name_skels

WORD_MATCH = 0.8
SAME_NAME = 0.98


@dataclass(frozen=True)
class QueryName:
    """A query name, analysed once."""

    text: str
    key: str
    words: tuple[terms.Word, ...]
    folded: tuple[str, ...]
    alternatives: tuple[frozenset[str], ...]
    skel: str
    # Scores by what they depend on (each word's skeletons, the whole skeleton, the script):
    # a person's many spellings share a few skeletons, so most are scored once per query.
    memo: dict[tuple[object, ...], NameScore] = field(
        default_factory=dict, compare=False, repr=False
    )


def parse_query(text: str) -> QueryName:
    """The words of a name as typed. A lone lowercase letter is a preposition or
    conjunction ("с Мишустиным", "a"), not an initial, and is left out; a word repeated in
    another spelling or case ("Путин Putin", "Kudrin Кудрина") counts once."""
    kept: list[terms.Word] = []
    seen: set[str] = set()
    for word in terms.words(text):
        if len(word.surface) == 1 and word.surface.isalpha() and word.surface.islower():
            continue
        alternatives = name_skels(word.surface)
        if alternatives & seen:
            continue
        seen |= alternatives
        kept.append(word)
    words = tuple(kept)
    return QueryName(
        text=text,
        key=" ".join(w.key for w in words),
        words=words,
        folded=tuple(terms.fold(w.surface) for w in words),
        alternatives=tuple(name_skels(w.surface) for w in words),
        skel=" ".join(w.skel for w in words),
    )


@dataclass
class NameScore:
    score: float
    method: str
    matched_words: list[int] = field(default_factory=list)


@lru_cache(maxsize=100_000)
def _variant_words(variant: str) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((w.surface, name_skels(w.surface)) for w in terms.words(variant))


@lru_cache(maxsize=100_000)
def _variant_folded(variant: str) -> tuple[str, ...]:
    return tuple(terms.fold(w.surface) for w in terms.words(variant))


@lru_cache(maxsize=100_000)
def _variant_shape(variant: str) -> tuple[tuple[frozenset[str], ...], bool]:
    return tuple(skels for _, skels in _variant_words(variant)), terms.is_cyrillic(variant)


def _word_similarity(query: frozenset[str], known: frozenset[str], initial: bool) -> float:
    if initial:
        # "A." for Alexei: an initial agrees with a word it begins.
        return 0.9 if any(k[:1] in query for k in known) else 0.0
    if query & known:
        return 1.0
    return max(Indel.normalized_similarity(q, k) for q in query for k in known)


def score(query: QueryName, variant: str, variant_key: str, variant_skel: str) -> NameScore:
    if not query.words:
        return NameScore(0.0, "none")
    if query.folded == _variant_folded(variant):
        return NameScore(1.0, "exact", list(range(len(_variant_words(variant)))))
    shape = _variant_shape(variant)
    memo_key = (shape, variant_skel)
    if (hit := query.memo.get(memo_key)) is not None:
        return replace(hit, matched_words=list(hit.matched_words))
    result = _score_shape(query, shape[0], shape[1], variant_skel)
    query.memo[memo_key] = result
    return replace(result, matched_words=list(result.matched_words))


def _score_shape(
    query: QueryName, known: tuple[frozenset[str], ...], cyrillic: bool, variant_skel: str
) -> NameScore:
    if not known:
        return NameScore(0.0, "none")
    used: set[int] = set()
    sims: list[float] = []
    for word, alts in zip(query.words, query.alternatives, strict=True):
        initial = len(word.surface) == 1
        best, best_j = 0.0, -1
        for j, skels in enumerate(known):
            if j in used:
                continue
            s = _word_similarity(alts, skels, initial)
            if s > best:
                best, best_j = s, j
        if best < WORD_MATCH:
            sims.append(0.0)
            continue
        used.add(best_j)
        sims.append(best)
    if 0.0 in sims:
        if not used:
            # Not one word in common: no evidence at all.
            return NameScore(0.0, "none")
        fallback = token_sort_ratio(query.skel, variant_skel) / 100 * 0.8
        return NameScore(round(fallback, 4), "partial_overlap", sorted(used))
    mean = sum(sims) / len(sims)
    matched = sorted(used)
    if len(sims) == len(known):
        if mean == 1.0:
            same = "inflected_form" if cyrillic and terms.is_cyrillic(query.text) else None
            return NameScore(SAME_NAME, same or "transliteration", matched)
        return NameScore(round(mean * SAME_NAME, 4), "fuzzy", matched)
    share = len(sims) / len(known)
    value = mean * (0.75 + 0.25 * share)
    if len(known) - 1 not in used:
        value *= 0.85
    return NameScore(round(value, 4), "part_of_name", matched)
