"""stored versions: each change-log row keeps the entity's record as of that version

The change log said that something changed, not what it became. This revision adds
`change.document`: the entity's record (app/models/record.py) after the change, as the exact
JSON text that the change feed, `/versions` and `as_of=` reads serve; null for deletes. It
also indexes the log by (entity_type, seq), for the feed of one type of entity.

Records are built by the application's serialisers, which no migration may import, so this
revision only marks a database that already holds entities (a row `versions` = `pending` in
`instance_secret`); `elitekb db upgrade`, on reaching the head, gives every such entity its
first stored version (on its latest change-log row, or a new one) and removes the mark in the
same transaction (app/services/migrations.py). Versions before this revision were not kept:
their change-log rows stay, with no document.

Revision ID: 8f3a1c5d2e6b
Revises: 33c82f707dc7
Create Date: 2026-12-04 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "8f3a1c5d2e6b"
down_revision: str | Sequence[str] | None = "33c82f707dc7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ENTITY_TABLES = ("person", "organization", "role", "source", "claim", "annotation", "api_key")


def upgrade() -> None:
    with op.batch_alter_table("change") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))
    # The feed of one type of entity, in sequence order.
    op.create_index("ix_change_type_seq", "change", ["entity_type", "seq"])
    holds = " OR ".join(f"EXISTS (SELECT 1 FROM {t})" for t in _ENTITY_TABLES)
    op.execute(
        "INSERT INTO instance_secret (name, value, created_at) "
        f"SELECT 'versions', 'pending', CURRENT_TIMESTAMP WHERE {holds}"
    )


def downgrade() -> None:
    op.execute("DELETE FROM instance_secret WHERE name = 'versions'")
    op.drop_index("ix_change_type_seq", table_name="change")
    with op.batch_alter_table("change") as batch:
        batch.drop_column("document")
