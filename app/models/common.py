"""Shared column helpers, vocabularies and small public shapes used by several entities."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy import DateTime, MetaData
from sqlmodel import Field, SQLModel

# Stable constraint names make migrations reproducible and diffable on both backends.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX = 100


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def timestamp_field() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class Script(StrEnum):
    """ISO 15924 script codes of name forms."""

    latin = "Latn"
    cyrillic = "Cyrl"


class NameKind(StrEnum):
    original = "original"
    patronymic = "patronymic"
    transliteration = "transliteration"
    alias = "alias"
    abbreviation = "abbreviation"
    as_written = "as_written"


class DatePrecision(StrEnum):
    year = "year"
    month = "month"
    day = "day"


class OrganizationKind(StrEnum):
    state_body = "state_body"
    central_bank = "central_bank"
    company = "company"
    city_government = "city_government"
    media = "media"
    informal_group = "informal_group"


class RoleKind(StrEnum):
    position = "position"
    membership = "membership"


class RoleStatus(StrEnum):
    current = "current"
    former = "former"
    unknown = "unknown"


class Rights(StrEnum):
    full_text = "full_text"
    excerpts = "excerpts"
    metadata_only = "metadata_only"


class ClaimKind(StrEnum):
    characterization = "characterization"
    assertion = "assertion"
    belief_attribution = "belief_attribution"
    prediction = "prediction"
    prescription = "prescription"
    role_statement = "role_statement"


class Modality(StrEnum):
    asserted = "asserted"
    hedged = "hedged"
    speculative = "speculative"
    reported = "reported"


class Stance(StrEnum):
    favourable = "favourable"
    unfavourable = "unfavourable"
    neutral = "neutral"
    mixed = "mixed"


class EntityType(StrEnum):
    person = "person"
    organization = "organization"


class NameForm(BaseModel):
    """One written form of a name, with where the curators got it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    lang: str | None = None
    script: Script
    kind: NameKind
    scheme: str | None = None
    provenance: str


class Identifier(BaseModel):
    """A cross-reference to another system (scheme + value), e.g. wikidata Q7747."""

    model_config = ConfigDict(extra="forbid")

    scheme: str
    value: str
    url: str | None = None


class EntityRef(BaseModel):
    """A typed pointer to a person or organisation, with its display name."""

    type: EntityType
    id: str
    name: str


class ClaimCounts(BaseModel):
    """How many claims have this entity among their subjects, in all and per kind."""

    total: int
    by_kind: dict[str, int]


def _clean_text(value: str) -> str:
    # JSON can carry "\u0000" and lone surrogates ("\ud800"): neither is text, PostgreSQL
    # refuses NUL outright and surrogates cannot be encoded, so refuse them at the door.
    for ch in value:
        code = ord(ch)
        if code == 0:
            raise ValueError("NUL characters are not allowed")
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError("invalid Unicode: lone surrogate code point")
        if (code < 0x20 and ch not in "\t\n\r") or code == 0x7F:
            raise ValueError(f"control character U+{code:04X} is not allowed")
    return value


def clean_line(value: str) -> str:
    _clean_text(value)
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("must be a single line")
    return value


# Free text (paragraphs allowed) and single-line text, as accepted in request bodies.
Text = Annotated[str, AfterValidator(_clean_text)]
Line = Annotated[str, AfterValidator(clean_line)]
