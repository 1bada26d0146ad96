"""Liveness and readiness probes for process supervisors and load balancers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine
from app.problems import NotReady, problem_responses
from app.services.migrations import current_revision, head_revision

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    revision: str


@router.get("/livez", summary="Is the process up")
async def livez() -> Liveness:
    """Answers as long as the process serves requests; touches no database."""
    return Liveness(status="ok")


@router.get("/readyz", summary="Can the process serve data", responses=problem_responses(503))
def readyz(engine: Annotated[Engine, Depends(get_engine)]) -> Readiness:
    """200 when the database is reachable and migrated to the head revision, else 503."""
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        raise NotReady(f"The database is not reachable: {type(exc).__name__}.") from exc
    head = head_revision()
    if revision != head:
        raise NotReady(
            f"The database is at revision {revision or 'none'}, not {head}: "
            "run `elitekb db upgrade`."
        )
    return Readiness(status="ok", database=engine.dialect.name, revision=revision)
