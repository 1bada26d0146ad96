"""Search across everything, and matching by example."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from app.api.deps import DbDep
from app.api.http import list_responses
from app.api.ratelimit import charge_extra
from app.models.common import clean_line
from app.models.search import MatchRequest, MatchResponse, MatchResult, SearchPage
from app.pagination import CursorQuery
from app.problems import ValidationFailed
from app.services.search import matching
from app.services.search import ranking as service

router = APIRouter(tags=["search"])

QUERY_MAX = 200


def _types(raw: str | None) -> list[str]:
    if raw is None:
        return list(service.TYPES)
    wanted = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in service.TYPES]
    if unknown or not wanted:
        raise ValidationFailed(
            f"types must be a comma-separated list of {', '.join(service.TYPES)}; got {raw!r}.",
            errors=[
                {
                    "loc": ["query", "types"],
                    "msg": f"unknown type(s): {', '.join(unknown) or '(none given)'}",
                    "type": "enum",
                }
            ],
        )
    return sorted(set(wanted), key=service.TYPES.index)


@router.get(
    "/v1/search",
    summary="Search",
    response_model=SearchPage,
    responses=list_responses(),
)
async def search(
    request: Request,
    db: DbDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=QUERY_MAX,
            description="Words or a name, in any script or spelling: `Набиуллиной`, "
            "`Sobianin`, `most effective managers`. Operators and quotes are plain text.",
            examples=["Набиуллиной"],
        ),
    ],
    types: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Comma-separated subset of person, organization, claim, source "
            "(default: all), e.g. `person,claim`.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size, 1..100.")] = 20,
    cursor: str | None = CursorQuery,
) -> Response:
    """One list, best first: persons and organisations by any spelling of their names
    (transliterations, Russian cases, small typos), claims by quote and statement, sources by
    title and text. Each result has a score in [0, 1], why it matched, and a highlight."""
    if not q.strip():
        raise ValidationFailed(
            "q is blank: give a word or a name.",
            errors=[{"loc": ["query", "q"], "msg": "blank", "type": "blank"}],
        )
    try:
        clean_line(q)
    except ValueError as exc:
        raise ValidationFailed(
            f"q is not valid: {exc}.",
            errors=[{"loc": ["query", "q"], "msg": str(exc), "type": "value_error"}],
        ) from exc
    wanted = _types(types)
    return await db.page(
        lambda session: service.search(session, q=q, types=wanted, limit=limit, cursor=cursor),
    )


@router.post(
    "/v1/match",
    summary="Match names by example",
    response_model=MatchResponse,
    responses=list_responses(),
)
async def match(
    request: Request,
    db: DbDep,
    body: MatchRequest,
    threshold: Annotated[
        float, Query(ge=0, le=1, description="Scores at or above this are `match: true`.")
    ] = 0.9,
    limit: Annotated[int, Query(ge=1, le=50, description="Candidates per query.")] = 5,
) -> MatchResponse:
    """For each named query (a name as you have it, optionally an organisation), the known
    persons or organisations it may be, best first, with the features behind each score, in
    the manner of OpenSanctions' yente /match. Each query counts as one request against the
    rate limit."""
    await charge_extra(request, len(body.queries) - 1)

    def work(session: Session) -> MatchResponse:
        return MatchResponse(
            responses={
                name: MatchResult(
                    query=query,
                    results=matching.match(session, query, threshold=threshold, limit=limit),
                )
                for name, query in body.queries.items()
            },
            threshold=threshold,
        )

    return await db.run(work)
