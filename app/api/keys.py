"""API keys over HTTP, for admins (the CLI does the same: `elitekb keys ...`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.api.deps import DbDep
from app.api.http import list_responses, single_responses, write_responses
from app.auth import Admin
from app.models.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.pagination import CursorQuery, LimitQuery, Page
from app.services.access import keys as service

router = APIRouter(prefix="/v1/keys", tags=["keys"])

KeyIdPath = Annotated[
    str, Path(max_length=40, description="The key's id.", examples=["key_4fj2k9x1qz"])
]


@router.post(
    "",
    summary="Create an API key",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=write_responses(201, 422),
)
async def create_key(db: DbDep, caller: Admin, data: ApiKeyCreate) -> Response:
    """Admins only. The answer holds the secret; it is never shown again."""
    response = await db.write_one(
        lambda session: service.create_key(
            session, name=data.name, scopes=data.scopes, actor=caller.actor, origin="api"
        ),
        location="/v1/keys",
    )
    # The body holds a secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "",
    summary="List API keys",
    response_model=Page[ApiKeyPublic],
    responses=list_responses(401, 403),
)
async def list_keys(
    request: Request,
    db: DbDep,
    caller: Admin,
    limit: int | None = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    """Admins only. Keys with their scopes and state, never their secrets."""
    return await db.page(lambda session: service.list_keys(session, cursor=cursor, limit=limit))


@router.get(
    "/{key_id}",
    summary="Get an API key",
    response_model=ApiKeyPublic,
    responses=single_responses(401, 403, 404, 422),
)
async def get_key(request: Request, db: DbDep, caller: Admin, key_id: KeyIdPath) -> Response:
    """Admins only."""
    return await db.one(lambda session: service.get_key(session, key_id))


@router.delete(
    "/{key_id}",
    summary="Revoke an API key",
    response_model=ApiKeyPublic,
    responses=write_responses(200, 404, 409, 422),
)
async def revoke_key(db: DbDep, caller: Admin, key_id: KeyIdPath) -> Response:
    """Admins only. Requests with the key get 401 from now on; the key stays listed."""
    return await db.write_one(
        lambda session: service.revoke_key(session, key_id, actor=caller.actor, origin="api")
    )
