"""Search indexes and mentions: rows derived from the curated data, rebuilt by the writes.

Backend-specific index structures sit on top of two of these tables and are created by the
migration, not by these models (see BACKEND_OBJECTS): on SQLite, FTS5 tables kept current by
triggers; on PostgreSQL, a generated tsvector column with a GIN index and a pg_trgm index.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

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
    skeleton (app/services/terms.py), `words` every skeleton each of its words is known by
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
