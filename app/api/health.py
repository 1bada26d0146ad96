"""Liveness and readiness probes for process supervisors and load balancers."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import DbDep
from app.problems import NotReady, problem_responses
from app.services.migrations import current_revision, head_revision

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ok"])
    database: str = Field(examples=["sqlite", "postgresql"])
    revision: str = Field(description="The Alembic head revision.", examples=["3478f00b6e26"])


@router.get("/livez", summary="Is the process up")
async def livez() -> Liveness:
    """Answers as long as the process serves requests; touches no database."""
    return Liveness(status="ok")


@router.get("/readyz", summary="Can the process serve data", responses=problem_responses(503))
async def readyz(db: DbDep) -> Readiness:
    """200 when the database is reachable and migrated to the head revision, else 503."""
    try:
        revision = await anyio.to_thread.run_sync(current_revision, db.engine)
    except SQLAlchemyError as exc:
        raise NotReady(f"The database is not reachable: {type(exc).__name__}.") from exc
    head = head_revision()
    if revision != head:
        raise NotReady(
            f"The database is at revision {revision or 'none'}, not {head}: "
            "run `elitekb db upgrade`."
        )
    return Readiness(status="ok", database=db.engine.dialect.name, revision=revision)
