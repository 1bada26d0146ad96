"""Persons: stable slug ids, display name, name forms and identifiers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Date, String
from sqlmodel import Field, SQLModel

from app.models.common import (
    SLUG_MAX,
    ClaimCounts,
    Identifier,
    NameForm,
    UTCDatetime,
    timestamp_field,
)
from app.models.fields import (
    NameLine,
    Paragraph,
    Slug,
    Strict,
    not_null,
)
from app.models.naming import Identifiers, NameForms
from app.models.role import RolePublic


class PersonBase(SQLModel):
    name: str = Field(max_length=300, description="Display name, in English.")
    description: str | None = Field(default=None, max_length=2000)


class Person(PersonBase, table=True):
    id: str = Field(primary_key=True, sa_type=String(SLUG_MAX))
    birth_date: date | None = Field(default=None, sa_type=Date)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class PersonSummary(BaseModel):
    """A person in a list: enough to pick one, with a link to the whole record."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "elvira-nabiullina",
                    "name": "Elvira Nabiullina",
                    "description": "Chair of the Central Bank of the Russian Federation.",
                    "names": [
                        {
                            "name": "Эльвира Набиуллина",
                            "lang": "ru",
                            "script": "Cyrl",
                            "kind": "original",
                            "scheme": None,
                            "provenance": "curator: reference knowledge",
                        }
                    ],
                    "updated_at": "2026-11-27T09:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: str
    name: str
    description: str | None
    names: list[NameForm]
    updated_at: UTCDatetime
    version: int


class PersonPublic(PersonSummary):
    """A person with every name form, identifiers, roles and claim counts."""

    birth_date: date | None = PField(
        description="Date of birth, where the curators are sure of it (matching uses it)."
    )
    identifiers: list[Identifier]
    roles: list[RolePublic]
    claim_counts: ClaimCounts
    annotation_count: int = PField(
        description="Annotations (not hidden, not deleted) on this person, on the claims about "
        "them and on their roles: what GET /v1/persons/{person_id}/annotations lists."
    )
    created_at: UTCDatetime


# -- request bodies (curate scope) ------------------------------------------------------------

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
