"""Sources: documents with a stored canonical text that claim offsets point into."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Date, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from app.models.common import EntityRef, Rights, UTCDatetime, timestamp_field


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
    created_at: UTCDatetime


class SourceTextSlice(BaseModel):
    source_id: str
    start: int
    end: int
    text: str
    rights: Rights
    text_sha256: str
