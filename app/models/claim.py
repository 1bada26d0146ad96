"""Claims: what a source says about persons or organisations, anchored to its exact words."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from app.models.common import (
    ClaimKind,
    EntityRef,
    EntityType,
    Modality,
    Stance,
    UTCDatetime,
    timestamp_field,
)
from app.models.fields import (
    SUBJECTS_MAX,
    End,
    HedgeLine,
    NameLine,
    Occurrence,
    Paragraph,
    Quote,
    Slug,
    Start,
    Strict,
    not_null,
)


class Claim(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("quote_start >= 0 AND quote_end > quote_start", name="span"),
        Index("ix_claim_source_id", "source_id", "quote_start", "id"),
        # The list filters, each leading the list's keyset order so a page is an index range.
        Index(
            "ix_claim_attributed_to_person_id",
            "attributed_to_person_id",
            "source_id",
            "quote_start",
            "id",
        ),
        Index(
            "ix_claim_attributed_to_organization_id",
            "attributed_to_organization_id",
            "source_id",
            "quote_start",
            "id",
        ),
        Index("ix_claim_kind_keyset", "kind", "source_id", "quote_start", "id"),
        Index("ix_claim_modality_keyset", "modality", "source_id", "quote_start", "id"),
        Index("ix_claim_stance_keyset", "stance", "source_id", "quote_start", "id"),
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
    kind: str = Field(sa_type=String(30))
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
        # `GET /v1/claims?subject=` pages through this index alone, in the claims' own order.
        Index("ix_claim_subject_keyset", "subject_id", "source_id", "quote_start", "claim_id"),
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
    # Denormalised for the subject lists (app/services/curation/denormalised.py keeps them):
    # the subject whichever its type (ids are unique across persons and organisations), and
    # the claim's keyset columns, so a subject's claims are one index range in list order.
    subject_id: str = Field(sa_type=String(100))
    source_id: str = Field(sa_type=String(100))
    quote_start: int


class ClaimTally(SQLModel, table=True):
    """How many claims are about each subject, per kind: the counts a person's or an
    organisation's record shows, kept by the claim writes instead of counted per read."""

    __tablename__ = "claim_tally"

    subject_id: str = Field(primary_key=True, sa_type=String(100))
    kind: str = Field(primary_key=True, sa_type=String(30))
    n: int


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


# -- request bodies (curate scope) ------------------------------------------------------------


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
