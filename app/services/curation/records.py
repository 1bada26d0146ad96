"""Each entity's record (app/models/record.py) as it stands in the current transaction, and
the exact JSON text a version stores.

A write records its change (transaction.py `record_change`) once the entity is as the version
leaves it, so the record built here is that version's. The upgrade that introduced stored
versions gives every existing entity its first one with the same functions (`backfill`), so a
first version reads the same whether a write or the upgrade stored it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session, col

from app.models import (
    Annotation,
    ApiKey,
    Claim,
    ClaimSubject,
    Organization,
    Person,
    Role,
    Source,
    SourceAuthor,
)
from app.models.change import Change, ChangeEntity, ChangeOp
from app.models.common import EntityType
from app.models.record import (
    AnnotationRecord,
    ApiKeyRecord,
    ClaimRecord,
    OrganizationRecord,
    PersonRecord,
    RoleRecord,
    SourceRecord,
    SubjectRef,
)
from app.services.annotations.reads import assessment_of, target_of
from app.services.catalog.loaders import identifiers_for, names_for


def document_text(record: BaseModel) -> str:
    """The stored text of a record: what the feed, /versions and as_of= serve, byte for byte."""
    return record.model_dump_json()


def _named(session: Session, owner: EntityType, row: Person | Organization) -> dict[str, Any]:
    """What a person's and an organisation's record share: name forms, identifiers, stamps."""
    return {
        "names": names_for(session, owner, [row.id]).get(row.id, []),
        "identifiers": identifiers_for(session, owner, row.id),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "version": row.version,
    }


def _person(session: Session, row: Person) -> PersonRecord:
    return PersonRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        birth_date=row.birth_date,
        **_named(session, EntityType.person, row),
    )


def _organization(session: Session, row: Organization) -> OrganizationRecord:
    return OrganizationRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        description=row.description,
        **_named(session, EntityType.organization, row),
    )


def _role(session: Session, row: Role) -> RoleRecord:
    return RoleRecord.model_validate(row, from_attributes=True)


# Built once: every write runs one of these (and the upgrade one per entity).
_AUTHORS = (
    select(col(SourceAuthor.person_id))
    .where(col(SourceAuthor.source_id) == bindparam("id"))
    .order_by(col(SourceAuthor.ordinal))
)
_SUBJECTS = (
    select(col(ClaimSubject.person_id), col(ClaimSubject.organization_id))
    .where(col(ClaimSubject.claim_id) == bindparam("id"))
    .order_by(col(ClaimSubject.ordinal))
)


def _source(session: Session, row: Source) -> SourceRecord:
    authors = session.scalars(_AUTHORS, {"id": row.id}).all()
    return SourceRecord(
        id=row.id,
        title=row.title,
        url=row.url,
        published_date=row.published_date,
        language=row.language,
        genre=row.genre,
        rights=row.rights,
        publisher_id=row.publisher_organization_id,
        author_ids=list(authors),
        text=row.text if row.rights == "full_text" else None,
        text_length=row.text_length,
        text_sha256=row.text_sha256,
        original_sha256=row.original_sha256,
        derivation=list(row.derivation),
        publisher_notes=list(row.publisher_notes),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def _claim(session: Session, row: Claim) -> ClaimRecord:
    subjects = session.execute(_SUBJECTS, {"id": row.id}).all()
    attributed = None
    if row.attributed_to_person_id:
        attributed = SubjectRef(type=EntityType.person, id=row.attributed_to_person_id)
    elif row.attributed_to_organization_id:
        attributed = SubjectRef(type=EntityType.organization, id=row.attributed_to_organization_id)
    return ClaimRecord(
        id=row.id,
        source_id=row.source_id,
        quote=row.quote,
        start=row.quote_start,
        end=row.quote_end,
        subjects=[
            SubjectRef(type=EntityType.person, id=p)
            if p is not None
            else SubjectRef(type=EntityType.organization, id=o)
            for p, o in subjects
        ],
        attributed_to=attributed,
        attributed_to_label=row.attributed_to_label,
        kind=row.kind,
        statement=row.statement,
        modality=row.modality,
        hedge=row.hedge,
        stance=row.stance,
        rationale=row.rationale,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def _annotation(session: Session, a: Annotation) -> AnnotationRecord:
    deleted = a.deleted_at is not None
    return AnnotationRecord(
        id=a.id,
        target=target_of(a),
        motivation=a.motivation,
        body=None if deleted else a.body,
        tags=[] if deleted else list(a.tags),
        assessment=assessment_of(a),
        links=[] if deleted else list(a.links),
        creator_id=a.creator_key_id,
        thread_id=a.thread_id,
        hidden=a.hidden,
        hidden_reason=a.hidden_reason,
        deleted=deleted,
        deleted_at=a.deleted_at,
        created_at=a.created_at,
        updated_at=a.updated_at,
        version=a.version,
    )


def _api_key(session: Session, key: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord.of(key)


_BUILDERS: dict[ChangeEntity, tuple[type[Any], Callable[[Session, Any], BaseModel]]] = {
    ChangeEntity.person: (Person, _person),
    ChangeEntity.organization: (Organization, _organization),
    ChangeEntity.role: (Role, _role),
    ChangeEntity.source: (Source, _source),
    ChangeEntity.claim: (Claim, _claim),
    ChangeEntity.annotation: (Annotation, _annotation),
    ChangeEntity.api_key: (ApiKey, _api_key),
}


def record_of(session: Session, entity: ChangeEntity, entity_id: str) -> BaseModel | None:
    """The entity's record as the current transaction has it; None if it does not exist."""
    model, build = _BUILDERS[entity]
    session.flush()
    row = session.get(model, entity_id)
    return None if row is None else build(session, row)


def document_for(
    session: Session, entity: ChangeEntity, entity_id: str, op: ChangeOp
) -> str | None:
    """What a change stores: the record after it, or nothing for a delete (its tombstone is
    made from the change row itself)."""
    if op is ChangeOp.delete:
        return None
    record = record_of(session, entity, entity_id)
    return None if record is None else document_text(record)


# -- the first stored version of what existed before versions were kept ----------------------


def _unversioned(session: Session, entity: ChangeEntity) -> list[tuple[str, int, int | None]]:
    """Each entity of a type whose current version has no stored record: its id, version, and
    the latest change-log row of that version that is not a delete (None if there is none),
    in one query."""
    model, _ = _BUILDERS[entity]
    of_version = (
        col(Change.entity_type) == entity.value,
        col(Change.entity_id) == model.id,
        col(Change.version) == model.version,
    )
    stored = select(col(Change.seq)).where(*of_version, col(Change.document).is_not(None))
    latest = select(func.max(col(Change.seq))).where(*of_version, col(Change.op) != _DELETE)
    stmt = select(model.id, model.version, latest.scalar_subquery()).where(~stored.exists())
    return [(row[0], row[1], row[2]) for row in session.execute(stmt)]


_DELETE = ChangeOp.delete.value
_LAST_OP = (
    select(col(Change.op))
    .where(col(Change.entity_type) == bindparam("type"), col(Change.entity_id) == bindparam("id"))
    .order_by(col(Change.seq).desc())
    .limit(1)
)
_SET_DOCUMENT = (
    update(Change).where(col(Change.seq) == bindparam("row")).values(document=bindparam("text"))
)


def backfill(session: Session) -> int:
    """Give every entity whose current version has no stored record its record now: on the
    latest change-log row of that version if there is one, or on a new `update` row (`create`
    if the log never mentioned it). Idempotent; the caller commits. Returns how many."""
    from app.services.curation.transaction import record_change

    done = 0
    for entity in ChangeEntity:
        for entity_id, version, latest in _unversioned(session, entity):
            if latest is not None:
                text = document_for(session, entity, entity_id, ChangeOp.update)
                session.execute(_SET_DOCUMENT, {"row": latest, "text": text})
                done += 1
                continue
            params = {"type": entity.value, "id": entity_id}
            last_op = session.execute(_LAST_OP, params).scalar_one_or_none()
            if last_op == _DELETE:
                continue  # a deleted annotation's row stays as its tombstone
            op = ChangeOp.create if last_op is None else ChangeOp.update
            record_change(session, None, entity, entity_id, op, version, origin="upgrade")
            done += 1
    return done
