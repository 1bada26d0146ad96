"""Roles: a person's position in, or membership of, an organisation, as a source states it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Column, Date, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from app.models.common import (
    DatePrecision,
    OrganizationKind,
    RoleKind,
    RoleStatus,
    UTCDatetime,
    timestamp_field,
)
from app.models.fields import (
    ClaimId,
    NameLine,
    Slug,
    Strict,
    not_null,
)


class Role(SQLModel, table=True):
    __table_args__ = (
        Index("ix_role_person_id", "person_id", "id"),
        Index("ix_role_organization_id", "organization_id", "id"),
    )

    id: str = Field(primary_key=True, sa_type=String(20))
    person_id: str = Field(sa_column=Column(String(100), ForeignKey("person.id"), nullable=False))
    organization_id: str = Field(
        sa_column=Column(String(100), ForeignKey("organization.id"), nullable=False)
    )
    title: str = Field(max_length=300)
    kind: str = Field(sa_type=String(20))
    status: str = Field(sa_type=String(20))
    start_date: date | None = Field(default=None, sa_type=Date)
    start_date_precision: str | None = Field(default=None, sa_type=String(10))
    end_date: date | None = Field(default=None, sa_type=Date)
    end_date_precision: str | None = Field(default=None, sa_type=String(10))
    claim_id: str | None = Field(
        default=None, sa_column=Column(String(20), ForeignKey("claim.id"), nullable=True)
    )
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class RolePerson(BaseModel):
    id: str
    name: str


class RoleOrganization(BaseModel):
    id: str
    name: str
    kind: OrganizationKind


class RoleProvenance(BaseModel):
    """The claim that states this role, and so the source and the exact words."""

    claim_id: str
    source_id: str
    quote: str
    start: int
    end: int


class RolePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "rol_lmqsafklax",
                    "person": {"id": "elvira-nabiullina", "name": "Elvira Nabiullina"},
                    "organization": {
                        "id": "central-bank-of-russia",
                        "name": "Central Bank of the Russian Federation",
                        "kind": "central_bank",
                    },
                    "title": "Chair",
                    "kind": "position",
                    "status": "current",
                    "status_as_of_date": "2023-02-23",
                    "start_date": None,
                    "start_date_precision": None,
                    "end_date": None,
                    "end_date_precision": None,
                    "provenance": {
                        "claim_id": "clm_5q32zlvjiw",
                        "source_id": "bondarev-2023-west-must-drive-a-wedge",
                        "quote": "Central Bank chair Elvira Nabiullina",
                        "start": 1073,
                        "end": 1109,
                    },
                    "updated_at": "2026-11-27T09:00:46Z",
                    "version": 1,
                }
            ]
        }
    )

    id: str
    person: RolePerson
    organization: RoleOrganization
    title: str
    kind: RoleKind
    status: RoleStatus = Field(description="As the source describes it, on its date.")
    status_as_of_date: date | None = Field(
        default=None, description="Publication date of the source that states the role."
    )
    start_date: date | None
    start_date_precision: DatePrecision | None
    end_date: date | None
    end_date_precision: DatePrecision | None
    provenance: RoleProvenance | None
    updated_at: UTCDatetime
    version: int


# -- request bodies (curate scope) ------------------------------------------------------------


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
