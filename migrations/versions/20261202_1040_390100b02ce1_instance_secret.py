"""instance secret: a random cursor-signing key per database

Pagination cursors were signed with a built-in default key that anyone could read in the
source. This table keeps a random key made here, once per database, so every process serving
the database signs and checks cursors with the same key and nobody else knows it. Cursors
issued before this revision no longer verify (a client starts its walk again).

Revision ID: 390100b02ce1
Revises: 5d1c2e7a9b40
Create Date: 2026-12-02 10:40:00.000000

"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "390100b02ce1"
down_revision: str | Sequence[str] | None = "5d1c2e7a9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "instance_secret",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secret")),
    )
    op.bulk_insert(
        table,
        [
            {
                "name": "cursor",
                "value": secrets.token_urlsafe(32),
                "created_at": datetime.now(UTC).replace(microsecond=0),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("instance_secret")
