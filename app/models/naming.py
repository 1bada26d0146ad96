"""Name forms and external identifiers, owned by exactly one person or organisation."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

_ONE_OWNER = "(person_id IS NULL) <> (organization_id IS NULL)"


def _owner_fk(table: str) -> Column[str]:
    return Column(String(100), ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=True)


class NameFormRow(SQLModel, table=True):
    """A written form of a name. `name_key` is the normalised form that search compares."""

    __tablename__ = "name_form"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="one_owner"),
        Index("ix_name_form_name_key", "name_key"),
        Index("ix_name_form_person_id", "person_id", "ordinal"),
        Index("ix_name_form_organization_id", "organization_id", "ordinal"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str | None = Field(default=None, sa_column=_owner_fk("person"))
    organization_id: str | None = Field(default=None, sa_column=_owner_fk("organization"))
    ordinal: int
    name: str = Field(max_length=300)
    name_key: str = Field(max_length=300)
    lang: str | None = Field(default=None, max_length=16)
    script: str = Field(max_length=4)
    kind: str = Field(max_length=20)
    scheme: str | None = Field(default=None, max_length=40)
    provenance: str = Field(max_length=500)


class IdentifierRow(SQLModel, table=True):
    """An identifier in another system; one (scheme, value) names one entity."""

    __tablename__ = "identifier"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="one_owner"),
        UniqueConstraint("scheme", "value", name="uq_identifier_scheme_value"),
        Index("ix_identifier_person_id", "person_id"),
        Index("ix_identifier_organization_id", "organization_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str | None = Field(default=None, sa_column=_owner_fk("person"))
    organization_id: str | None = Field(default=None, sa_column=_owner_fk("organization"))
    scheme: str = Field(max_length=40)
    value: str = Field(max_length=300)
