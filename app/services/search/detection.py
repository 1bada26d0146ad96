"""Finding where a source names a known person or organisation.

Words are compared by skeleton (app/services/search/terms.py), so any transliteration of a name and,
in Russian, any inflected case of it ("Набиуллиной", "с Мишустиным") meets the person's name
forms. A person is attributed only on evidence:

- given name (and patronymic, or its initial) then surname, in either order: "Elvira
  Nabiullina", "Эльвиры Набиуллиной", "Alexei L. Kudrin", "Кудрин Алексей Леонидович" (basis
  `full_name`, `surname_first`);
- initials that agree with the given name/patronymic: "A. Kudrin", "А. Л. Кудрин"
  (basis `initials`); other initials ("S. Kudrin") are someone else;
- the surname alone (basis `surname`), only if it is not directly after some other given
  name or initial ("Tatiana Gref", "Alexander Kudrin" are look-alikes, not the figures), and
  only if one known person has that surname, or the text names exactly one of those who
  do in full elsewhere.

Organisations are found by any of their name forms as a whole phrase (basis `name`); short
abbreviations ("ЦБ", "CBR") only as written, in capitals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlmodel import Session, col

from app.models import Mention, NameVariant, Source
from app.models.common import EntityType
from app.services.search import terms
from app.services.search.lexicon import (
    KnownPerson,
    Lexicon,
    given_names,
    load_lexicon,
    text_skels,
)


@dataclass(frozen=True)
class Found:
    entity_type: EntityType
    entity_id: str
    start: int
    end: int
    text: str
    basis: str
    matched_name: str


def _adjacent(text: str, left: terms.Word, right: terms.Word) -> bool:
    """Only spaces (or an initial's full stop) between two words of one name."""
    gap = text[left.end : right.start]
    return gap.strip() in ("", ".") and "\n\n" not in gap and len(gap) <= 3


def _is_initial(text: str, word: terms.Word) -> bool:
    return (
        len(word.surface) == 1 and word.surface.isupper() and text[word.end : word.end + 1] == "."
    )


def _initial_of(word: terms.Word) -> str:
    return terms.word_skeleton(word.surface)[:1]


def _given_like(lexicon: Lexicon, word: terms.Word) -> bool:
    """Could this capitalised word be a given name (someone else's first name)?"""
    if not word.capitalised:
        return False
    skels = text_skels(word)
    if skels & (given_names() | lexicon.given_skels):
        return True
    if terms.is_cyrillic(word.surface):
        parses = terms.name_parses(word.surface)
        return "Name" in parses
    return False


@dataclass(frozen=True)
class _Around:
    """The words directly around a capitalised word i (None where there is a gap or an end)."""

    prev2: terms.Word | None
    prev: terms.Word | None
    nxt: terms.Word | None
    nxt2: terms.Word | None


def _around(text: str, words: Sequence[terms.Word], i: int) -> _Around:
    word = words[i]
    prev = words[i - 1] if i > 0 and _adjacent(text, words[i - 1], word) else None
    prev2 = (
        words[i - 2] if prev is not None and i > 1 and _adjacent(text, words[i - 2], prev) else None
    )
    nxt = words[i + 1] if i + 1 < len(words) and _adjacent(text, word, words[i + 1]) else None
    nxt2 = (
        words[i + 2]
        if nxt is not None and i + 2 < len(words) and _adjacent(text, nxt, words[i + 2])
        else None
    )
    return _Around(prev2, prev, nxt, nxt2)


def _initials_match(text: str, p: KnownPerson, i: int, near: _Around) -> tuple[int, int] | None:
    """ "A. Kudrin" or "А. Л. Кудрин": the span if the initials before the surname are the
    person's, else None (someone else's initials). `near.prev` is an initial."""
    assert near.prev is not None
    if near.prev2 is not None and _is_initial(text, near.prev2):
        ok = _initial_of(near.prev2) in p.initials(p.given) and _initial_of(
            near.prev
        ) in p.initials(p.patronymic)
        return (i - 2, i) if ok else None
    return (i - 1, i) if _initial_of(near.prev) in p.initials(p.given) else None


def _match_person(
    text: str, p: KnownPerson, i: int, near: _Around
) -> tuple[tuple[int, int, str] | None, bool]:
    """(first word, last word, basis) of a mention of `p` whose surname is word i, or None;
    and whether the words around it are someone else's initials (a look-alike)."""
    prev, prev2, nxt, nxt2 = near.prev, near.prev2, near.nxt, near.nxt2
    if prev is not None and text_skels(prev) & p.given:
        return (i - 1, i, "full_name"), False
    if (
        prev is not None
        and prev2 is not None
        and text_skels(prev) & p.patronymic
        and text_skels(prev2) & p.given
    ):
        return (i - 2, i, "full_name"), False
    if (
        prev is not None
        and _is_initial(text, prev)
        and prev2 is not None
        and text_skels(prev2) & p.given
        and _initial_of(prev) in p.initials(p.patronymic)
    ):
        # "Alexei L. Kudrin": given name, patronymic initial, surname.
        return (i - 2, i, "full_name"), False
    if prev is not None and _is_initial(text, prev):
        span = _initials_match(text, p, i, near)
        return ((*span, "initials"), False) if span is not None else (None, True)
    if nxt is not None and text_skels(nxt) & p.given:
        last = i + 2 if nxt2 is not None and text_skels(nxt2) & p.patronymic else i + 1
        return (i, last, "surname_first"), False
    if nxt is not None and _is_initial(text, nxt) and _initial_of(nxt) in p.initials(p.given):
        return (i, i + 1, "initials"), False
    return None, False


def _person_spans(
    text: str, words: Sequence[terms.Word], lexicon: Lexicon
) -> tuple[list[Found], list[tuple[int, set[str]]]]:
    """Full-name and initial mentions, and the positions of bare surnames to decide later."""
    found: list[Found] = []
    bare: list[tuple[int, set[str]]] = []
    used: set[int] = set()
    for i, word in enumerate(words):
        if i in used or not word.capitalised:
            continue
        candidates = set().union(*(lexicon.by_family.get(s, set()) for s in text_skels(word)))
        if not candidates:
            continue
        near = _around(text, words, i)
        best: tuple[int, int, str, str] | None = None  # (first word, last word, basis, person)
        look_alike = False
        for pid in sorted(candidates):
            match, other = _match_person(text, lexicon.persons[pid], i, near)
            look_alike = look_alike or other
            if match is not None and (best is None or match[1] - match[0] > best[1] - best[0]):
                best = (*match, pid)
        if best is not None:
            first, last, basis, pid = best
            start, end = words[first].start, words[last].end
            matched = _matched_name(lexicon.persons[pid], words[i])
            found.append(Found(EntityType.person, pid, start, end, text[start:end], basis, matched))
            used.update(range(first, last + 1))
            continue
        prev = near.prev
        if look_alike or (
            prev is not None and (_is_initial(text, prev) or _given_like(lexicon, prev))
        ):
            continue
        bare.append((i, candidates))
    return found, bare


def _matched_name(person: KnownPerson, word: terms.Word) -> str:
    for s in sorted(text_skels(word)):
        if s in person.names:
            return person.names[s]
    return next(iter(person.names.values()), "")


def _org_spans(
    text: str, words: Sequence[terms.Word], lexicon: Lexicon, taken: set[int]
) -> list[Found]:
    found = []
    i = 0
    while i < len(words):
        word = words[i]
        hit: tuple[int, str, str] | None = None  # (words used, org id, name)
        for org_id, variant in lexicon.abbreviations.get(word.surface, []):
            hit = (1, org_id, variant)
        for s in text_skels(word):
            for org_id, sets, variant in lexicon.phrases.get(s, []):
                n = len(sets)
                if i + n > len(words) or (hit is not None and hit[0] >= n):
                    continue
                span = words[i : i + n]
                if all(
                    text_skels(w) & wanted for w, wanted in zip(span, sets, strict=True)
                ) and all(
                    _adjacent(text, a, b) or text[a.end : b.start].strip() == ""
                    for a, b in zip(span, span[1:], strict=False)
                ):
                    hit = (n, org_id, variant)
        if hit is not None and not (set(range(i, i + hit[0])) & taken):
            n, org_id, variant = hit
            start, end = words[i].start, words[i + n - 1].end
            found.append(
                Found(EntityType.organization, org_id, start, end, text[start:end], "name", variant)
            )
            i += n
        else:
            i += 1
    return found


def detect(text: str, lexicon: Lexicon) -> list[Found]:
    """Every mention of a known person or organisation in a text, in text order."""
    words = terms.words(text)
    found, bare = _person_spans(text, words, lexicon)
    named_in_full = {f.entity_id for f in found}
    for i, candidates in bare:
        chosen = candidates & named_in_full if len(candidates) > 1 else candidates
        if len(chosen) != 1:
            continue
        pid = next(iter(chosen))
        word = words[i]
        found.append(
            Found(
                EntityType.person,
                pid,
                word.start,
                word.end,
                word.surface,
                "surname",
                _matched_name(lexicon.persons[pid], word),
            )
        )
    taken = {i for i, w in enumerate(words) for f in found if f.start <= w.start and w.end <= f.end}
    found += _org_spans(text, words, lexicon, taken)
    found.sort(key=lambda f: (f.start, f.end))
    return found


def store(session: Session, source_id: str, found: Iterable[Found]) -> int:
    """Replace a source's mentions with these; returns how many."""
    session.execute(delete(Mention).where(col(Mention.source_id) == source_id))
    rows = [
        Mention(
            source_id=source_id,
            person_id=f.entity_id if f.entity_type is EntityType.person else None,
            organization_id=f.entity_id if f.entity_type is EntityType.organization else None,
            start=f.start,
            end=f.end,
            text=f.text[:300],
            basis=f.basis,
            matched_name=f.matched_name[:300],
        )
        for f in found
    ]
    session.add_all(rows)
    return len(rows)


def _sources_naming(session: Session, names: Sequence[tuple[EntityType, str]]) -> set[str]:
    """Sources that mention these entities now, or whose words include one of their names'
    words (found through the full-text index), so a renamed or new entity's mentions follow."""
    persons = [i for t, i in names if t is EntityType.person]
    orgs = [i for t, i in names if t is EntityType.organization]
    conditions = []
    if persons:
        conditions.append(col(Mention.person_id).in_(persons))
    if orgs:
        conditions.append(col(Mention.organization_id).in_(orgs))
    out = (
        set(session.scalars(select(col(Mention.source_id)).where(or_(*conditions))))
        if conditions
        else set()
    )
    words: set[str] = set()
    for owner, ids in (
        (col(NameVariant.person_id), persons),
        (col(NameVariant.organization_id), orgs),
    ):
        if ids:
            for (key,) in session.execute(select(col(NameVariant.key)).where(owner.in_(ids))):
                words.update(key.split())
    if words:
        from app.services.search.backends import backend_for

        out |= set(backend_for(session).doc_ids_with_any(session, "source", sorted(words)))
    return out


def refresh(
    session: Session,
    *,
    sources: Sequence[str] = (),
    names: Sequence[tuple[EntityType, str]] = (),
    lexicon: Lexicon | None = None,
) -> None:
    """Find the mentions of these sources again, and of every source a changed name may
    concern. Runs in the caller's transaction."""
    todo = set(sources)
    if names:
        todo |= _sources_naming(session, names)
    if not todo:
        return
    lexicon = lexicon or load_lexicon(session)
    for source_id in sorted(todo):
        text = session.scalars(select(col(Source.text)).where(col(Source.id) == source_id)).first()
        if text is None:
            session.execute(delete(Mention).where(col(Mention.source_id) == source_id))
            continue
        store(session, source_id, detect(text, lexicon))
    session.flush()
