"""Name forms and external identifiers, owned by exactly one person or organisation."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import (
    NameKind,
    Script,
)
from app.models.fields import (
    IDENTIFIERS_MAX,
    NAMES_MAX,
    Code,
    Lang,
    LongLine,
    NameLine,
    Strict,
)

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


# -- request bodies (curate scope) ------------------------------------------------------------


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
