"""Organisations: state bodies, companies, media and informal groups such as "the Russian elite"."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.models.common import (
    SLUG_MAX,
    ClaimCounts,
    Identifier,
    NameForm,
    OrganizationKind,
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
from app.models.role import RolePerson, RolePublic


class OrganizationBase(SQLModel):
    name: str = Field(max_length=300, description="Display name, in English.")
    kind: str = Field(sa_type=String(20), description="One of the OrganizationKind values.")
    description: str | None = Field(default=None, max_length=2000)


class Organization(OrganizationBase, table=True):
    id: str = Field(primary_key=True, sa_type=String(SLUG_MAX))
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class OrganizationSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "central-bank-of-russia",
                    "name": "Central Bank of the Russian Federation",
                    "kind": "central_bank",
                    "description": "Russia's central bank, also called the Bank of Russia.",
                    "names": [
                        {
                            "name": "Центральный банк Российской Федерации",
                            "lang": "ru",
                            "script": "Cyrl",
                            "kind": "original",
                            "scheme": None,
                            "provenance": "curator: reference knowledge",
                        }
                    ],
                    "member_count": 1,
                    "updated_at": "2026-11-27T09:00:46Z",
                    "version": 1,
                }
            ]
        }
    )

    id: str
    name: str
    kind: OrganizationKind
    description: str | None
    names: list[NameForm]
    member_count: int
    updated_at: UTCDatetime
    version: int


class OrganizationPublic(OrganizationSummary):
    """An organisation with its name forms, identifiers, members and roles, and claim counts."""

    identifiers: list[Identifier]
    members: list[RolePerson] = Field(description="Distinct persons holding any role here.")
    roles: list[RolePublic]
    claim_counts: ClaimCounts
    annotation_count: int = PField(description="Annotations (not hidden, not deleted) on it.")
    created_at: UTCDatetime


# -- request bodies (curate scope) ------------------------------------------------------------


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
