"""Claims: what a source says about persons or organisations, anchored to its exact words."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from app.models.common import (
    ClaimKind,
    EntityRef,
    Modality,
    Stance,
    UTCDatetime,
    timestamp_field,
)


class Claim(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("quote_start >= 0 AND quote_end > quote_start", name="span"),
        Index("ix_claim_source_id", "source_id", "quote_start", "id"),
        Index("ix_claim_attributed_to_person_id", "attributed_to_person_id"),
    )

    id: str = Field(primary_key=True, sa_type=String(20))
    source_id: str = Field(sa_column=Column(String(100), ForeignKey("source.id"), nullable=False))
    quote: str = Field(sa_type=Text)
    quote_start: int
    quote_end: int
    prefix: str = Field(max_length=64)
    suffix: str = Field(max_length=64)
    attributed_to_person_id: str | None = Field(
        default=None, sa_column=Column(String(100), ForeignKey("person.id"), nullable=True)
    )
    attributed_to_organization_id: str | None = Field(
        default=None, sa_column=Column(String(100), ForeignKey("organization.id"), nullable=True)
    )
    attributed_to_label: str | None = Field(default=None, max_length=300)
    kind: str = Field(sa_type=String(30), index=True)
    statement: str = Field(max_length=2000)
    modality: str = Field(sa_type=String(20))
    hedge: str | None = Field(default=None, max_length=200)
    stance: str = Field(sa_type=String(20))
    rationale: str | None = Field(default=None, max_length=2000)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class ClaimSubject(SQLModel, table=True):
    __tablename__ = "claim_subject"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="one_subject"),
        Index("ix_claim_subject_person_id", "person_id", "claim_id"),
        Index("ix_claim_subject_organization_id", "organization_id", "claim_id"),
    )

    claim_id: str = Field(
        sa_column=Column(String(20), ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True)
    )
    ordinal: int = Field(primary_key=True)
    person_id: str | None = Field(
        default=None, sa_column=Column(String(100), ForeignKey("person.id"), nullable=True)
    )
    organization_id: str | None = Field(
        default=None, sa_column=Column(String(100), ForeignKey("organization.id"), nullable=True)
    )


class ClaimSourceRef(BaseModel):
    id: str
    title: str


class AttributedTo(BaseModel):
    """Whose claim it is: a known person or organisation, or only a label ("many")."""

    type: str | None = PField(description="person, organization, or null for an unnamed party")
    id: str | None
    name: str


class ClaimPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "clm_b2okhvymxr",
                    "source": {
                        "id": "bondarev-2023-west-must-drive-a-wedge",
                        "title": "The West Must Drive a Wedge Between Putin and Russia's Elites",
                    },
                    "quote": "they almost certainly realize that he is leading the country "
                    "into the abyss",
                    "start": 1355,
                    "end": 1430,
                    "prefix": " to preserve his regime, though ",
                    "suffix": " and that his economic achieveme",
                    "subjects": [
                        {"type": "person", "id": "alexei-kudrin", "name": "Alexei Kudrin"}
                    ],
                    "attributed_to": {
                        "type": "person",
                        "id": "boris-bondarev",
                        "name": "Boris Bondarev",
                    },
                    "kind": "belief_attribution",
                    "statement": "The author believes the five almost certainly realize that "
                    "Putin is leading Russia into the abyss.",
                    "modality": "hedged",
                    "hedge": "almost certainly",
                    "stance": "mixed",
                }
            ]
        }
    )

    id: str
    source: ClaimSourceRef
    quote: str = PField(description="The exact words, equal to source text[start:end].")
    start: int = PField(description="Start offset in Unicode code points, inclusive.")
    end: int = PField(description="End offset in Unicode code points, exclusive.")
    prefix: str = PField(description="Up to 32 code points of text before the quote.")
    suffix: str = PField(description="Up to 32 code points of text after the quote.")
    subjects: list[EntityRef]
    attributed_to: AttributedTo | None
    kind: ClaimKind
    statement: str
    modality: Modality
    hedge: str | None
    stance: Stance
    rationale: str | None
    annotation_count: int = PField(description="Annotations (not hidden, not deleted) on it.")
    created_at: UTCDatetime
    updated_at: UTCDatetime
    version: int
