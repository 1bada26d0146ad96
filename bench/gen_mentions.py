"""The mentions the app would find in the generated sources, found fast enough for a million
claims.

`app.services.search.detection.detect` takes ~90 ms per generated source (4,500 characters,
a 10,000-person lexicon), almost all of it recomputing the same word skeletons: 20,000 sources
would take half an hour. `Detector` is the same algorithm, step for step and in the same
order (so the same ties go the same way), over the real `Lexicon` and the real skeleton
functions, but with every per-word fact memoised by the word as written, and with the
words of each source assembled from its pieces' cached words (gen_kb knows where it placed
every name, so it never tokenises a whole source). The run checks it against `detect` itself
on a sample of sources and stops on the first difference (gen_kb.MENTION_VERIFY_EVERY).

A mention is `(entity_type, entity_id, start, end, text, basis, matched_name)`, like
`detection.Found`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from app.services.search import terms
from app.services.search.detection import Found
from app.services.search.lexicon import Lexicon, given_names, text_skels

# (start, end, surface) of one word, in code points, as terms.words gives them.
WordSpan = tuple[int, int, str]
MentionRow = tuple[str, str, int, int, str, str, str]
MEMO_MAX = 1_000_000  # remembered name contexts, before starting afresh


@lru_cache(maxsize=500_000)
def piece_words(piece: str) -> tuple[WordSpan, ...]:
    """The words of one piece of a sentence (a template literal or a slot value)."""
    return tuple((w.start, w.end, w.surface) for w in terms.words(piece))


class Detector:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.given_all = given_names() | lexicon.given_skels
        self._skels: dict[str, frozenset[str]] = {}
        self._cands: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
        self._given_like: dict[str, bool] = {}
        self._initial: dict[str, str] = {}
        self._matched: dict[tuple[str, str], str] = {}
        self._initials: dict[str, tuple[set[str], set[str]]] = {}
        self._phrases: dict[str, Any] = {}
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._starts: dict[str, bool] = {}

    # -- memoised facts about a word as written ---------------------------------------------

    def skels(self, surface: str) -> frozenset[str]:
        got = self._skels.get(surface)
        if got is None:
            # The very function detection calls, on the same kind of object, so that even the
            # iteration order of the set (which breaks ties between organisations) is the same.
            got = self._skels[surface] = text_skels(terms.Word(0, len(surface), surface, ""))
        return got

    def candidates(self, surface: str) -> tuple[frozenset[str], tuple[str, ...]]:
        got = self._cands.get(surface)
        if got is None:
            by_family = self.lex.by_family
            found: set[str] = set().union(*(by_family.get(s, set()) for s in self.skels(surface)))
            got = self._cands[surface] = (frozenset(found), tuple(sorted(found)))
        return got

    def given_like(self, surface: str) -> bool:
        got = self._given_like.get(surface)
        if got is None:
            got = bool(surface[:1].isupper()) and (
                bool(self.skels(surface) & self.given_all)
                or (terms.is_cyrillic(surface) and "Name" in terms.name_parses(surface))
            )
            self._given_like[surface] = got
        return got

    def initial_of(self, surface: str) -> str:
        got = self._initial.get(surface)
        if got is None:
            got = self._initial[surface] = terms.word_skeleton(surface)[:1]
        return got

    def phrase_index(self, first: str) -> Any:
        """The organisation phrases starting with skeleton `first`, in the lexicon's order:
        the one-word ones, and the others by each skeleton of their second word."""
        if first in self._phrases:
            return self._phrases[first]
        phrases = self.lex.phrases.get(first)
        got: Any = None
        if phrases:
            singles = []
            by_second: dict[str, list[Any]] = {}
            for pos, phrase in enumerate(phrases):
                sets = phrase[1]
                if len(sets) == 1:
                    singles.append((pos, phrase))
                else:
                    for s2 in sets[1]:
                        by_second.setdefault(s2, []).append((pos, phrase))
            got = (singles, by_second)
        self._phrases[first] = got
        return got

    def matched_name(self, pid: str, surface: str) -> str:
        key = (pid, surface)
        got = self._matched.get(key)
        if got is None:
            names = self.lex.persons[pid].names
            got = next(
                (names[s] for s in sorted(self.skels(surface)) if s in names),
                next(iter(names.values()), ""),
            )
            self._matched[key] = got
        return got

    def _match(
        self, context: tuple[Any, ...], cand_sorted: tuple[str, ...]
    ) -> tuple[tuple[int, int, str, str] | None, bool]:
        """detection._match_person over every candidate, as offsets from the surname."""
        surface, prev_w, prev2_w, nxt_w, nxt2_w, prev_init, prev2_init, nxt_init = context
        empty: frozenset[str] = frozenset()
        prev_sk = self.skels(prev_w) if prev_w is not None else empty
        prev2_sk = self.skels(prev2_w) if prev2_w is not None else empty
        nxt_sk = self.skels(nxt_w) if nxt_w is not None else empty
        nxt2_sk = self.skels(nxt2_w) if nxt2_w is not None else empty
        prev_of = self.initial_of(prev_w) if prev_init else ""
        prev2_of = self.initial_of(prev2_w) if prev2_init else ""
        nxt_of = self.initial_of(nxt_w) if nxt_init else ""
        has_prev2 = prev2_w is not None
        initials = self._initials
        persons = self.lex.persons
        best: tuple[int, int, str, str] | None = None
        look_alike = False
        for pid in cand_sorted:
            p = persons[pid]
            got = initials.get(pid)
            if got is None:
                got = initials[pid] = (p.initials(p.given), p.initials(p.patronymic))
            given_initials, patronymic_initials = got
            match: tuple[int, int, str] | None = None
            if prev_sk & p.given:
                match = (-1, 0, "full_name")
            elif (
                has_prev2
                and prev2_sk & p.given
                and (prev_sk & p.patronymic or (prev_init and prev_of in patronymic_initials))
            ):
                match = (-2, 0, "full_name")
            elif prev_init:
                if prev2_init:
                    ok = prev2_of in given_initials and prev_of in patronymic_initials
                    span = (-2, 0) if ok else None
                else:
                    span = (-1, 0) if prev_of in given_initials else None
                if span is None:
                    look_alike = True
                else:
                    match = (*span, "initials")
            elif nxt_sk & p.given:
                match = (0, 2 if nxt2_sk & p.patronymic else 1, "surname_first")
            elif nxt_init and nxt_of in given_initials:
                match = (0, 1, "initials")
            if match is not None and (best is None or match[1] - match[0] > best[1] - best[0]):
                best = (*match, pid)
        return best, look_alike

    # -- detection ----------------------------------------------------------------------------

    def detect(self, text: str, words: Sequence[WordSpan]) -> list[MentionRow]:
        """What detection.detect(text, lexicon) finds, given terms.words(text) as spans."""
        n = len(words)
        skels = [self.skels(w[2]) for w in words]
        lex = self.lex

        def adjacent(a: int, b: int) -> bool:
            gap = text[words[a][1] : words[b][0]]
            return len(gap) <= 3 and gap.strip() in ("", ".") and "\n\n" not in gap

        def is_initial(i: int) -> bool:
            start, end, surface = words[i]
            return len(surface) == 1 and surface.isupper() and text[end : end + 1] == "."

        found: list[MentionRow] = []
        bare: list[tuple[int, frozenset[str]]] = []
        used: set[int] = set()
        spans: list[tuple[int, int]] = []
        memo = self._memo
        for i in range(n):
            surface = words[i][2]
            if i in used or not surface[:1].isupper():
                continue
            cand_set, cand_sorted = self.candidates(surface)
            if not cand_sorted:
                continue
            prev = i - 1 if i > 0 and adjacent(i - 1, i) else None
            prev2 = i - 2 if prev is not None and i > 1 and adjacent(i - 2, i - 1) else None
            nxt = i + 1 if i + 1 < n and adjacent(i, i + 1) else None
            nxt2 = i + 2 if nxt is not None and i + 2 < n and adjacent(i + 1, i + 2) else None
            prev_init = prev is not None and is_initial(prev)
            # The outcome depends only on these words as written (and whether the neighbours
            # are initials), and names recur in the same contexts: memoise it.
            context = (
                surface,
                words[prev][2] if prev is not None else None,
                words[prev2][2] if prev2 is not None else None,
                words[nxt][2] if nxt is not None else None,
                words[nxt2][2] if nxt2 is not None else None,
                prev_init,
                prev2 is not None and is_initial(prev2),
                nxt is not None and is_initial(nxt),
            )
            outcome = memo.get(context)
            if outcome is None:
                if len(memo) > MEMO_MAX:
                    memo.clear()
                outcome = memo[context] = self._match(context, cand_sorted)
            rel, look_alike = outcome
            best = None if rel is None else (i + rel[0], i + rel[1], rel[2], rel[3])
            if best is not None:
                first, last, basis, pid = best
                start, end = words[first][0], words[last][1]
                found.append(
                    (
                        "person",
                        pid,
                        start,
                        end,
                        text[start:end],
                        basis,
                        self.matched_name(pid, surface),
                    )
                )
                spans.append((first, last))
                used.update(range(first, last + 1))
                continue
            if look_alike or (prev is not None and (prev_init or self.given_like(words[prev][2]))):
                continue
            bare.append((i, cand_set))

        named_in_full = {f[1] for f in found}
        for i, cands in bare:
            chosen = cands & named_in_full if len(cands) > 1 else cands
            if len(chosen) != 1:
                continue
            pid = next(iter(chosen))
            start, end, surface = words[i]
            found.append(
                ("person", pid, start, end, surface, "surname", self.matched_name(pid, surface))
            )
            spans.append((i, i))
        taken: set[int] = set()
        for first, last in spans:
            taken.update(range(first, last + 1))

        i = 0
        while i < n:
            surface = words[i][2]
            starts = self._starts.get(surface)
            if starts is None:
                starts = self._starts[surface] = surface in lex.abbreviations or any(
                    self.phrase_index(s) is not None for s in skels[i]
                )
            if not starts:
                i += 1
                continue
            hit: tuple[int, str, str] | None = None
            for org_id, variant in lex.abbreviations.get(surface, []):
                hit = (1, org_id, variant)
            # detection walks every phrase that starts with one of the word's skeletons and
            # keeps the first of the longest that match; the same, looking only at phrases
            # whose second word also fits.
            best_key: tuple[int, int] | None = None
            best_phrase: tuple[str, list[frozenset[str]], str] | None = None
            for rank, s in enumerate(skels[i]):
                index = self.phrase_index(s)
                if index is None:
                    continue
                singles, by_second = index
                options: list[tuple[int, tuple[str, list[frozenset[str]], str]]] = list(singles)
                if i + 1 < n:
                    for s2 in skels[i + 1]:
                        options += by_second.get(s2, ())
                for pos, phrase in options:
                    m = len(phrase[1])
                    if i + m > n or (hit is not None and hit[0] >= m):
                        continue
                    key = (-m, rank, pos)
                    if best_key is not None and key >= best_key:
                        continue
                    sets = phrase[1]
                    if all(skels[i + k] & sets[k] for k in range(m)) and all(
                        adjacent(i + k, i + k + 1)
                        or text[words[i + k][1] : words[i + k + 1][0]].strip() == ""
                        for k in range(m - 1)
                    ):
                        best_key, best_phrase = key, phrase
            if best_phrase is not None:
                hit = (len(best_phrase[1]), best_phrase[0], best_phrase[2])
            if hit is not None and not any(k in taken for k in range(i, i + hit[0])):
                m, org_id, variant = hit
                start, end = words[i][0], words[i + m - 1][1]
                found.append(("organization", org_id, start, end, text[start:end], "name", variant))
                i += m
            else:
                i += 1
        found.sort(key=lambda f: (f[2], f[3]))
        return found


def as_rows(found: Sequence[Found]) -> list[MentionRow]:
    """detection.detect's answer in the shape Detector.detect gives."""
    return [
        (f.entity_type.value, f.entity_id, f.start, f.end, f.text, f.basis, f.matched_name)
        for f in found
    ]
