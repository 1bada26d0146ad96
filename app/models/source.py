"""Sources: documents with a stored canonical text that claim offsets point into."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import JSON, Column, Date, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from app.models.common import (
    EntityRef,
    Rights,
    UTCDatetime,
    timestamp_field,
)
from app.models.fields import (
    AUTHORS_MAX,
    SOURCE_TEXT_MAX,
    Lang,
    LongLine,
    ShortLine,
    Slug,
    SourceText,
    Strict,
    Url,
    not_null,
)

# The seeded essay's text digest, used in OpenAPI examples.
ESSAY_SHA256 = "6f74a669fb572e6b5db0bf06728dce12a5df9d6ac138171588649d2c0b6e674d"


class Source(SQLModel, table=True):
    id: str = Field(primary_key=True, sa_type=String(100))
    title: str = Field(max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    publisher_organization_id: str | None = Field(
        default=None, sa_column=Column(String(100), ForeignKey("organization.id"), nullable=True)
    )
    published_date: date | None = Field(default=None, sa_type=Date)
    language: str = Field(max_length=16)
    genre: str = Field(max_length=40)
    rights: str = Field(sa_type=String(20))
    text: str = Field(sa_type=Text)
    text_sha256: str = Field(max_length=64)
    text_length: int
    original_sha256: str | None = Field(default=None, max_length=64)
    derivation: list[str] = Field(default_factory=list, sa_type=JSON)
    publisher_notes: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class SourceAuthor(SQLModel, table=True):
    __tablename__ = "source_author"

    source_id: str = Field(
        sa_column=Column(String(100), ForeignKey("source.id", ondelete="CASCADE"), primary_key=True)
    )
    ordinal: int = Field(primary_key=True)
    person_id: str = Field(
        sa_column=Column(String(100), ForeignKey("person.id"), nullable=False, index=True)
    )


class SourceSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "bondarev-2023-west-must-drive-a-wedge",
                    "title": "The West Must Drive a Wedge Between Putin and Russia's Elites",
                    "url": "https://www.themoscowtimes.com/2023/02/23/the-west-must-drive-a-"
                    "wedge-between-putin-and-russia-s-elites-a80296",
                    "authors": [
                        {"type": "person", "id": "boris-bondarev", "name": "Boris Bondarev"}
                    ],
                    "publisher": {
                        "type": "organization",
                        "id": "the-moscow-times",
                        "name": "The Moscow Times",
                    },
                    "published_date": "2023-02-23",
                    "language": "en",
                    "genre": "opinion",
                    "rights": "full_text",
                    "text_length": 4500,
                    "text_sha256": ESSAY_SHA256,
                    "claim_count": 36,
                    "updated_at": "2026-11-27T09:00:46Z",
                    "version": 1,
                }
            ]
        }
    )

    id: str
    title: str
    url: str | None
    authors: list[EntityRef]
    publisher: EntityRef | None
    published_date: date | None
    language: str
    genre: str
    rights: Rights
    text_length: int
    text_sha256: str
    claim_count: int
    updated_at: UTCDatetime
    version: int


class SourcePublic(SourceSummary):
    original_sha256: str | None
    derivation: list[str]
    publisher_notes: list[str]
    text: str | None
    text_available: str
    annotation_count: int = PField(
        description="Annotations (not hidden, not deleted) on the source or spans of its text."
    )
    created_at: UTCDatetime


class SourceTextSlice(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "source_id": "bondarev-2023-west-must-drive-a-wedge",
                    "start": 1355,
                    "end": 1430,
                    "text": "they almost certainly realize that he is leading the country into "
                    "the abyss",
                    "rights": "full_text",
                    "text_sha256": ESSAY_SHA256,
                }
            ]
        }
    )

    source_id: str
    start: int
    end: int
    text: str
    rights: Rights
    text_sha256: str


# -- request bodies (curate scope) ------------------------------------------------------------

_EXCERPT = (
    "To the surprise of many observers, the Russian elite continues to show great cohesion "
    "around the president."
)


class SourceCreate(Strict):
    """A document and its canonical text, which claim offsets will point into (Unicode code
    points, half-open). The text is stored exactly as sent."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "bondarev-2023-excerpt-elite-cohesion",
                    "title": "The West Must Drive a Wedge Between Putin and Russia's Elites "
                    "(excerpt)",
                    "url": "https://www.themoscowtimes.com/2023/02/23/the-west-must-drive-a-"
                    "wedge-between-putin-and-russia-s-elites-a80296",
                    "published_date": "2023-02-23",
                    "language": "en",
                    "genre": "opinion",
                    "rights": "excerpts",
                    "text": _EXCERPT,
                    "publisher_id": "the-moscow-times",
                    "author_ids": ["boris-bondarev"],
                }
            ]
        },
    )

    id: Slug
    title: LongLine
    url: Url | None = None
    published_date: date | None = None
    language: Lang
    genre: ShortLine
    rights: Rights
    text: SourceText = PField(
        description=f"The canonical text, at most {SOURCE_TEXT_MAX:,} code points (and the "
        "request body at most ELITEKB_MAX_BODY_BYTES)."
    )
    publisher_id: Slug | None = PField(default=None, description="Publisher organisation id.")
    author_ids: Annotated[list[Slug], PField(max_length=AUTHORS_MAX)] = PField(
        default_factory=list, description="Author person ids, in byline order."
    )


class SourceUpdate(Strict):
    """Metadata changes, or a new text: refused (409) while any claim's quote would no longer
    match the new text at its offsets."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"genre": "essay"}]})

    title: LongLine | SkipJsonSchema[None] = None
    url: Url | None = None
    published_date: date | None = None
    language: Lang | SkipJsonSchema[None] = None
    genre: ShortLine | SkipJsonSchema[None] = None
    rights: Rights | SkipJsonSchema[None] = None
    text: SourceText | SkipJsonSchema[None] = None
    publisher_id: Slug | None = None
    author_ids: Annotated[list[Slug], PField(max_length=AUTHORS_MAX)] | SkipJsonSchema[None] = None

    _not_null = field_validator("title", "language", "genre", "rights", "text", "author_ids")(
        not_null
    )
