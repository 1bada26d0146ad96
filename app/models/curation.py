"""Request bodies of the curation writes (curate scope): persons, organisations, roles,
sources and claims.

Create bodies list every field; update bodies (PATCH) are partial: a field sent replaces the
stored one, a field left out is kept. Fields that cannot be empty refuse an explicit `null` in a
PATCH (leave them out instead); their schema says so by not being nullable. Every string is
`Text` or `Line` (no NUL, lone surrogates or control characters) with a documented maximum.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator
from pydantic import Field as PField
from pydantic.json_schema import SkipJsonSchema

from app.models.common import (
    SLUG_MAX,
    SLUG_PATTERN,
    ClaimKind,
    DatePrecision,
    EntityType,
    Line,
    Modality,
    NameKind,
    OrganizationKind,
    Rights,
    RoleKind,
    RoleStatus,
    Script,
    Stance,
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


class NameFormIn(Strict):
    """One written form of a name, with where the curator got it."""

    name: NameLine
    lang: Lang | None = None
    script: Script
    kind: NameKind
    scheme: Code | None = PField(
        default=None, description="Transliteration scheme, e.g. `bgn_pcgn`, `iso9`."
    )
    provenance: LongLine


class IdentifierIn(Strict):
    """An identifier in another system; one (scheme, value) names one person or organisation."""

    scheme: Code = PField(description="`wikidata`, `enwiki`, `ruwiki`, ...")
    value: NameLine


NameForms = Annotated[list[NameFormIn], PField(max_length=NAMES_MAX)]
Identifiers = Annotated[list[IdentifierIn], PField(max_length=IDENTIFIERS_MAX)]

_LAVROV_NAMES: list[Any] = [
    {
        "name": "Сергей Лавров",
        "lang": "ru",
        "script": "Cyrl",
        "kind": "original",
        "provenance": "curator: reference knowledge (Russian-language press usage)",
    },
    {
        "name": "Sergey Lavrov",
        "lang": "ru-Latn",
        "script": "Latn",
        "kind": "transliteration",
        "scheme": "bgn_pcgn",
        "provenance": "curator: reference knowledge (BGN/PCGN romanization)",
    },
]


def _plausible_birth(value: date | None) -> date | None:
    if value is not None and not date(1850, 1, 1) <= value <= date.today():
        raise ValueError("birth_date must be between 1850-01-01 and today")
    return value


BirthDate = Annotated[date, AfterValidator(_plausible_birth)]


class PersonCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "sergei-lavrov",
                    "name": "Sergei Lavrov",
                    "description": "Minister of Foreign Affairs of the Russian Federation.",
                    "names": _LAVROV_NAMES,
                    "identifiers": [],
                }
            ]
        },
    )

    id: Slug = PField(description="Stable slug id; 409 if a person or organisation has it.")
    name: NameLine = PField(description="Display name, in English.")
    description: Paragraph | None = None
    birth_date: BirthDate | None = PField(default=None, description="YYYY-MM-DD, if certain.")
    names: NameForms = PField(default_factory=list)
    identifiers: Identifiers = PField(default_factory=list)


class PersonUpdate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Russian economist; Minister of Finance from 2000 to 2011, "
                    "later head of the Accounts Chamber."
                }
            ]
        },
    )

    name: NameLine | SkipJsonSchema[None] = None
    description: Paragraph | None = None
    birth_date: BirthDate | None = None
    names: NameForms | SkipJsonSchema[None] = PField(default=None, description="Replaces all.")
    identifiers: Identifiers | SkipJsonSchema[None] = PField(
        default=None, description="Replaces all."
    )

    _not_null = field_validator("name", "names", "identifiers")(not_null)


class OrganizationCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "accounts-chamber-of-russia",
                    "name": "Accounts Chamber of the Russian Federation",
                    "kind": "state_body",
                    "names": [
                        {
                            "name": "Счётная палата Российской Федерации",
                            "lang": "ru",
                            "script": "Cyrl",
                            "kind": "original",
                            "provenance": "curator: reference knowledge (official Russian name)",
                        }
                    ],
                }
            ]
        },
    )

    id: Slug = PField(description="Stable slug id; 409 if a person or organisation has it.")
    name: NameLine = PField(description="Display name, in English.")
    kind: OrganizationKind
    description: Paragraph | None = None
    names: NameForms = PField(default_factory=list)
    identifiers: Identifiers = PField(default_factory=list)


class OrganizationUpdate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "state_body"}]},
    )

    name: NameLine | SkipJsonSchema[None] = None
    kind: OrganizationKind | SkipJsonSchema[None] = None
    description: Paragraph | None = None
    names: NameForms | SkipJsonSchema[None] = PField(default=None, description="Replaces all.")
    identifiers: Identifiers | SkipJsonSchema[None] = PField(
        default=None, description="Replaces all."
    )

    _not_null = field_validator("name", "kind", "names", "identifiers")(not_null)


class RoleCreate(Strict):
    """A person's position in, or membership of, an organisation. Dates are optional; a
    precision needs its date, and the end may not come before the start."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "person_id": "alexei-kudrin",
                    "organization_id": "ministry-of-finance-of-russia",
                    "title": "Minister of Finance",
                    "kind": "position",
                    "status": "former",
                    "start_date": "2000-01-01",
                    "start_date_precision": "year",
                    "end_date": "2011-01-01",
                    "end_date_precision": "year",
                }
            ]
        },
    )

    person_id: Slug
    organization_id: Slug
    title: NameLine
    kind: RoleKind
    status: RoleStatus
    start_date: date | None = None
    start_date_precision: DatePrecision | None = None
    end_date: date | None = None
    end_date_precision: DatePrecision | None = None
    claim_id: ClaimId | None = PField(default=None, description="The claim that states it.")


class RoleUpdate(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "former"}]}
    )

    person_id: Slug | SkipJsonSchema[None] = None
    organization_id: Slug | SkipJsonSchema[None] = None
    title: NameLine | SkipJsonSchema[None] = None
    kind: RoleKind | SkipJsonSchema[None] = None
    status: RoleStatus | SkipJsonSchema[None] = None
    start_date: date | None = None
    start_date_precision: DatePrecision | None = None
    end_date: date | None = None
    end_date_precision: DatePrecision | None = None
    claim_id: ClaimId | None = None

    _not_null = field_validator("person_id", "organization_id", "title", "kind", "status")(not_null)


_EXCERPT = (
    "To the surprise of many observers, the Russian elite continues to show great cohesion "
    "around the president."
)


class SourceCreate(Strict):
    """A document and its canonical text, which claim offsets will point into (Unicode code
    points, half-open). The text is stored exactly as sent."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "bondarev-2023-excerpt-elite-cohesion",
                    "title": "The West Must Drive a Wedge Between Putin and Russia's Elites "
                    "(excerpt)",
                    "url": "https://www.themoscowtimes.com/2023/02/23/the-west-must-drive-a-"
                    "wedge-between-putin-and-russia-s-elites-a80296",
                    "published_date": "2023-02-23",
                    "language": "en",
                    "genre": "opinion",
                    "rights": "excerpts",
                    "text": _EXCERPT,
                    "publisher_id": "the-moscow-times",
                    "author_ids": ["boris-bondarev"],
                }
            ]
        },
    )

    id: Slug
    title: LongLine
    url: Url | None = None
    published_date: date | None = None
    language: Lang
    genre: ShortLine
    rights: Rights
    text: SourceText = PField(
        description=f"The canonical text, at most {SOURCE_TEXT_MAX:,} code points (and the "
        "request body at most ELITEKB_MAX_BODY_BYTES)."
    )
    publisher_id: Slug | None = PField(default=None, description="Publisher organisation id.")
    author_ids: Annotated[list[Slug], PField(max_length=AUTHORS_MAX)] = PField(
        default_factory=list, description="Author person ids, in byline order."
    )


class SourceUpdate(Strict):
    """Metadata changes, or a new text: refused (409) while any claim's quote would no longer
    match the new text at its offsets."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"genre": "essay"}]})

    title: LongLine | SkipJsonSchema[None] = None
    url: Url | None = None
    published_date: date | None = None
    language: Lang | SkipJsonSchema[None] = None
    genre: ShortLine | SkipJsonSchema[None] = None
    rights: Rights | SkipJsonSchema[None] = None
    text: SourceText | SkipJsonSchema[None] = None
    publisher_id: Slug | None = None
    author_ids: Annotated[list[Slug], PField(max_length=AUTHORS_MAX)] | SkipJsonSchema[None] = None

    _not_null = field_validator("title", "language", "genre", "rights", "text", "author_ids")(
        not_null
    )


class EntityRefIn(Strict):
    type: EntityType
    id: Slug


class ClaimCreate(Strict):
    """A claim anchored to its exact words: give `start`/`end` (verified against the text) or
    let the server find the quote (with `occurrence`, 1-based, if it occurs more than once).
    Attribution is either a person/organisation (`attributed_to`) or a label
    (`attributed_to_label`, e.g. "many"), exactly one of them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_id": "bondarev-2023-west-must-drive-a-wedge",
                    "quote": "former finance minister Alexei Kudrin",
                    "subjects": [{"type": "person", "id": "alexei-kudrin"}],
                    "attributed_to": {"type": "person", "id": "boris-bondarev"},
                    "kind": "role_statement",
                    "statement": "Alexei Kudrin is a former finance minister of Russia.",
                    "modality": "asserted",
                    "stance": "neutral",
                }
            ]
        },
    )

    source_id: Slug
    quote: Quote
    start: Start | None = None
    end: End | None = None
    occurrence: Occurrence | None = None
    subjects: Annotated[list[EntityRefIn], PField(min_length=1, max_length=SUBJECTS_MAX)]
    attributed_to: EntityRefIn | None = None
    attributed_to_label: NameLine | None = None
    kind: ClaimKind
    statement: Paragraph
    modality: Modality
    hedge: HedgeLine | None = PField(
        default=None, description="The hedging cue words; they must occur in the quote."
    )
    stance: Stance
    rationale: Paragraph | None = None


class ClaimUpdate(Strict):
    """Any field of a claim. Sending `quote`, `start`/`end`, `occurrence` or `source_id`
    anchors the claim again: offsets are verified, or found from the quote."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"stance": "unfavourable"}]}
    )

    source_id: Slug | SkipJsonSchema[None] = None
    quote: Quote | SkipJsonSchema[None] = None
    start: Start | SkipJsonSchema[None] = None
    end: End | SkipJsonSchema[None] = None
    occurrence: Occurrence | SkipJsonSchema[None] = None
    subjects: (
        Annotated[list[EntityRefIn], PField(min_length=1, max_length=SUBJECTS_MAX)]
        | SkipJsonSchema[None]
    ) = None
    attributed_to: EntityRefIn | None = None
    attributed_to_label: NameLine | None = None
    kind: ClaimKind | SkipJsonSchema[None] = None
    statement: Paragraph | SkipJsonSchema[None] = None
    modality: Modality | SkipJsonSchema[None] = None
    hedge: HedgeLine | None = None
    stance: Stance | SkipJsonSchema[None] = None
    rationale: Paragraph | None = None

    _not_null = field_validator(
        "source_id",
        "quote",
        "start",
        "end",
        "occurrence",
        "subjects",
        "kind",
        "statement",
        "modality",
        "stance",
    )(not_null)
