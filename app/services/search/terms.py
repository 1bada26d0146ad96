"""Words and names as search compares them, the same on every backend and for every script.

Three keys per word, computed here in Python so SQLite and PostgreSQL index exactly the same
strings:
- `key`: what full-text search indexes. Latin words are casefolded with diacritics and inner
  apostrophes dropped ("Putin's" is the word "putin" plus a possessive ending); Cyrillic words
  are reduced to their dictionary form with pymorphy3 ("Набиуллиной", "Набиуллина" ->
  "набиуллин"; "с Мишустиным" -> "мишустин"), so inflected Russian finds the base form.
- `skel`: a Latin "skeleton" that different transliterations of one Russian name share:
  Cyrillic is romanised (iuliia's Wikipedia scheme), diacritics go, and spellings that
  transliteration schemes disagree on are folded (y/j -> i, kh -> h, sch -> sh, ou -> u,
  x -> ks, doubled letters once, a French final -ine -> -in). "Sobianin", "Sobyanin" and
  "Собянин" all give "sobianin"; "Koudrine" and "Kudrin" give "kudrin".
- the surface text and its code-point offsets, for highlights and mentions.

pymorphy3's parses are cached: a word is analysed once per process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import iuliia
import pymorphy3

# Words are runs of letters and digits; an apostrophe inside a word joins it ("O'Neil",
# "El’vira"). ʹ and ʺ (scholarly soft/hard signs) are word characters for the same reason.
# A combining mark (a decomposed "š", a stress mark on "Собя́нин") stays inside its word.
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_PART = rf"[^\W_](?:[^\W_]|[{_MARKS}])*"
_WORD = re.compile(rf"{_PART}(?:[’'ʼʹʺ]{_PART})*|[ʹʺ]")
_APOSTROPHES = "’'ʼ"
_PRIMES = "ʹʺ"
_POSSESSIVE = re.compile(r"[’'ʼ][sS]$")

# The schemes whose romanisations are stored as name variants, with the names the API shows.
# MVD 310 FR is the French-style passport spelling (Koudrine, Sobianine) seen in
# French-language press; the rest cover the English, library, passport and ISO conventions.
TRANSLITERATIONS: tuple[tuple[str, iuliia.Schema], ...] = (
    ("wikipedia", iuliia.WIKIPEDIA),
    ("bgn_pcgn", iuliia.BGN_PCGN),
    ("icao_doc_9303", iuliia.ICAO_DOC_9303),
    ("gost_779", iuliia.GOST_779),
    ("ala_lc", iuliia.ALA_LC),
    ("scientific", iuliia.SCIENTIFIC),
    ("mosmetro", iuliia.MOSMETRO),
    ("yandex_maps", iuliia.YANDEX_MAPS),
    ("telegram", iuliia.TELEGRAM),
    ("gost_52535", iuliia.GOST_52535),
    ("mvd_310_fr", iuliia.MVD_310_FR),
)
_SKELETON_SCHEME = iuliia.WIKIPEDIA

_SKELETON_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"shch|sch|chtch", "sh"),
        (r"tch", "ch"),
        (r"kh", "h"),
        (r"x", "ks"),
        (r"w", "v"),
        (r"ph", "f"),
        (r"ou", "u"),
        (r"[yj]", "i"),
        (r"(?<=\w{3})ine$", "in"),
        (r"(\w)\1+", r"\1"),
    )
)


def _read_stopwords() -> frozenset[str]:
    text = resources.files("app").joinpath("data/stopwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


# Words too common to narrow a full-text search (app/data/stopwords.txt).
STOPWORDS = _read_stopwords()


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def is_cyrillic(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Casefold, ё -> е, drop Latin diacritics and apostrophes/primes; Cyrillic keeps й."""
    folded = unicodedata.normalize("NFC", word.casefold()).replace("ё", "е")
    out = []
    for char in folded:
        if char in _APOSTROPHES or char in _PRIMES:
            continue
        if "\u0400" <= char <= "\u04ff":
            out.append(char)
        else:
            out.extend(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
    return "".join(out)


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The dictionary form of a folded Cyrillic word. A name's parse is preferred to a common
    word's, so "Путина" is the surname Putin, not the noun путина."""
    parses = _morph().parse(word)
    if not parses:
        return word
    for parse in parses:
        if {"Surn", "Name", "Patr"} & parse.tag.grammemes:
            return str(parse.normal_form).replace("ё", "е")
    return str(parses[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=50_000)
def name_parses(word: str) -> frozenset[str]:
    """Which of Name (given name), Surn and Patr pymorphy3 finds among a Cyrillic word's
    parses."""
    grammemes: set[str] = set()
    for parse in _morph().parse(fold(word)):
        grammemes |= {"Surn", "Name", "Patr"} & parse.tag.grammemes
    return frozenset(grammemes)


@lru_cache(maxsize=200_000)
def word_key(word: str) -> str:
    """The full-text key of one word (see the module docstring)."""
    folded = fold(word)
    if is_cyrillic(folded) and folded.isalpha():
        return lemma(folded)
    return folded


@lru_cache(maxsize=200_000)
def word_skeleton(word: str) -> str:
    """The transliteration-insensitive Latin skeleton of one word."""
    folded = fold(word)
    if is_cyrillic(folded):
        folded = fold(_SKELETON_SCHEME.translate(folded))
    for pattern, repl in _SKELETON_RULES:
        folded = pattern.sub(repl, folded)
    return folded


@lru_cache(maxsize=200_000)
def lemma_skeleton(word: str) -> str:
    """The skeleton of a word's dictionary form ("Набиуллиной" -> "nabiulin")."""
    return word_skeleton(word_key(word))


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: its span (code points, half-open), surface and keys."""

    start: int
    end: int
    surface: str
    key: str

    @property
    def skel(self) -> str:
        return word_skeleton(self.surface)

    @property
    def skels(self) -> frozenset[str]:
        """The skeletons this word can be compared by: its own and, for Cyrillic, its
        dictionary form's (so "Грефа" meets "Греф" and "Gref")."""
        if is_cyrillic(self.surface):
            return frozenset((self.skel, lemma_skeleton(self.surface)))
        return frozenset((self.skel,))

    @property
    def capitalised(self) -> bool:
        return self.surface[:1].isupper()


def words(text: str) -> list[Word]:
    """The words of a text with their offsets. A possessive ending ("Putin's", "Gref’s") is not
    part of the word's span."""
    out = []
    for m in _WORD.finditer(text):
        surface = m.group()
        if surface in _PRIMES:
            continue
        start, end = m.span()
        if (p := _POSSESSIVE.search(surface)) and p.start() > 0:
            surface = surface[: p.start()]
            end = start + len(surface)
        key = word_key(surface)
        if key:
            out.append(Word(start, end, surface, key))
    return out


def nth_word_start(text: str, n: int) -> int | None:
    """Where the n-th (0-based) word of `words(text)` starts, without analysing the words
    before it: for placing a snippet in a long text whose keys are already known."""
    seen = -1
    for m in _WORD.finditer(text):
        if m.group() in _PRIMES:
            continue
        seen += 1
        if seen == n:
            return m.start()
    return None


def keys(text: str) -> list[str]:
    """The full-text keys of a text, in order."""
    return [w.key for w in words(text)]


def index_text(*parts: str | None) -> str:
    """What the full-text index stores for a document: its keys, space-separated."""
    return " ".join(k for part in parts if part for k in keys(part))


def skeleton(text: str) -> str:
    """The skeleton of a whole name, word by word, space-separated."""
    return " ".join(word_skeleton(w.surface) for w in words(text))


def transliterations(name: str) -> list[tuple[str, str]]:
    """(scheme, romanised name) for a Cyrillic name under each stored scheme, first spelling
    of each distinct result only."""
    if not is_cyrillic(name):
        return []
    seen: set[str] = set()
    out = []
    for scheme, schema in TRANSLITERATIONS:
        # Some schemes leave ё as it is; ë is what BGN/PCGN and the ISO family write for it.
        latin = schema.translate(name).replace("ё", "ë").replace("Ё", "Ë")
        if is_cyrillic(latin):
            continue
        if latin not in seen:
            seen.add(latin)
            out.append((scheme, latin))
    return out


# -- name keys: what name search compares, identical in Python and in the DB --------------

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_APOSTROPHE = re.compile(r"[’'ʼ]")


def name_key(text: str) -> str:
    """Casefold, fold ё to е, drop Latin diacritics (é→e), treat punctuation (apostrophes
    included) as space, collapse spaces, drop transliteration primes (ʹ ʺ). Cyrillic letters
    other than ё keep their identity (й is not и). The folding is terms.fold's.

    "Сергей Семёнович Собянин" -> "сергей семенович собянин"; "O'Neil" -> "o neil".
    """
    return " ".join(_NON_WORD.sub(" ", fold(_APOSTROPHE.sub(" ", text))).split())
