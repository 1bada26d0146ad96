"""Issuing, listing and revoking API keys (for the CLI and /v1/keys alike)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.auth import Actor, hash_secret, new_secret
from app.models.api_key import ApiKey, ApiKeyCreated, ApiKeyPublic, Scope
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import utcnow
from app.pagination import Filters, Keyset, paginate
from app.problems import Conflict
from app.services.catalog.loaders import require
from app.services.curation.transaction import bump, lock, new_id, record_change

KEYS = Keyset("keys", (col(ApiKey.id),), lambda k: (k.id,))
HINT_CHARS = 8


def create_key(
    session: Session, *, name: str, scopes: list[Scope], actor: Actor | None, origin: str
) -> ApiKeyCreated:
    secret = new_secret()
    now = utcnow()
    ordered = sorted(set(scopes), key=list(Scope).index)
    key = ApiKey(
        id=new_id("key_"),
        name=name,
        scopes=" ".join(s.value for s in ordered),
        secret_hash=hash_secret(secret),
        hint=secret[:HINT_CHARS],
        created_at=now,
        updated_at=now,
        created_by=actor.key_id if actor else None,
    )
    session.add(key)
    record_change(session, actor, ChangeEntity.api_key, key.id, ChangeOp.create, 1, origin=origin)
    session.commit()
    return ApiKeyCreated(**ApiKeyPublic.of(key).model_dump(), secret=secret)


def list_keys(
    session: Session, *, cursor: str | None = None, limit: int | None = None
) -> tuple[list[ApiKeyPublic], str | None]:
    pager = paginate(session, select(ApiKey), KEYS, cursor=cursor, limit=limit, filters=Filters())
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return [ApiKeyPublic.of(k) for k in rows], next_cursor


def all_keys(session: Session) -> list[ApiKeyPublic]:
    return [ApiKeyPublic.of(k) for k in session.scalars(select(ApiKey).order_by(col(ApiKey.id)))]


def get_key(session: Session, key_id: str) -> ApiKeyPublic:
    return ApiKeyPublic.of(require(session, ApiKey, key_id))


def revoke_key(session: Session, key_id: str, *, actor: Actor | None, origin: str) -> ApiKeyPublic:
    key = lock(session, ApiKey, key_id)
    if key.revoked_at is not None:
        raise Conflict(f"The API key {key_id} is already revoked.")
    bump(key)
    key.revoked_at = key.updated_at
    record_change(
        session, actor, ChangeEntity.api_key, key.id, ChangeOp.revoke, key.version, origin=origin
    )
    session.commit()
    return ApiKeyPublic.of(key)
