"""Secrets a database keeps for every process that serves it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.models.common import timestamp_field

# The key that signs pagination cursors (app/pagination.py), unless ELITEKB_CURSOR_SECRET is set.
CURSOR_SECRET = "cursor"


class InstanceSecret(SQLModel, table=True):
    """A random value made once per database (by the migration that created this table), so
    every process serving the database shares it and nobody can read it from our source."""

    __tablename__ = "instance_secret"

    name: str = Field(primary_key=True, sa_type=String(40))
    value: str = Field(sa_type=String(128))
    created_at: datetime = timestamp_field()
