"""Field types and rules shared by the request bodies: size limits, slugs, codes, lines and
paragraphs with their maxima, code-point offsets, and the `Strict` base (unknown fields refused).

Every string of a request body is `Text` or `Line` (no NUL, lone surrogates or control
characters) with a documented maximum. Create bodies list every field; update bodies (PATCH)
are partial: a field sent replaces the stored one, a field left out is kept. Fields that cannot
be empty refuse an explicit `null` in a PATCH (leave them out instead); their schema says so by
not being nullable.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField

from app.models.common import (
    SLUG_MAX,
    SLUG_PATTERN,
    Line,
    Text,
)

NAMES_MAX = 50
IDENTIFIERS_MAX = 50
AUTHORS_MAX = 20
SUBJECTS_MAX = 50
SOURCE_TEXT_MAX = 250_000
QUOTE_MAX = 5_000

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_MAX)]
ClaimId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=20)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Lang = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$", max_length=16),
    PField(description="BCP 47 language tag: `en`, `ru`, `ru-Latn`."),
]
# The checks of `Line` and `Text` (no NUL, lone surrogates or control characters), applied after
# the length limits so those are checked on the plain string, after stripping.
_LINE_RULE = get_args(Line)[1]
_TEXT_RULE = get_args(Text)[1]


def _stripped(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000), _LINE_RULE]
ShortLine = Annotated[str, _stripped(40), _LINE_RULE]
NameLine = Annotated[str, _stripped(300), _LINE_RULE]
LongLine = Annotated[str, _stripped(500), _LINE_RULE]
HedgeLine = Annotated[str, StringConstraints(min_length=1, max_length=200), _LINE_RULE]
Paragraph = Annotated[str, StringConstraints(min_length=1, max_length=2000), _TEXT_RULE]
Quote = Annotated[str, StringConstraints(min_length=1, max_length=QUOTE_MAX), _TEXT_RULE]
SourceText = Annotated[str, StringConstraints(min_length=1, max_length=SOURCE_TEXT_MAX), _TEXT_RULE]
Start = Annotated[int, PField(ge=0, description="Code point offset, inclusive.")]
End = Annotated[int, PField(ge=1, description="Code point offset, exclusive.")]
Occurrence = Annotated[
    int, PField(ge=1, description="Which occurrence of the quote, 1-based (without start/end).")
]


def not_null(value: Any) -> Any:
    """PATCH fields that cannot be empty: `null` is refused (leave the field out to keep it)."""
    if value is None:
        raise ValueError("may not be null; leave the field out to keep the current value")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
