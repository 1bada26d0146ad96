"""The change log: one row per accepted write, appended in the write's own transaction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from app.models.common import UTCDatetime, timestamp_field
from app.models.record import Document, Tombstone


class ChangeOp(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"
    hide = "hide"
    unhide = "unhide"
    flag = "flag"
    revoke = "revoke"


class ChangeEntity(StrEnum):
    person = "person"
    organization = "organization"
    role = "role"
    source = "source"
    claim = "claim"
    annotation = "annotation"
    api_key = "api_key"


class Change(SQLModel, table=True):
    __table_args__ = (
        Index("ix_change_entity", "entity_type", "entity_id", "seq"),
        # `GET /v1/changes?entity_id=` without a type (ids are unique across types).
        Index("ix_change_entity_id", "entity_id", "seq"),
        # `GET /v1/changes?entity_type=` in sequence order (a rare type among millions of rows).
        Index("ix_change_type_seq", "entity_type", "seq"),
    )

    # INTEGER PRIMARY KEY on SQLite (the rowid), BIGINT identity on PostgreSQL.
    seq: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
    )
    at: datetime = timestamp_field()
    key_id: str | None = Field(default=None, sa_type=String(20))
    origin: str = Field(sa_type=String(10))
    entity_type: str = Field(sa_type=String(20))
    entity_id: str = Field(sa_type=String(100))
    op: str = Field(sa_type=String(10))
    version: int
    # The entity's record as of this version (app/models/record.py), as the exact JSON text
    # the feed, /versions and as_of= serve; null for a delete, and for changes written
    # before versions were kept.
    document: str | None = Field(default=None, sa_type=Text)


class ChangePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 65,
                    "at": "2026-11-27T09:05:00Z",
                    "key_id": "key_7cq3m1v8rt",
                    "origin": "api",
                    "entity_type": "person",
                    "entity_id": "alexei-kudrin",
                    "op": "update",
                    "version": 2,
                }
            ]
        }
    )

    seq: int = PField(description="Position in the log; increases with every accepted write.")
    at: UTCDatetime
    key_id: str | None = PField(description="The API key that made the write (null: CLI/seed).")
    origin: str = PField(description="api, cli or seed.")
    entity_type: ChangeEntity
    entity_id: str
    op: ChangeOp
    version: int = PField(description="The entity's version after this change.")


class FeedItem(ChangePublic):
    """A change with what the entity became: its record after the change (`document`), or a
    tombstone for a delete. Both are null where the reader may not see the content (an
    annotation that is hidden or deleted now, to anyone but its creator and curators) or where
    it was not kept (changes written before versions were stored)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **ChangePublic.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index,dict-item]
                    "document": {"id": "alexei-kudrin", "name": "Alexei Kudrin", "version": 2},
                    "tombstone": None,
                }
            ]
        }
    )

    document: Document | None = PField(
        description="The entity's record after this change, in the shape of its "
        "`entity_type` (the entity's own fields, references by id, no counts), exactly as "
        "stored."
    )
    tombstone: Tombstone | None = PField(
        description="For a delete: what went, when, which version."
    )


class FeedPage(BaseModel):
    """A page of the change feed. `last_seq` is where to resume (`after=last_seq`), on every
    page, the last included: the feed never answers a poller with nothing to resume from."""

    items: list[FeedItem]
    next_cursor: str | None = PField(
        description="Pass as `cursor` for the next page; null when this page reached the end."
    )
    last_seq: int = PField(
        description="The last sequence number this page covers: pass it as `after` to resume."
    )
