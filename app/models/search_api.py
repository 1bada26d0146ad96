"""Request and response bodies of search, matching and mentions."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.models.common import EntityRef, Line
from app.models.curation import NameLine

QUERY_NAME_MAX = 100
MATCH_QUERIES_MAX = 50
# The client's own name for a query, echoed as the key of its answer: a single line of text.
QueryName = Annotated[
    str, StringConstraints(min_length=1, max_length=QUERY_NAME_MAX), get_args(Line)[1]
]


class Highlight(BaseModel):
    """Where the query matched: a snippet of one field, with the matched words' offsets.
    Offsets are Unicode code points, half-open, relative to `text`; `offset` is where `text`
    starts in the field (for a claim's quote, add the claim's `quote_start` to get offsets
    in the source)."""

    field: str = Field(description="name, description, quote, statement, title or text.")
    text: str
    offset: int
    matches: list[list[int]] = Field(description="[start, end) pairs, relative to `text`.")


class SearchHit(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "person",
                    "id": "elvira-nabiullina",
                    "label": "Elvira Nabiullina",
                    "score": 0.98,
                    "matched_by": [
                        "query is an inflected form of the name 'Эльвира Набиуллина' (form): "
                        "inflected_form"
                    ],
                    "highlight": {
                        "field": "name",
                        "text": "Эльвира Набиуллина",
                        "offset": 0,
                        "matches": [[0, 7], [8, 18]],
                    },
                }
            ]
        }
    )

    type: str = Field(description="person, organization, claim or source.")
    id: str
    label: str = Field(description="The name, the source's title or the claim's quote.")
    score: float = Field(ge=0, le=1, description="Relevance in [0, 1]; the list is by score.")
    matched_by: list[str] = Field(description="Why this result matched.")
    highlight: Highlight | None


class SearchPage(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None


class MatchType(StrEnum):
    person = "person"
    organization = "organization"


class MatchQuery(BaseModel):
    """One example to match, in the manner of yente's /match."""

    model_config = ConfigDict(extra="forbid")

    name: NameLine = Field(description="The name as you have it, in any script or spelling.")
    type: MatchType = MatchType.person
    organization: NameLine | None = Field(
        default=None, description="An organisation the person is linked to (for persons)."
    )
    birth_date: date | None = Field(
        default=None,
        description="Date of birth (YYYY-MM-DD), compared with the person's where recorded.",
    )


class MatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "queries": {
                        "q1": {
                            "name": "Набиуллиной Эльвиры",
                            "organization": "Central Bank",
                            "birth_date": "1963-10-29",
                        },
                        "q2": {"name": "Sergei Sobianin"},
                    }
                }
            ]
        },
    )

    queries: dict[QueryName, MatchQuery] = Field(
        min_length=1,
        max_length=MATCH_QUERIES_MAX,
        description=f"Up to {MATCH_QUERIES_MAX} named queries. A name is 1 to "
        f"{QUERY_NAME_MAX} characters on one line (no control characters); each query counts "
        "as one request against the rate limit.",
    )


class MatchCandidate(BaseModel):
    type: str
    id: str
    name: str
    score: float = Field(ge=0, le=1)
    match: bool = Field(description="score >= threshold")
    features: dict[str, float | None] = Field(
        description="The evidence behind the score: `name` (best spelling's similarity), "
        "`organization` (when asked: how well it names an organisation of the person's roles; "
        "null if they have none; moves the score by up to ±0.1), `birth_date` (when asked: 1 "
        "same date, +0.05; 0.5 same year only, -0.05; 0 another year, -0.3; null if the "
        "person's is not recorded)."
    )
    explanation: str


class MatchResult(BaseModel):
    query: MatchQuery
    results: list[MatchCandidate]


class MatchResponse(BaseModel):
    responses: dict[str, MatchResult]
    threshold: float


class MentionPublic(BaseModel):
    """Where a source names a known person or organisation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "source_id": "bondarev-2023-west-must-drive-a-wedge",
                    "entity": {
                        "type": "person",
                        "id": "elvira-nabiullina",
                        "name": "Elvira Nabiullina",
                    },
                    "start": 1092,
                    "end": 1109,
                    "text": "Elvira Nabiullina",
                    "basis": "full_name",
                    "matched_name": "Elvira Nabiullina",
                    "claim_ids": [],
                }
            ]
        }
    )

    source_id: str
    entity: EntityRef
    start: int = Field(description="Code-point offset in the source text (inclusive).")
    end: int = Field(description="Code-point offset in the source text (exclusive).")
    text: str
    basis: str = Field(
        description="full_name, surname_first, initials, surname (a known surname alone) or "
        "name (an organisation's name)."
    )
    matched_name: str = Field(description="The known spelling the words matched.")
    claim_ids: list[str] = Field(
        description="Claims of this source whose quote covers the mention and that are about "
        "(or attributed to) this entity."
    )
