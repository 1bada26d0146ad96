"""Every known name, arranged for scanning a text: given names, patronymics and surnames of
persons by skeleton, organisation name phrases and abbreviations.

The lexicon is built from the name_variant rows once per process and rebuilt when they
change; the skeletons are those of app/services/search/terms.py, so a lexicon entry meets any
transliteration and, in Russian, any inflected case of the name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.models import NameVariant
from app.services.search import terms

_ABBREVIATION_MAX = 4
# Russian dictionary forms of surnames are masculine (Набиуллиной -> набиуллин): a feminine
# romanised surname is also known by that stem.
_FEMININE_ENDINGS = re.compile(r"(?<=[a-z]{2})(in|ov|ev|ik|sk|ij)a$")


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Skeletons of common given names (app/data/given_names.txt, with every romanisation of
    the Cyrillic ones), used to tell "Alexander Kudrin" from "Mayor Kudrin"."""
    text = resources.files("app").joinpath("data/given_names.txt").read_text(encoding="utf-8")
    out: set[str] = set()
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        out.add(terms.word_skeleton(name))
        for _, latin in terms.transliterations(name):
            out.add(terms.word_skeleton(latin))
    return frozenset(out)


@lru_cache(maxsize=100_000)
def name_skels(word: str) -> frozenset[str]:
    """The skeletons a name word is known by: as written, in its dictionary form (Cyrillic)
    and, for a feminine surname, the masculine stem that Russian dictionary forms use."""
    out = {terms.word_skeleton(word)}
    if terms.is_cyrillic(word):
        out.add(terms.lemma_skeleton(word))
    out |= {_FEMININE_ENDINGS.sub(r"\1", s) for s in out}
    return frozenset(out)


def text_skels(word: terms.Word) -> frozenset[str]:
    out = set(word.skels)
    out |= {_FEMININE_ENDINGS.sub(r"\1", s) for s in out}
    return frozenset(out)


@dataclass
class KnownPerson:
    id: str
    given: set[str] = field(default_factory=set)
    patronymic: set[str] = field(default_factory=set)
    family: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)

    def initials(self, parts: set[str]) -> set[str]:
        return {s[0] for s in parts if s}


@dataclass
class Lexicon:
    """Every known name, arranged for scanning a text."""

    persons: dict[str, KnownPerson] = field(default_factory=dict)
    by_family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # organisation phrases: first word skeleton -> [(org id, word skeleton sets, name)]
    phrases: dict[str, list[tuple[str, list[frozenset[str]], str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    abbreviations: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    given_skels: set[str] = field(default_factory=set)

    def add_person(self, person_id: str, variant: str) -> None:
        person = self.persons.setdefault(person_id, KnownPerson(person_id))
        words = [w.surface for w in terms.words(variant)]
        if not words:
            return
        if len(words) == 1:
            person.family |= name_skels(words[0])
        else:
            person.given |= name_skels(words[0])
            person.family |= name_skels(words[-1])
            if len(words) >= 3:
                person.patronymic |= name_skels(words[1])
        for s in name_skels(words[-1]):
            self.by_family[s].add(person_id)
            person.names.setdefault(s, variant)
        self.given_skels |= person.given

    def add_organization(self, org_id: str, variant: str) -> None:
        words = terms.words(variant)
        if not words:
            return
        if len(words) == 1 and len(words[0].surface) <= _ABBREVIATION_MAX:
            self.abbreviations[words[0].surface].append((org_id, variant))
            return
        sets = [name_skels(w.surface) for w in words]
        for first in sets[0]:
            self.phrases[first].append((org_id, sets, variant))


_cached: tuple[tuple[int, int], Lexicon] | None = None


def load_lexicon(session: Session) -> Lexicon:
    """Every known name, read from the name variants. Built once per process and reused
    while the variants are unchanged: each change to them deletes and inserts rows, and as
    ids are never reused, that moves their highest id or their count."""
    global _cached
    stamp_row = session.execute(select(func.max(NameVariant.id), func.count())).one()
    stamp = (int(stamp_row[0] or 0), int(stamp_row[1]))
    if _cached is not None and _cached[0] == stamp:
        return _cached[1]
    lexicon = _build_lexicon(session)
    _cached = (stamp, lexicon)
    return lexicon


def _build_lexicon(session: Session) -> Lexicon:
    lexicon = Lexicon()
    rows = session.execute(
        select(
            col(NameVariant.person_id), col(NameVariant.organization_id), col(NameVariant.variant)
        ).order_by(col(NameVariant.id))
    )
    for person_id, organization_id, variant in rows:
        if person_id is not None:
            lexicon.add_person(person_id, variant)
        else:
            lexicon.add_organization(organization_id, variant)
    return lexicon
