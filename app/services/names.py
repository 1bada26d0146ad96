"""Name normalisation: the key that name search compares, identical in Python and in the DB."""

from __future__ import annotations

import re

from app.services.terms import fold

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_APOSTROPHE = re.compile(r"[’'ʼ]")


def name_key(text: str) -> str:
    """Casefold, fold ё to е, drop Latin diacritics (é→e), treat punctuation (apostrophes
    included) as space, collapse spaces, drop transliteration primes (ʹ ʺ). Cyrillic letters
    other than ё keep their identity (й is not и). The folding is terms.fold's.

    "Сергей Семёнович Собянин" -> "сергей семенович собянин"; "O'Neil" -> "o neil".
    """
    return " ".join(_NON_WORD.sub(" ", fold(_APOSTROPHE.sub(" ", text))).split())
