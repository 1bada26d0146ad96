"""read paths at scale: denormalised keyset columns, claim tallies and filter indexes

At a million claims the list reads walked whole tables: `?subject=` tested every claim, in list
order, for a subject row (a rare subject read the whole table), and a person's record counted
tens of thousands of claims on every read. This revision gives each list an index whose leading
columns are its filter and whose remaining columns are the list's order, so a page is one
index range:

- `claim_subject` gains copies of its subject (whichever its type) and of its claim's keyset
  columns (`subject_id`, `source_id`, `quote_start`), indexed in that order;
- `claim_tally` holds the claims per subject and kind that records show;
- `annotation_about` links each annotation to the persons it is about (the person it targets,
  the persons of the claim or role it targets) and `annotation_tally` counts, per person, those
  every reader sees, so a person's annotations are one index range too;
- `claim` gets one index per filter (kind, modality, stance, attribution to a person, to an
  organisation) ahead of the keyset (the attribution ones also serve the foreign keys);
- `change` an index on (entity_id, seq) for `?entity_id=` without a type, and `annotation`
  ones for `?target_id=` without a type and for `?flagged=true`.

Existing rows are filled here with plain SQL (the same statements as
app/services/curation/denormalised.py's `rebuild`, copied so this revision never changes).

Revision ID: 33c82f707dc7
Revises: 390100b02ce1
Create Date: 2026-12-03 12:02:04.694020

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "33c82f707dc7"
down_revision: str | Sequence[str] | None = "390100b02ce1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = (
    "UPDATE claim_subject SET subject_id = COALESCE(claim_subject.person_id, "
    "claim_subject.organization_id), source_id = claim.source_id, "
    "quote_start = claim.quote_start FROM claim WHERE claim.id = claim_subject.claim_id",
    "INSERT INTO claim_tally (subject_id, kind, n) SELECT claim_subject.subject_id, claim.kind, "
    "COUNT(*) FROM claim_subject JOIN claim ON claim.id = claim_subject.claim_id "
    "GROUP BY claim_subject.subject_id, claim.kind",
)

# The persons each annotation is about, and the count every reader sees per person (the same
# statements as app/services/annotations/about.py's REBUILD_SQL).
_ABOUT = (
    "INSERT INTO annotation_about (person_id, annotation_id) "
    "SELECT target_id, id FROM annotation WHERE target_type = 'person' "
    "UNION SELECT cs.person_id, a.id FROM annotation a JOIN claim_subject cs "
    "ON cs.claim_id = a.target_id WHERE a.target_type = 'claim' AND cs.person_id IS NOT NULL "
    "UNION SELECT r.person_id, a.id FROM annotation a JOIN role r ON r.id = a.target_id "
    "WHERE a.target_type = 'role'",
    "INSERT INTO annotation_tally (person_id, n) SELECT ab.person_id, COUNT(*) "
    "FROM annotation_about ab JOIN annotation a ON a.id = ab.annotation_id "
    "WHERE a.hidden = false AND a.deleted_at IS NULL GROUP BY ab.person_id",
)


def upgrade() -> None:
    op.create_table(
        "claim_tally",
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "kind", name=op.f("pk_claim_tally")),
    )
    op.create_table(
        "annotation_about",
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("annotation_id", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotation.id"],
            name=op.f("fk_annotation_about_annotation_id_annotation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "annotation_id", name=op.f("pk_annotation_about")),
    )
    with op.batch_alter_table("annotation_about", schema=None) as batch_op:
        batch_op.create_index("ix_annotation_about_annotation_id", ["annotation_id"], unique=False)
    op.create_table(
        "annotation_tally",
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_annotation_tally")),
    )
    for statement in _ABOUT:
        op.execute(statement)
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_index("ix_change_entity_id", ["entity_id", "seq"], unique=False)
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.create_index("ix_annotation_target_id", ["target_id", "id"], unique=False)
        batch_op.create_index(
            "ix_annotation_flagged",
            ["id"],
            unique=False,
            sqlite_where=sa.text("flag_count > 0"),
            postgresql_where=sa.text("flag_count > 0"),
        )

    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_kind"))
        batch_op.drop_index("ix_claim_attributed_to_person_id")
        for column in (
            "kind",
            "modality",
            "stance",
            "attributed_to_person_id",
            "attributed_to_organization_id",
        ):
            name = (
                f"ix_claim_{column}"
                if column.startswith("attributed")
                else f"ix_claim_{column}_keyset"
            )
            batch_op.create_index(name, [column, "source_id", "quote_start", "id"], unique=False)

    # Added nullable, filled, then made NOT NULL (SQLite rebuilds the table for that).
    with op.batch_alter_table("claim_subject", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("quote_start", sa.Integer(), nullable=True))
    for statement in _FILL:
        op.execute(statement)
    with op.batch_alter_table("claim_subject", schema=None) as batch_op:
        batch_op.alter_column("subject_id", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("source_id", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("quote_start", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            "ix_claim_subject_keyset",
            ["subject_id", "source_id", "quote_start", "claim_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("claim_subject", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_subject_keyset")
        batch_op.drop_column("quote_start")
        batch_op.drop_column("source_id")
        batch_op.drop_column("subject_id")

    with op.batch_alter_table("claim", schema=None) as batch_op:
        for name in (
            "ix_claim_attributed_to_organization_id",
            "ix_claim_attributed_to_person_id",
            "ix_claim_stance_keyset",
            "ix_claim_modality_keyset",
            "ix_claim_kind_keyset",
        ):
            batch_op.drop_index(name)
        batch_op.create_index(
            "ix_claim_attributed_to_person_id", ["attributed_to_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_claim_kind"), ["kind"], unique=False)

    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.drop_index("ix_annotation_flagged")
        batch_op.drop_index("ix_annotation_target_id")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_entity_id")

    op.drop_table("annotation_tally")
    with op.batch_alter_table("annotation_about", schema=None) as batch_op:
        batch_op.drop_index("ix_annotation_about_annotation_id")
    op.drop_table("annotation_about")
    op.drop_table("claim_tally")
