"""API keys: who may write. Only a SHA-256 of each secret is stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import DateTime, String
from sqlmodel import Field, SQLModel

from app.models.common import UTCDatetime, timestamp_field


class Scope(StrEnum):
    """What a key may do. `curate` includes `annotate`; `admin` includes both."""

    annotate = "annotate"
    curate = "curate"
    admin = "admin"


# Each scope and the scopes it includes.
SCOPE_INCLUDES: dict[Scope, frozenset[Scope]] = {
    Scope.annotate: frozenset({Scope.annotate}),
    Scope.curate: frozenset({Scope.curate, Scope.annotate}),
    Scope.admin: frozenset({Scope.admin, Scope.curate, Scope.annotate}),
}


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, sa_type=String(20))
    name: str = Field(max_length=100)
    # Space-separated Scope values, as granted (not expanded).
    scopes: str = Field(max_length=100)
    secret_hash: str = Field(sa_type=String(64), unique=True)
    # The first characters of the secret, so people can tell their keys apart.
    hint: str = Field(max_length=16)
    created_at: datetime = timestamp_field()
    created_by: str | None = Field(default=None, max_length=20)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "newsroom-analyst", "scopes": ["annotate"]}]},
    )

    name: str = PField(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    scopes: list[Scope] = PField(min_length=1, max_length=3)


class ApiKeyPublic(BaseModel):
    """A key as listed: never its secret."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "key_4fj2k9x1qz0m",
                    "name": "newsroom-analyst",
                    "scopes": ["annotate"],
                    "hint": "ekb_Q2x9",
                    "created_at": "2026-11-27T09:00:00Z",
                    "created_by": None,
                    "revoked_at": None,
                    "version": 1,
                }
            ]
        }
    )

    id: str
    name: str
    scopes: list[Scope]
    hint: str = PField(description="The secret's first characters, to tell keys apart.")
    created_at: UTCDatetime
    created_by: str | None = PField(description="Key id of the admin who created it (null: CLI).")
    revoked_at: UTCDatetime | None
    version: int

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        """The key as listed; also its stored record in the change log (app/models/record.py)."""
        return cls(
            id=key.id,
            name=key.name,
            scopes=[Scope(s) for s in key.scopes.split()],
            hint=key.hint,
            created_at=key.created_at,
            created_by=key.created_by,
            revoked_at=key.revoked_at,
            version=key.version,
        )


class ApiKeyCreated(ApiKeyPublic):
    """A new key, with its secret: shown this once and never again."""

    secret: str = PField(description="Send as `Authorization: Bearer <secret>`. Shown only once.")
