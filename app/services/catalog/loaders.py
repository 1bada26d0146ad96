"""Bulk loaders shared by the read services: one query per page, never one per row.

The statements are built once (per owner type) with bind parameters: building a SELECT costs
more than SQLAlchemy's cached compile and the query itself, and these run on every request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from functools import cache
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import Select, bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, col

from app.models import (
    Claim,
    ClaimTally,
    IdentifierRow,
    NameFormRow,
    Organization,
    Person,
    Role,
    Source,
)
from app.models.common import EntityRef, EntityType, Identifier, NameForm
from app.models.role import RoleOrganization, RolePerson, RoleProvenance, RolePublic
from app.services.catalog.versions import missing

# A SELECT of any number of columns (Select is variadic in SQLAlchemy 2.1).
AnySelect = Select[*tuple[Any, ...]]

IDENTIFIER_URLS = {
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "enwiki": "https://en.wikipedia.org/wiki/{}",
    "ruwiki": "https://ru.wikipedia.org/wiki/{}",
}


M = TypeVar("M", bound=SQLModel)


@cache
def _by_id_stmt(model: type[SQLModel]) -> AnySelect:
    return select(model).where(sa_inspect(model).primary_key[0] == bindparam("id"))


def require(session: Session, model: type[M], entity_id: str) -> M:
    """Load a row by its id or raise NotFound naming what was asked for."""
    row = session.execute(_by_id_stmt(model), {"id": entity_id}).scalar_one_or_none()
    if row is None:
        raise missing(session, str(model.__tablename__), entity_id)
    return row


def owner_column(model: type[Any], owner: EntityType) -> Any:
    """`model.person_id` or `model.organization_id`: the column naming a row's owner."""
    return col(getattr(model, "person_id" if owner is EntityType.person else "organization_id"))


@cache
def _names_stmt(owner: EntityType) -> AnySelect:
    owner_col = owner_column(NameFormRow, owner)
    return (
        select(
            owner_col,
            col(NameFormRow.name),
            col(NameFormRow.lang),
            col(NameFormRow.script),
            col(NameFormRow.kind),
            col(NameFormRow.scheme),
            col(NameFormRow.provenance),
        )
        .where(owner_col.in_(bindparam("ids", expanding=True)))
        .order_by(owner_col, col(NameFormRow.ordinal))
    )


def names_for(
    session: Session, owner: EntityType, ids: Collection[str]
) -> dict[str, list[NameForm]]:
    out: dict[str, list[NameForm]] = defaultdict(list)
    if not ids:
        return out
    rows = session.execute(_names_stmt(owner), {"ids": list(ids)}).all()
    for owner_id, name, lang, script, kind, scheme, provenance in rows:
        out[owner_id].append(
            NameForm(
                name=name, lang=lang, script=script, kind=kind, scheme=scheme, provenance=provenance
            )
        )
    return out


@cache
def _identifiers_stmt(owner: EntityType) -> AnySelect:
    owner_col = owner_column(IdentifierRow, owner)
    return (
        select(col(IdentifierRow.scheme), col(IdentifierRow.value))
        .where(owner_col == bindparam("id"))
        .order_by(col(IdentifierRow.scheme), col(IdentifierRow.value))
    )


def identifiers_for(session: Session, owner: EntityType, entity_id: str) -> list[Identifier]:
    rows = session.execute(_identifiers_stmt(owner), {"id": entity_id}).all()
    return [
        Identifier(
            scheme=scheme,
            value=value,
            url=IDENTIFIER_URLS[scheme].format(quote(value, safe=",()':"))
            if scheme in IDENTIFIER_URLS
            else None,
        )
        for scheme, value in rows
    ]


_PERSON_NAMES = select(col(Person.id), col(Person.name)).where(
    col(Person.id).in_(bindparam("ids", expanding=True))
)
_ORGANIZATION_NAMES = select(col(Organization.id), col(Organization.name)).where(
    col(Organization.id).in_(bindparam("ids", expanding=True))
)


def entity_refs(
    session: Session, person_ids: Collection[str], organization_ids: Collection[str]
) -> dict[tuple[EntityType, str], EntityRef]:
    refs: dict[tuple[EntityType, str], EntityRef] = {}
    if person_ids:
        for pid, name in session.execute(_PERSON_NAMES, {"ids": list(set(person_ids))}):
            refs[(EntityType.person, pid)] = EntityRef(type=EntityType.person, id=pid, name=name)
    if organization_ids:
        for oid, name in session.execute(_ORGANIZATION_NAMES, {"ids": list(set(organization_ids))}):
            refs[(EntityType.organization, oid)] = EntityRef(
                type=EntityType.organization, id=oid, name=name
            )
    return refs


_CLAIM_COUNTS = (
    select(col(ClaimTally.kind), col(ClaimTally.n))
    .where(col(ClaimTally.subject_id) == bindparam("id"))
    .order_by(col(ClaimTally.kind))
)


def claim_counts(session: Session, entity_id: str) -> dict[str, int]:
    """Claims about a person or an organisation, per kind (kept by the claim writes)."""
    return {str(kind): int(n) for kind, n in session.execute(_CLAIM_COUNTS, {"id": entity_id})}


@cache
def role_select() -> AnySelect:
    """Roles joined to their person, organisation, provenance claim and its source date."""
    return (
        select(
            Role,
            col(Person.name).label("person_name"),
            col(Organization.name).label("organization_name"),
            col(Organization.kind).label("organization_kind"),
            col(Claim.source_id),
            col(Claim.quote),
            col(Claim.quote_start),
            col(Claim.quote_end),
            col(Source.published_date),
        )
        .join(Person, col(Person.id) == col(Role.person_id))
        .join(Organization, col(Organization.id) == col(Role.organization_id))
        .outerjoin(Claim, col(Claim.id) == col(Role.claim_id))
        .outerjoin(Source, col(Source.id) == col(Claim.source_id))
    )


def role_public(row: Any) -> RolePublic:
    role: Role = row[0]
    provenance = None
    if role.claim_id is not None:
        provenance = RoleProvenance(
            claim_id=role.claim_id,
            source_id=row.source_id,
            quote=row.quote,
            start=row.quote_start,
            end=row.quote_end,
        )
    return RolePublic(
        id=role.id,
        person=RolePerson(id=role.person_id, name=row.person_name),
        organization=RoleOrganization(
            id=role.organization_id, name=row.organization_name, kind=row.organization_kind
        ),
        title=role.title,
        kind=role.kind,
        status=role.status,
        status_as_of_date=row.published_date,
        start_date=role.start_date,
        start_date_precision=role.start_date_precision,
        end_date=role.end_date,
        end_date_precision=role.end_date_precision,
        provenance=provenance,
        updated_at=role.updated_at,
        version=role.version,
    )


@cache
def roles_of_stmt(owner: EntityType) -> AnySelect:
    owner_col = owner_column(Role, owner)
    return role_select().where(owner_col == bindparam("id")).order_by(col(Role.id))
