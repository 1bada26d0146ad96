"""Persons: stable slug ids, display name, name forms and identifiers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
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
