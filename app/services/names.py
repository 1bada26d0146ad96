"""Name normalisation: the key that name search compares, identical in Python and in the DB."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def name_key(text: str) -> str:
    """Casefold, fold ё to е, drop Latin diacritics (é→e), treat punctuation as space,
    collapse spaces, drop transliteration primes (ʹ ʺ). Cyrillic letters other than ё keep
    their identity (й is not и).

    "Сергей Семёнович Собянин" -> "сергей семенович собянин"; "O'Neil" -> "o neil".
    """
    # ʹ/ʺ mark soft and hard signs in scholarly transliterations (Elʹvira); most writers omit
    # them, so they are dropped rather than treated as word breaks.
    folded = unicodedata.normalize("NFC", text.casefold()).replace("ё", "е")
    folded = folded.replace("\u02b9", "").replace("\u02ba", "")
    out = []
    for char in folded:
        if "\u0400" <= char <= "\u04ff":
            out.append(char)
        else:
            out.extend(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
    return " ".join(_NON_WORD.sub(" ", "".join(out)).split())
