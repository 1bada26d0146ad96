"""Name normalisation: the key that name search compares, identical in Python and in the DB."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def name_key(text: str) -> str:
    """Casefold, fold ё to е, drop Latin diacritics (é→e), treat punctuation as space,
    collapse spaces. Cyrillic letters other than ё keep their identity (й is not и).

    "Сергей Семёнович Собянин" -> "сергей семенович собянин"; "O'Neil" -> "o neil".
    """
    folded = unicodedata.normalize("NFC", text.casefold()).replace("ё", "е")
    out = []
    for char in folded:
        if "\u0400" <= char <= "\u04ff":
            out.append(char)
        else:
            out.extend(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
    return " ".join(_NON_WORD.sub(" ", "".join(out)).split())
