"""Which persons each annotation is about, and how many of those every reader sees.

A person's annotations are those on the person, on the claims about them and on their roles.
Found by joining at read time, a person quoted in 40,000 claims costs 40,000 probes per read;
so `annotation_about` holds one row per (person, annotation) and `annotation_tally` the count of
those that are neither hidden nor deleted, both kept here, in the writes' own transactions:

- an annotation is linked when it is created (`link`), and its persons' counts move when it is
  hidden, shown again or deleted (`republish`);
- when a claim's person subjects or a role's person change, the annotations on that claim or
  role move from the old persons to the new (`retarget`).

`REBUILD_SQL` derives both tables from the base rows, for the migration that introduced them
and for bulk loads that bypass the writes (bench/gen_kb.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import bindparam, delete, select, text
from sqlmodel import Session, col

from app.models import Annotation, AnnotationAbout, ClaimSubject, Role
from app.models.annotation import TargetType

_UPSERT = text(
    "INSERT INTO annotation_tally (person_id, n) VALUES (:person_id, :n) "
    "ON CONFLICT (person_id) DO UPDATE SET n = annotation_tally.n + excluded.n"
)
_DROP_EMPTY = text("DELETE FROM annotation_tally WHERE person_id = :person_id AND n <= 0")
_CLAIM_PERSONS = (
    select(col(ClaimSubject.person_id))
    .where(col(ClaimSubject.claim_id) == bindparam("id"), col(ClaimSubject.person_id).is_not(None))
    .order_by(col(ClaimSubject.ordinal))
)
_ROLE_PERSON = select(col(Role.person_id)).where(col(Role.id) == bindparam("id"))
_PERSONS_OF = select(col(AnnotationAbout.person_id)).where(
    col(AnnotationAbout.annotation_id) == bindparam("id")
)


def is_public(row: Annotation) -> bool:
    return not row.hidden and row.deleted_at is None


def persons_about(session: Session, target_type: str, target_id: str) -> list[str]:
    """The persons an annotation on this target is about (none for sources, organisations
    and replies)."""
    if target_type == TargetType.person.value:
        return [target_id]
    if target_type == TargetType.claim.value:
        return [p for p in session.scalars(_CLAIM_PERSONS, {"id": target_id}) if p is not None]
    if target_type == TargetType.role.value:
        return list(session.scalars(_ROLE_PERSON, {"id": target_id}))
    return []


def _count(session: Session, delta: Counter[str]) -> None:
    """Apply count changes in a fixed order (no two writers lock rows in opposite orders)."""
    changes = sorted((p, n) for p, n in delta.items() if n != 0)
    for person_id, n in changes:
        session.execute(_UPSERT, {"person_id": person_id, "n": n})
    for person_id, n in changes:
        if n < 0:
            session.execute(_DROP_EMPTY, {"person_id": person_id})


def link(session: Session, row: Annotation) -> None:
    """A new annotation: its rows, and +1 for each of its persons."""
    persons = sorted(set(persons_about(session, row.target_type, row.target_id)))
    session.add_all(AnnotationAbout(person_id=p, annotation_id=row.id) for p in persons)
    if is_public(row):
        _count(session, Counter(dict.fromkeys(persons, 1)))


def republish(session: Session, row: Annotation, *, was_public: bool) -> None:
    """After a hide, an unhide or a delete: move its persons' counts if every reader's view of
    it changed."""
    now = is_public(row)
    if now == was_public:
        return
    persons = list(session.scalars(_PERSONS_OF, {"id": row.id}))
    _count(session, Counter(dict.fromkeys(persons, 1 if now else -1)))


def retarget(
    session: Session,
    target_type: TargetType,
    target_id: str,
    before: Iterable[str],
    after: Iterable[str],
) -> None:
    """A claim's person subjects, or a role's person, changed from `before` to `after`: the
    annotations on it are now about the new persons."""
    gone, added = set(before) - set(after), set(after) - set(before)
    if not gone and not added:
        return
    rows = session.execute(
        select(col(Annotation.id), col(Annotation.hidden), col(Annotation.deleted_at)).where(
            col(Annotation.target_type) == target_type.value,
            col(Annotation.target_id) == target_id,
        )
    ).all()
    if not rows:
        return
    ids = [r.id for r in rows]
    public = sum(1 for r in rows if not r.hidden and r.deleted_at is None)
    if gone:
        session.execute(
            delete(AnnotationAbout).where(
                col(AnnotationAbout.annotation_id).in_(ids),
                col(AnnotationAbout.person_id).in_(sorted(gone)),
            )
        )
    session.add_all(
        AnnotationAbout(person_id=p, annotation_id=a) for p in sorted(added) for a in ids
    )
    delta: Counter[str] = Counter(dict.fromkeys(gone, -public))
    delta.update(dict.fromkeys(added, public))
    _count(session, delta)


# Plain SQL both databases run; the migration holds its own copy.
REBUILD_SQL = (
    "DELETE FROM annotation_about",
    "INSERT INTO annotation_about (person_id, annotation_id) "
    "SELECT target_id, id FROM annotation WHERE target_type = 'person' "
    "UNION SELECT cs.person_id, a.id FROM annotation a JOIN claim_subject cs "
    "ON cs.claim_id = a.target_id WHERE a.target_type = 'claim' AND cs.person_id IS NOT NULL "
    "UNION SELECT r.person_id, a.id FROM annotation a JOIN role r ON r.id = a.target_id "
    "WHERE a.target_type = 'role'",
    "DELETE FROM annotation_tally",
    "INSERT INTO annotation_tally (person_id, n) SELECT ab.person_id, COUNT(*) "
    "FROM annotation_about ab JOIN annotation a ON a.id = ab.annotation_id "
    "WHERE a.hidden = false AND a.deleted_at IS NULL GROUP BY ab.person_id",
)
