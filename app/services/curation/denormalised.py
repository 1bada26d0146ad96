"""The denormalised copies the read paths index instead of joining, and how writes keep them.

- `claim_subject.subject_id`, `.source_id`, `.quote_start`: each subject row carries its subject
  whichever its type and its claim's keyset columns, so `GET /v1/claims?subject=` (and a
  person's or organisation's claims) is one range of `ix_claim_subject_keyset` in list order,
  whatever the table's size, instead of a walk of every claim testing each for the subject.
- `claim_tally`: claims per subject and kind, the counts a person's or an organisation's record
  shows, so a record of a subject with 40,000 claims costs what one with 4 does.

The claim writes (app/services/curation/claim_writes.py) call `subject_rows`, `move_keyset`
and `retally` in their own transaction, so a reader never sees a claim and its copies
disagree. Bulk loads that bypass the writes (bench/gen_kb.py) write the subject rows' copies
with the rows and derive the tallies with `TALLY_SQL`; the migration that introduced them
fills existing databases the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import text
from sqlmodel import Session

from app.models import Claim, ClaimSubject
from app.models.claim import EntityRefIn
from app.models.common import EntityType

# (subject id, kind) -> +n or -n
Tally = Counter[tuple[str, str]]

_UPSERT = text(
    "INSERT INTO claim_tally (subject_id, kind, n) VALUES (:subject_id, :kind, :n) "
    "ON CONFLICT (subject_id, kind) DO UPDATE SET n = claim_tally.n + excluded.n"
)
_DROP_EMPTY = text("DELETE FROM claim_tally WHERE subject_id = :subject_id AND n <= 0")


def subject_rows(claim: Claim, subjects: list[EntityRefIn]) -> list[ClaimSubject]:
    """A claim's subject rows, with the copies of its keyset columns."""
    return [
        ClaimSubject(
            claim_id=claim.id,
            ordinal=i,
            person_id=s.id if s.type is EntityType.person else None,
            organization_id=s.id if s.type is EntityType.organization else None,
            subject_id=s.id,
            source_id=claim.source_id,
            quote_start=claim.quote_start,
        )
        for i, s in enumerate(subjects)
    ]


def tally_of(subject_ids: Iterable[str], kind: str, sign: int) -> Tally:
    return Counter({(subject_id, kind): sign for subject_id in subject_ids})


def retally(session: Session, delta: Tally) -> None:
    """Apply count changes, in a fixed order (two writers never lock the same rows in
    opposite orders), dropping counts that reach zero."""
    changes = sorted((key, n) for key, n in delta.items() if n != 0)
    for (subject_id, kind), n in changes:
        session.execute(_UPSERT, {"subject_id": subject_id, "kind": kind, "n": n})
    for subject_id in sorted({subject_id for (subject_id, _), n in changes if n < 0}):
        session.execute(_DROP_EMPTY, {"subject_id": subject_id})


def move_keyset(session: Session, claim: Claim) -> None:
    """Copy a claim's (possibly new) source and offset onto its subject rows."""
    session.execute(
        text(
            "UPDATE claim_subject SET source_id = :source_id, quote_start = :quote_start "
            "WHERE claim_id = :claim_id"
        ),
        {"source_id": claim.source_id, "quote_start": claim.quote_start, "claim_id": claim.id},
    )


# The tallies from the base rows, in plain SQL both databases run (for bulk loads that bypass
# the writes: bench/gen_kb.py; the migration that made the table holds its own copy).
TALLY_SQL = (
    "INSERT INTO claim_tally (subject_id, kind, n) SELECT claim_subject.subject_id, claim.kind, "
    "COUNT(*) FROM claim_subject JOIN claim ON claim.id = claim_subject.claim_id "
    "GROUP BY claim_subject.subject_id, claim.kind"
)
