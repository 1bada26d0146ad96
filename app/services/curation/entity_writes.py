"""Curating persons and organisations: create, edit (partial), delete.

Both kinds share their shape (slug id, display name, description, name forms, identifiers), so
one set of functions serves both, told apart by an `_EntityKind`. Slugs are unique across
persons and organisations together, because claim filters such as `subject=` and
`attributed_to=` take a bare id.

`insert_*` and `apply_*_update` check and write inside the caller's transaction (with its
change-log row, without reindexing or committing), so the seed loader writes through the same
rules; `create_*` and `update_*` are those plus the reindex and the one commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, delete, or_, select
from sqlmodel import Session, col

from app.auth import Actor
from app.models import IdentifierRow, NameFormRow, Organization, Person
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import EntityType, NameForm, utcnow
from app.models.naming import IdentifierIn, NameFormIn
from app.models.organization import OrganizationCreate, OrganizationPublic, OrganizationUpdate
from app.models.person import PersonCreate, PersonPublic, PersonUpdate
from app.problems import Conflict, ValidationFailed
from app.services.catalog.loaders import identifiers_for, names_for, owner_column
from app.services.catalog.organizations import get_organization
from app.services.catalog.persons import get_person
from app.services.curation.integrity import delete_unreferenced
from app.services.curation.transaction import (
    Precondition,
    bump,
    flush_or_conflict,
    lock,
    plain,
    record_change,
)
from app.services.search.index import reindex
from app.services.search.terms import name_key


@dataclass(frozen=True)
class _EntityKind:
    model: Any
    owner: EntityType
    entity: ChangeEntity
    get: Callable[[Session, str], Any]
    # Scalar columns a create sets and a PATCH may change.
    fields: tuple[str, ...]


PERSON = _EntityKind(
    Person,
    EntityType.person,
    ChangeEntity.person,
    get_person,
    ("name", "description", "birth_date"),
)
ORGANIZATION = _EntityKind(
    Organization,
    EntityType.organization,
    ChangeEntity.organization,
    get_organization,
    ("name", "kind", "description"),
)


# -- persons and organisations as the API names them ---------------------------------------


def create_person(session: Session, actor: Actor, data: PersonCreate) -> PersonPublic:
    result: PersonPublic = _create(session, actor, PERSON, data)
    return result


def update_person(
    session: Session, actor: Actor, person_id: str, patch: PersonUpdate, *, if_match: Precondition
) -> PersonPublic:
    result: PersonPublic = _update(session, actor, PERSON, person_id, patch, if_match)
    return result


def delete_person(
    session: Session, actor: Actor, person_id: str, *, if_match: Precondition
) -> None:
    _delete(session, actor, PERSON, person_id, if_match)


def create_organization(
    session: Session, actor: Actor, data: OrganizationCreate
) -> OrganizationPublic:
    result: OrganizationPublic = _create(session, actor, ORGANIZATION, data)
    return result


def update_organization(
    session: Session,
    actor: Actor,
    organization_id: str,
    patch: OrganizationUpdate,
    *,
    if_match: Precondition,
) -> OrganizationPublic:
    result: OrganizationPublic = _update(
        session, actor, ORGANIZATION, organization_id, patch, if_match
    )
    return result


def delete_organization(
    session: Session, actor: Actor, organization_id: str, *, if_match: Precondition
) -> None:
    _delete(session, actor, ORGANIZATION, organization_id, if_match)


# -- the checked writes, in the caller's transaction ------------------------------------------


def insert_person(
    session: Session, actor: Actor | None, data: PersonCreate, *, origin: str = "api"
) -> None:
    """Check a new person against the API's rules and add it, its name forms, identifiers and
    change-log row; the caller reindexes and commits."""
    _insert(session, actor, PERSON, data, origin)


def insert_organization(
    session: Session, actor: Actor | None, data: OrganizationCreate, *, origin: str = "api"
) -> None:
    """As `insert_person`, for an organisation."""
    _insert(session, actor, ORGANIZATION, data, origin)


def apply_person_update(
    session: Session, actor: Actor | None, row: Person, patch: PersonUpdate, *, origin: str = "api"
) -> bool:
    """Check and apply an edit of a (locked) person with a new version and its change-log row;
    False, with nothing written, if it changes nothing. The caller reindexes and commits."""
    return _apply_update(session, actor, PERSON, row, patch, origin)


def apply_organization_update(
    session: Session,
    actor: Actor | None,
    row: Organization,
    patch: OrganizationUpdate,
    *,
    origin: str = "api",
) -> bool:
    """As `apply_person_update`, for an organisation."""
    return _apply_update(session, actor, ORGANIZATION, row, patch, origin)


# -- shared -----------------------------------------------------------------------------------


def _create(session: Session, actor: Actor, kind: _EntityKind, data: Any) -> Any:
    _insert(session, actor, kind, data, "api")
    reindex(session, [(kind.owner.value, data.id)])
    session.commit()
    return kind.get(session, data.id)


def _insert(
    session: Session, actor: Actor | None, kind: _EntityKind, data: Any, origin: str
) -> None:
    for other in (PERSON, ORGANIZATION):
        if session.get(other.model, data.id) is not None:
            raise Conflict(f"The id {data.id!r} is taken: {other.owner.value} {data.id!r} has it.")
    _check_identifiers(session, kind, data.id, data.identifiers)
    now = utcnow()
    values = {name: plain(getattr(data, name)) for name in kind.fields}
    session.add(kind.model(id=data.id, **values, created_at=now, updated_at=now, version=1))
    flush_or_conflict(session)
    _write_names(session, kind, data.id, data.names)
    _write_identifiers(session, kind, data.id, data.identifiers)
    record_change(session, actor, kind.entity, data.id, ChangeOp.create, 1, origin=origin)
    flush_or_conflict(session)


def _update(
    session: Session,
    actor: Actor,
    kind: _EntityKind,
    entity_id: str,
    patch: BaseModel,
    if_match: Precondition,
) -> Any:
    row = lock(session, kind.model, entity_id)
    if_match.check(kind.get(session, entity_id))
    if not _apply_update(session, actor, kind, row, patch, "api"):
        # Nothing changes: no new version and nothing in the change log.
        session.rollback()
        return kind.get(session, entity_id)
    reindex(session, [(kind.owner.value, entity_id)])
    session.commit()
    return kind.get(session, entity_id)


def _apply_update(
    session: Session,
    actor: Actor | None,
    kind: _EntityKind,
    row: Any,
    patch: BaseModel,
    origin: str,
) -> bool:
    entity_id = row.id
    sent = patch.model_fields_set
    values = {
        name: plain(getattr(patch, name))
        for name in kind.fields
        if name in sent and plain(getattr(patch, name)) != getattr(row, name)
    }
    names = getattr(patch, "names", None) if "names" in sent else None
    if names is not None and _name_forms(names) == names_for(session, kind.owner, [entity_id]).get(
        entity_id, []
    ):
        names = None
    identifiers = getattr(patch, "identifiers", None) if "identifiers" in sent else None
    if identifiers is not None and _pairs(identifiers) == sorted(
        (i.scheme, i.value) for i in identifiers_for(session, kind.owner, entity_id)
    ):
        identifiers = None
    if not values and names is None and identifiers is None:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    if names is not None:
        _write_names(session, kind, entity_id, names, replace=True)
    if identifiers is not None:
        _check_identifiers(session, kind, entity_id, identifiers)
        _write_identifiers(session, kind, entity_id, identifiers, replace=True)
    bump(row)
    record_change(
        session, actor, kind.entity, entity_id, ChangeOp.update, row.version, origin=origin
    )
    flush_or_conflict(session)
    return True


def _delete(
    session: Session, actor: Actor, kind: _EntityKind, entity_id: str, if_match: Precondition
) -> None:
    row = lock(session, kind.model, entity_id)
    if_match.check(kind.get(session, entity_id))
    delete_unreferenced(session, actor, kind.entity, row, entity_id)


def _name_forms(names: list[NameFormIn]) -> list[NameForm]:
    return [NameForm.model_validate(n.model_dump()) for n in names]


def _pairs(identifiers: list[IdentifierIn]) -> list[tuple[str, str]]:
    return sorted((i.scheme, i.value) for i in identifiers)


def _owner_ids(kind: _EntityKind, entity_id: str) -> tuple[str | None, str | None]:
    """(person_id, organization_id) of a child row of this entity."""
    if kind.owner is EntityType.person:
        return entity_id, None
    return None, entity_id


def _write_names(
    session: Session,
    kind: _EntityKind,
    entity_id: str,
    names: list[NameFormIn],
    *,
    replace: bool = False,
) -> None:
    person_id, organization_id = _owner_ids(kind, entity_id)
    if replace:
        session.execute(
            delete(NameFormRow).where(owner_column(NameFormRow, kind.owner) == entity_id)
        )
    session.add_all(
        NameFormRow(
            person_id=person_id,
            organization_id=organization_id,
            ordinal=i,
            name=n.name,
            name_key=name_key(n.name),
            lang=n.lang,
            script=n.script.value,
            kind=n.kind.value,
            scheme=n.scheme,
            provenance=n.provenance,
        )
        for i, n in enumerate(names)
    )


def _write_identifiers(
    session: Session,
    kind: _EntityKind,
    entity_id: str,
    identifiers: list[IdentifierIn],
    *,
    replace: bool = False,
) -> None:
    person_id, organization_id = _owner_ids(kind, entity_id)
    if replace:
        session.execute(
            delete(IdentifierRow).where(owner_column(IdentifierRow, kind.owner) == entity_id)
        )
        # The old rows must be gone before the new ones meet the (scheme, value) constraint.
        session.flush()
    session.add_all(
        IdentifierRow(
            person_id=person_id, organization_id=organization_id, scheme=scheme, value=value
        )
        for scheme, value in _pairs(identifiers)
    )


def _check_identifiers(
    session: Session, kind: _EntityKind, entity_id: str, identifiers: list[IdentifierIn]
) -> None:
    """422 for an identifier listed twice; 409 naming the holder of one another record has."""
    seen: set[tuple[str, str]] = set()
    for i, ident in enumerate(identifiers):
        pair = (ident.scheme, ident.value)
        if pair in seen:
            raise ValidationFailed(
                f"The identifier {ident.scheme}:{ident.value} is listed twice.",
                errors=[
                    {
                        "loc": ["body", "identifiers", i],
                        "msg": "duplicate identifier",
                        "type": "duplicate",
                    }
                ],
            )
        seen.add(pair)
    if not seen:
        return
    stmt = select(IdentifierRow).where(
        or_(
            *(
                and_(col(IdentifierRow.scheme) == s, col(IdentifierRow.value) == v)
                for s, v in sorted(seen)
            )
        )
    )
    for row in session.scalars(stmt):
        holder = (
            (EntityType.person, row.person_id)
            if row.person_id is not None
            else (EntityType.organization, row.organization_id)
        )
        if holder != (kind.owner, entity_id):
            raise Conflict(
                f"The identifier {row.scheme}:{row.value} already belongs to "
                f"{holder[0].value} {holder[1]!r}; one identifier names one record."
            )
