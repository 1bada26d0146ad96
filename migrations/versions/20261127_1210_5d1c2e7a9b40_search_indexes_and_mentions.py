"""search indexes, mentions and birth dates

Persons gain an optional birth_date, which matching uses.
Name variants, full-text documents and mentions, plus each backend's index over them:
- SQLite: FTS5 tables (external content) kept current by triggers: `name_variant_fts` with
  the trigram tokenizer over name skeletons, `search_doc_fts` with unicode61 over the terms;
- PostgreSQL: pg_trgm (GIN) over name skeletons, and a generated tsvector column ('simple'
  configuration: the terms are already folded and lemmatised in Python) with a GIN index
  per document type.
The rows are derived from the curated data. This revision only makes the tables: like every
migration it imports nothing from app/, so it does not move when the search rules do. `elitekb
db upgrade` fills them for what is already there, with `elitekb search rebuild`'s code, once it
has reached the head revision (app/services/migrations.py).

Revision ID: 5d1c2e7a9b40
Revises: ce4a27b188ca
Create Date: 2026-11-27 12:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5d1c2e7a9b40"
down_revision: str | Sequence[str] | None = "ce4a27b188ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONE_OWNER = "(person_id IS NULL) <> (organization_id IS NULL)"

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE name_variant_fts USING fts5("
    "skel, content='name_variant', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE name_variant_words USING fts5("
    "words, content='name_variant', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER name_variant_ai AFTER INSERT ON name_variant BEGIN "
    "INSERT INTO name_variant_fts(rowid, skel) VALUES (new.id, new.skel); "
    "INSERT INTO name_variant_words(rowid, words) VALUES (new.id, new.words); END",
    "CREATE TRIGGER name_variant_ad AFTER DELETE ON name_variant BEGIN "
    "INSERT INTO name_variant_fts(name_variant_fts, rowid, skel) "
    "VALUES ('delete', old.id, old.skel); "
    "INSERT INTO name_variant_words(name_variant_words, rowid, words) "
    "VALUES ('delete', old.id, old.words); END",
    "CREATE TRIGGER name_variant_au AFTER UPDATE ON name_variant BEGIN "
    "INSERT INTO name_variant_fts(name_variant_fts, rowid, skel) "
    "VALUES ('delete', old.id, old.skel); "
    "INSERT INTO name_variant_words(name_variant_words, rowid, words) "
    "VALUES ('delete', old.id, old.words); "
    "INSERT INTO name_variant_fts(rowid, skel) VALUES (new.id, new.skel); "
    "INSERT INTO name_variant_words(rowid, words) VALUES (new.id, new.words); END",
    "CREATE VIRTUAL TABLE search_doc_fts USING fts5("
    "entity_type, terms, content='search_doc', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_doc_ai AFTER INSERT ON search_doc BEGIN "
    "INSERT INTO search_doc_fts(rowid, entity_type, terms) "
    "VALUES (new.id, new.entity_type, new.terms); END",
    "CREATE TRIGGER search_doc_ad AFTER DELETE ON search_doc BEGIN "
    "INSERT INTO search_doc_fts(search_doc_fts, rowid, entity_type, terms) "
    "VALUES ('delete', old.id, old.entity_type, old.terms); END",
    "CREATE TRIGGER search_doc_au AFTER UPDATE ON search_doc BEGIN "
    "INSERT INTO search_doc_fts(search_doc_fts, rowid, entity_type, terms) "
    "VALUES ('delete', old.id, old.entity_type, old.terms); "
    "INSERT INTO search_doc_fts(rowid, entity_type, terms) "
    "VALUES (new.id, new.entity_type, new.terms); END",
]

_POSTGRES_INDEXES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_name_variant_skel_trgm ON name_variant USING gin (skel gin_trgm_ops)",
    "ALTER TABLE name_variant ADD COLUMN words_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED",
    "CREATE INDEX ix_name_variant_words_tsv ON name_variant USING gin (words_tsv)",
    "ALTER TABLE search_doc ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    # One GIN index per document type: a query for sources reads only the sources' postings,
    # not the claims' millions.
    *(
        f"CREATE INDEX ix_search_doc_tsv_{kind} ON search_doc USING gin (tsv) "
        f"WHERE entity_type = '{kind}'"
        for kind in ("claim", "source", "person", "organization")
    ),
]


def upgrade() -> None:
    # Plain ALTER TABLE on both backends: a batch copy-and-rename of `person` on SQLite would
    # trip the foreign keys that point at it.
    op.add_column("person", sa.Column("birth_date", sa.Date(), nullable=True))

    op.create_table(
        "name_variant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=True),
        sa.Column("organization_id", sa.String(length=100), nullable=True),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("skel", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.CheckConstraint(_ONE_OWNER, name=op.f("ck_name_variant_one_owner")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_name_variant_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_name_variant_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_name_variant")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("name_variant", schema=None) as batch_op:
        batch_op.create_index("ix_name_variant_key", ["key"], unique=False)
        batch_op.create_index("ix_name_variant_organization_id", ["organization_id"], unique=False)
        batch_op.create_index("ix_name_variant_person_id", ["person_id"], unique=False)

    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_doc")),
        sa.UniqueConstraint("entity_type", "entity_id", name="uq_search_doc_entity"),
    )
    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=True),
        sa.Column("organization_id", sa.String(length=100), nullable=True),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("matched_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.CheckConstraint(_ONE_OWNER, name=op.f("ck_mention_one_owner")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_mention_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_mention_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_mention_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention")),
        sa.UniqueConstraint("source_id", "start", "end", name="uq_mention_span"),
    )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mention_organization_id", ["organization_id", "source_id", "start"], unique=False
        )
        batch_op.create_index(
            "ix_mention_person_id", ["person_id", "source_id", "start"], unique=False
        )

    bind = op.get_bind()
    for statement in _SQLITE_FTS if bind.dialect.name == "sqlite" else _POSTGRES_INDEXES:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("name_variant", "search_doc"):
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {name}_fts")
        op.execute("DROP TABLE IF EXISTS name_variant_words")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_person_id")
        batch_op.drop_index("ix_mention_organization_id")
    op.drop_table("mention")
    op.drop_table("search_doc")
    with op.batch_alter_table("name_variant", schema=None) as batch_op:
        batch_op.drop_index("ix_name_variant_person_id")
        batch_op.drop_index("ix_name_variant_organization_id")
        batch_op.drop_index("ix_name_variant_key")
    op.drop_table("name_variant")
    # SQLite >= 3.35 drops a column in place (see upgrade() for why not in batch mode).
    op.execute("ALTER TABLE person DROP COLUMN birth_date")
