"""Annotations: analysts' notes, tags, assessments, questions, links and replies.

Shaped after the W3C Web Annotation model: a target (what is annotated, optionally a span
of a source's text), a motivation and a body. Every accepted version is kept.

Why this module is long: the family has six tables (annotations, their tags, versions, flags,
the persons each is about and the per-person count) and the request and response shapes of
every annotation operation, which are read together when any of them changes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    HttpUrl,
    StringConstraints,
    model_validator,
)
from pydantic import Field as PField
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from app.models.common import Line, UTCDatetime, timestamp_field
from app.models.common import Text as TextType
from app.models.fields import Strict

BODY_MAX = 10_000
TAG_MAX = 64
TAGS_MAX = 20
LINKS_MAX = 20
REASON_MAX = 1_000


class TargetType(StrEnum):
    person = "person"
    organization = "organization"
    role = "role"
    source = "source"
    claim = "claim"
    annotation = "annotation"


class Motivation(StrEnum):
    commenting = "commenting"
    tagging = "tagging"
    assessing = "assessing"
    questioning = "questioning"
    linking = "linking"
    replying = "replying"


class Verdict(StrEnum):
    supported = "supported"
    disputed = "disputed"
    misleading = "misleading"
    unverifiable = "unverifiable"


# The condition of the partial index on flagged annotations; the list query says it in these
# very words (a bound parameter would not let the planners match the index).
FLAGGED_SQL = "flag_count > 0"


class Annotation(SQLModel, table=True):
    __table_args__ = (
        Index("ix_annotation_target", "target_type", "target_id", "id"),
        Index("ix_annotation_creator_key_id", "creator_key_id", "id"),
        Index("ix_annotation_motivation", "motivation", "id"),
        Index("ix_annotation_verdict", "verdict", "id"),
        # `?target_id=` without a type, and `?flagged=true`: few annotations are flagged, and
        # this index holds only those, in list order.
        Index("ix_annotation_target_id", "target_id", "id"),
        Index(
            "ix_annotation_flagged",
            "id",
            sqlite_where=text(FLAGGED_SQL),
            postgresql_where=text(FLAGGED_SQL),
        ),
    )

    id: str = Field(primary_key=True, sa_type=String(20))
    target_type: str = Field(sa_type=String(20))
    target_id: str = Field(sa_type=String(100))
    selector_start: int | None = None
    selector_end: int | None = None
    quote: str | None = Field(default=None, sa_type=Text)
    prefix: str | None = Field(default=None, max_length=64)
    suffix: str | None = Field(default=None, max_length=64)
    # The annotation that starts this thread: itself, or the root of the annotation it targets.
    thread_id: str = Field(sa_type=String(20), index=True)
    motivation: str = Field(sa_type=String(20))
    body: str | None = Field(default=None, sa_type=Text)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    verdict: str | None = Field(default=None, sa_type=String(20))
    confidence: float | None = Field(default=None, sa_type=Float)
    links: list[str] = Field(default_factory=list, sa_type=JSON)
    creator_key_id: str = Field(
        sa_column=Column(String(20), ForeignKey("api_key.id"), nullable=False)
    )
    hidden: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    hidden_reason: str | None = Field(default=None, max_length=REASON_MAX)
    flag_count: int = Field(default=0)
    deleted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class AnnotationTag(SQLModel, table=True):
    __tablename__ = "annotation_tag"
    __table_args__ = (Index("ix_annotation_tag_tag", "tag", "annotation_id"),)

    annotation_id: str = Field(
        sa_column=Column(
            String(20), ForeignKey("annotation.id", ondelete="CASCADE"), primary_key=True
        )
    )
    tag: str = Field(sa_column=Column(String(TAG_MAX), primary_key=True))


class AnnotationAbout(SQLModel, table=True):
    """Which persons an annotation is about: the person it targets, the persons a claim it
    targets is about, the person of a role it targets (app/services/annotations/about.py keeps
    these as annotations, claims' subjects and roles' persons change)."""

    __tablename__ = "annotation_about"
    __table_args__ = (Index("ix_annotation_about_annotation_id", "annotation_id"),)

    person_id: str = Field(sa_column=Column(String(100), primary_key=True))
    annotation_id: str = Field(
        sa_column=Column(
            String(20), ForeignKey("annotation.id", ondelete="CASCADE"), primary_key=True
        )
    )


class AnnotationTally(SQLModel, table=True):
    """Annotations about each person that every reader sees (neither hidden nor deleted): the
    count a person's record shows."""

    __tablename__ = "annotation_tally"

    person_id: str = Field(primary_key=True, sa_type=String(100))
    n: int


class AnnotationVersion(SQLModel, table=True):
    """One accepted version of an annotation: its content as it stood after a write."""

    __tablename__ = "annotation_version"

    annotation_id: str = Field(
        sa_column=Column(
            String(20), ForeignKey("annotation.id", ondelete="CASCADE"), primary_key=True
        )
    )
    version: int = Field(primary_key=True)
    at: datetime = timestamp_field()
    key_id: str = Field(sa_type=String(20))
    op: str = Field(sa_type=String(10))
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class AnnotationFlag(SQLModel, table=True):
    __tablename__ = "annotation_flag"
    __table_args__ = (UniqueConstraint("annotation_id", "key_id"),)

    id: int | None = Field(default=None, primary_key=True)
    annotation_id: str = Field(
        sa_column=Column(
            String(20),
            ForeignKey("annotation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    key_id: str = Field(sa_type=String(20))
    reason: str = Field(max_length=REASON_MAX)
    at: datetime = timestamp_field()


# -- request and response shapes ---------------------------------------------------------------


def _tag(value: str) -> str:
    tag = value.strip().lower()
    if not 1 <= len(tag) <= TAG_MAX:
        raise ValueError(f"a tag has 1 to {TAG_MAX} characters (after trimming spaces)")
    return tag


Tag = Annotated[
    Line,
    AfterValidator(_tag),
    PField(description=f"1 to {TAG_MAX} characters after trimming; stored in lowercase."),
]
Body = Annotated[TextType, StringConstraints(min_length=1, max_length=BODY_MAX)]
Link = Annotated[HttpUrl, PField(description="An http or https URL.")]


class SelectorIn(Strict):
    """A span of the target source's canonical text, in code points, half-open."""

    start: int = PField(ge=0, description="Start offset (code points, inclusive).")
    end: int = PField(ge=1, description="End offset (code points, exclusive).")
    quote: TextType | None = PField(
        default=None,
        max_length=BODY_MAX,
        description="Optional: if given it must equal the text at [start, end).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> SelectorIn:
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self


class TargetIn(Strict):
    type: TargetType
    id: Line = PField(min_length=1, max_length=100)
    selector: SelectorIn | None = PField(
        default=None, description="Only for targets of type source: a span of its text."
    )


class Assessment(Strict):
    verdict: Verdict
    confidence: float = PField(ge=0, le=1, description="0 (a guess) to 1 (certain).")


class AnnotationCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target": {"type": "claim", "id": "clm_b2okhvymxr"},
                    "motivation": "assessing",
                    "body": "Kudrin left the Audit Chamber in 2022; 'almost certainly' is the "
                    "author's inference, not reported fact.",
                    "tags": ["loyalty", "inference"],
                    "assessment": {"verdict": "unverifiable", "confidence": 0.7},
                },
                {
                    "target": {
                        "type": "source",
                        "id": "bondarev-2023-west-must-drive-a-wedge",
                        "selector": {"start": 1355, "end": 1430},
                    },
                    "motivation": "questioning",
                    "body": "What is this 'almost certainly' based on?",
                },
            ]
        },
    )

    target: TargetIn
    motivation: Motivation
    body: Body | None = None
    tags: list[Tag] = PField(default_factory=list, max_length=TAGS_MAX)
    assessment: Assessment | None = None
    links: list[Link] = PField(default_factory=list, max_length=LINKS_MAX)


class AnnotationUpdate(Strict):
    """Fields to change; the target and motivation of an annotation are fixed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "Revised after reading the 2022 interview."}]},
    )

    body: Body | None = None
    tags: list[Tag] | None = PField(default=None, max_length=TAGS_MAX)
    assessment: Assessment | None = None
    links: list[Link] | None = PField(default=None, max_length=LINKS_MAX)


class FlagIn(Strict):
    reason: Annotated[TextType, StringConstraints(min_length=1, max_length=REASON_MAX)]


class HideIn(Strict):
    reason: Annotated[TextType, StringConstraints(min_length=1, max_length=REASON_MAX)] | None = (
        None
    )


class Selector(BaseModel):
    start: int
    end: int
    quote: str = PField(description="The source text at [start, end), filled in by the server.")
    prefix: str
    suffix: str


class Target(BaseModel):
    type: TargetType
    id: str
    selector: Selector | None = None


class Creator(BaseModel):
    id: str = PField(description="The API key that created the annotation.")
    name: str


_EXAMPLE_CONTENT: dict[str, Any] = {
    "body": "Alexei Kudrin left the Audit Chamber in 2022; 'almost certainly' is the author's "
    "inference, not reported fact.",
    "tags": ["inference", "loyalty"],
    "assessment": {"verdict": "unverifiable", "confidence": 0.7},
    "links": [],
}


class AnnotationPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ann_01m8e82t9rhp1w6s",
                    "target": {"type": "claim", "id": "clm_b2okhvymxr", "selector": None},
                    "motivation": "assessing",
                    **_EXAMPLE_CONTENT,
                    "creator": {"id": "key_4fj2k9x1qz", "name": "newsroom-analyst"},
                    "thread_id": "ann_01m8e82t9rhp1w6s",
                    "reply_count": 1,
                    "flag_count": 0,
                    "hidden": False,
                    "hidden_reason": None,
                    "deleted": False,
                    "created_at": "2026-11-27T09:00:00Z",
                    "updated_at": "2026-11-27T09:05:00Z",
                    "deleted_at": None,
                    "version": 2,
                }
            ]
        }
    )

    id: str
    target: Target
    motivation: Motivation
    body: str | None
    tags: list[str]
    assessment: Assessment | None
    links: list[str]
    creator: Creator
    thread_id: str = PField(description="The annotation that starts this thread (itself if none).")
    reply_count: int = PField(description="Replies you can see.")
    flag_count: int
    hidden: bool
    hidden_reason: str | None
    deleted: bool = PField(description="A tombstone: the content is gone, replies survive.")
    created_at: UTCDatetime
    updated_at: UTCDatetime
    deleted_at: UTCDatetime | None
    version: int


class AnnotationVersionPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 2,
                    "at": "2026-11-27T09:05:00Z",
                    "key_id": "key_4fj2k9x1qz",
                    "op": "update",
                    "content": {
                        **_EXAMPLE_CONTENT,
                        "hidden": False,
                        "hidden_reason": None,
                        "deleted": False,
                    },
                }
            ]
        }
    )

    version: int
    at: UTCDatetime
    key_id: str
    op: str
    content: dict[str, Any] | None = PField(
        description="body, tags, assessment, links, hidden and deleted as of this version; "
        "null once the annotation is deleted, except to its creator and curators."
    )
