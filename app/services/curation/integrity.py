"""What refers to what, for the curation writes.

A write that names other records (a role's person, a claim's subjects) gets 422 naming every
id that does not exist. A delete of a record that others still refer to gets 409 with the
referring records listed (the `references` extension member, at most REFERENCES_LISTED of them,
and `reference_count`), so a curator can see what to fix first: nothing is deleted in cascade
but the record's own child rows (name forms, identifiers, authorships, claim subjects).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from app.auth import Actor
from app.models import Annotation, Claim, ClaimSubject, Role, Source, SourceAuthor
from app.models.change import ChangeEntity, ChangeOp
from app.problems import Conflict, ValidationFailed
from app.services.curation.transaction import flush_or_conflict, record_change
from app.services.search.index import reindex

REFERENCES_LISTED = 50


@dataclass(frozen=True)
class _Relation:
    """One way a record can refer to another: `ref_type` rows whose `ref_id` column holds
    the id in `column` (plus any extra conditions)."""

    ref_type: str
    relation: str
    ref_id: Any
    column: Any
    conditions: tuple[Any, ...] = ()


def _annotations(entity: ChangeEntity) -> _Relation:
    # Tombstones keep their target id but no content: they do not hold a record in place.
    return _Relation(
        "annotation",
        "target",
        col(Annotation.id),
        col(Annotation.target_id),
        (
            col(Annotation.target_type) == entity.value,
            col(Annotation.deleted_at).is_(None),
        ),
    )


RELATIONS: dict[ChangeEntity, tuple[_Relation, ...]] = {
    ChangeEntity.person: (
        _Relation("claim", "subject", col(ClaimSubject.claim_id), col(ClaimSubject.person_id)),
        _Relation("claim", "attributed_to", col(Claim.id), col(Claim.attributed_to_person_id)),
        _Relation("role", "person", col(Role.id), col(Role.person_id)),
        _Relation("source", "author", col(SourceAuthor.source_id), col(SourceAuthor.person_id)),
        _annotations(ChangeEntity.person),
    ),
    ChangeEntity.organization: (
        _Relation(
            "claim", "subject", col(ClaimSubject.claim_id), col(ClaimSubject.organization_id)
        ),
        _Relation(
            "claim", "attributed_to", col(Claim.id), col(Claim.attributed_to_organization_id)
        ),
        _Relation("role", "organization", col(Role.id), col(Role.organization_id)),
        _Relation("source", "publisher", col(Source.id), col(Source.publisher_organization_id)),
        _annotations(ChangeEntity.organization),
    ),
    ChangeEntity.source: (
        _Relation("claim", "source", col(Claim.id), col(Claim.source_id)),
        _annotations(ChangeEntity.source),
    ),
    ChangeEntity.claim: (
        _Relation("role", "provenance", col(Role.id), col(Role.claim_id)),
        _annotations(ChangeEntity.claim),
    ),
    ChangeEntity.role: (_annotations(ChangeEntity.role),),
}


def references_to(
    session: Session, entity: ChangeEntity, entity_id: str, *, limit: int = REFERENCES_LISTED
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """The first `limit` records referring to an entity (by relation, then id) and how many
    there are per `type relation`."""
    listed: list[dict[str, str]] = []
    counts: dict[str, int] = {}
    for rel in RELATIONS[entity]:
        where = (rel.column == entity_id, *rel.conditions)
        count = int(
            session.execute(
                select(func.count(func.distinct(rel.ref_id))).where(*where)
            ).scalar_one()
        )
        if not count:
            continue
        counts[f"{rel.ref_type} {rel.relation}"] = count
        room = limit - len(listed)
        if room > 0:
            ids = session.scalars(
                select(rel.ref_id).where(*where).distinct().order_by(rel.ref_id).limit(room)
            )
            listed += [{"type": rel.ref_type, "id": i, "relation": rel.relation} for i in ids]
    return listed, counts


def refuse_if_referenced(session: Session, entity: ChangeEntity, entity_id: str) -> None:
    """409 listing the records that still refer to the entity, if there are any."""
    listed, counts = references_to(session, entity, entity_id)
    if not counts:
        return
    total = sum(counts.values())
    summary = ", ".join(f"{kind}: {n}" for kind, n in counts.items())
    raise Conflict(
        f"The {entity.value} {entity_id!r} cannot be deleted: {total} record(s) still refer to "
        f"it ({summary}). Change or delete them first; `references` lists "
        f"{'them' if total == len(listed) else f'the first {len(listed)}'}.",
        extensions={"references": listed, "reference_count": total},
    )


def delete_unreferenced(
    session: Session, actor: Actor, entity: ChangeEntity, row: Any, entity_id: str
) -> None:
    """Delete a locked, If-Match-checked record unless something refers to it (409), log the
    delete and commit. Its own child rows (name forms, identifiers, authorships, claim
    subjects) go with it through the schema's ON DELETE CASCADE."""
    refuse_if_referenced(session, entity, entity_id)
    session.delete(row)
    record_change(session, actor, entity, entity_id, ChangeOp.delete, row.version)
    flush_or_conflict(session)
    reindex(session, [(entity.value, entity_id)])
    session.commit()


def must_exist(session: Session, wanted: Iterable[tuple[list[Any], type[SQLModel], str]]) -> None:
    """422 naming every referenced id that does not exist. `wanted` holds
    (location in the body, model, id) triples."""
    missing = []
    for loc, model, entity_id in wanted:
        if session.get(model, entity_id) is None:
            missing.append((loc, str(model.__tablename__), entity_id))
    if missing:
        names = "; ".join(
            f"{'.'.join(map(str, loc))}: no {table} {i!r}" for loc, table, i in missing
        )
        raise ValidationFailed(
            f"The request refers to records that do not exist: {names}.",
            errors=[
                {"loc": ["body", *loc], "msg": f"no {table} {i!r}", "type": "unknown_reference"}
                for loc, table, i in missing
            ],
        )
