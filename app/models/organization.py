"""Organisations: state bodies, companies, media and informal groups such as "the Russian elite"."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
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
    created_at: UTCDatetime
