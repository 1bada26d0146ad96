"""Search indexes and mentions: rows derived from the curated data, rebuilt by the writes.

Backend-specific index structures sit on top of two of these tables and are created by the
migration, not by these models (see BACKEND_OBJECTS): on SQLite, FTS5 tables kept current by
triggers; on PostgreSQL, a generated tsvector column with a GIN index and a pg_trgm index.

The request and response bodies of search, matching and mentions follow the tables.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, get_args

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import EntityRef, Line
from app.models.fields import NameLine

_ONE_OWNER = "(person_id IS NULL) <> (organization_id IS NULL)"

# Database objects the migration makes that the models do not describe (so `db check`
# leaves them alone): FTS5 tables and their shadow tables, and PostgreSQL's tsvector column.
BACKEND_OBJECTS = frozenset(
    {
        "name_variant_fts",
        "name_variant_words",
        "search_doc_fts",
        "search_doc.tsv",
        "name_variant.words_tsv",
        "ix_search_doc_tsv_claim",
        "ix_search_doc_tsv_source",
        "ix_search_doc_tsv_person",
        "ix_search_doc_tsv_organization",
        "ix_name_variant_skel_trgm",
        "ix_name_variant_words_tsv",
    }
    | {
        f"{table}_{shadow}"
        for table in ("name_variant_fts", "name_variant_words", "search_doc_fts")
        for shadow in ("data", "idx", "docsize", "config", "content")
    }
)


def _owner_fk(table: str) -> Column[str]:
    return Column(String(100), ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=True)


class NameVariant(SQLModel, table=True):
    """A spelling a person or organisation can be found by: a curated name form, the display
    name, or a romanisation generated from a Cyrillic form (`scheme` names the iuliia scheme).
    `key` is the full-text key of the spelling, `skel` its transliteration-insensitive
    skeleton (app/services/search/terms.py), `words` every skeleton each of its words is known by
    (as written, dictionary form, masculine stem), which exact word lookups use."""

    __tablename__ = "name_variant"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="one_owner"),
        Index("ix_name_variant_key", "key"),
        Index("ix_name_variant_person_id", "person_id"),
        Index("ix_name_variant_organization_id", "organization_id"),
        # Ids are never reused (SQLite would reuse the highest after a delete), so the
        # lexicon cache's (highest id, count) stamp moves with every change of names.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: str | None = Field(default=None, sa_column=_owner_fk("person"))
    organization_id: str | None = Field(default=None, sa_column=_owner_fk("organization"))
    variant: str = Field(max_length=300)
    origin: str = Field(max_length=40)
    scheme: str | None = Field(default=None, max_length=40)
    key: str = Field(max_length=300)
    skel: str = Field(max_length=300)
    words: str = Field(sa_type=Text)


class SearchDoc(SQLModel, table=True):
    """The full-text keys of one searchable record: a claim (quote and statement), a source
    (title and text) or a person or organisation (description)."""

    __tablename__ = "search_doc"
    __table_args__ = (UniqueConstraint("entity_type", "entity_id", name="uq_search_doc_entity"),)

    id: int | None = Field(default=None, primary_key=True)
    entity_type: str = Field(sa_type=String(20))
    entity_id: str = Field(sa_type=String(100))
    terms: str = Field(sa_type=Text)


class Mention(SQLModel, table=True):
    """Where a source names a known person or organisation, found when the source was stored
    (or its text, or a name, changed). Offsets are code points, half-open, into the source
    text; a possessive ending is not part of the span."""

    __tablename__ = "mention"
    __table_args__ = (
        CheckConstraint(_ONE_OWNER, name="one_owner"),
        UniqueConstraint("source_id", "start", "end", name="uq_mention_span"),
        Index("ix_mention_person_id", "person_id", "source_id", "start"),
        Index("ix_mention_organization_id", "organization_id", "source_id", "start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(
        sa_column=Column(String(100), ForeignKey("source.id", ondelete="CASCADE"), nullable=False)
    )
    person_id: str | None = Field(default=None, sa_column=_owner_fk("person"))
    organization_id: str | None = Field(default=None, sa_column=_owner_fk("organization"))
    start: int
    end: int
    text: str = Field(max_length=300)
    basis: str = Field(sa_type=String(20))
    matched_name: str = Field(max_length=300)


# -- request and response bodies of search, matching and mentions --------------------------

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

    field: str = PField(description="name, description, quote, statement, title or text.")
    text: str
    offset: int
    matches: list[list[int]] = PField(description="[start, end) pairs, relative to `text`.")


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

    type: str = PField(description="person, organization, claim or source.")
    id: str
    label: str = PField(description="The name, the source's title or the claim's quote.")
    score: float = PField(ge=0, le=1, description="Relevance in [0, 1]; the list is by score.")
    matched_by: list[str] = PField(description="Why this result matched.")
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

    name: NameLine = PField(description="The name as you have it, in any script or spelling.")
    type: MatchType = MatchType.person
    organization: NameLine | None = PField(
        default=None, description="An organisation the person is linked to (for persons)."
    )
    birth_date: date | None = PField(
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

    queries: dict[QueryName, MatchQuery] = PField(
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
    score: float = PField(ge=0, le=1)
    match: bool = PField(description="score >= threshold")
    features: dict[str, float | None] = PField(
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
    start: int = PField(description="Code-point offset in the source text (inclusive).")
    end: int = PField(description="Code-point offset in the source text (exclusive).")
    text: str
    basis: str = PField(
        description="full_name, surname_first, initials, surname (a known surname alone) or "
        "name (an organisation's name)."
    )
    matched_name: str = PField(description="The known spelling the words matched.")
    claim_ids: list[str] = PField(
        description="Claims of this source whose quote covers the mention and that are about "
        "(or attributed to) this entity."
    )
