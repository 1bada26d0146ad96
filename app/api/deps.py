"""Load-or-404 dependencies for path parameters, so handlers never repeat not-found checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.db import SessionDep
from app.models import Organization, Person, Source
from app.models.common import SLUG_MAX
from app.services.organizations import require_organization
from app.services.persons import require_person
from app.services.sources import require_source

_SLUG_DOC = "Stable slug id: lowercase letters, digits and hyphens."

PersonIdPath = Annotated[
    str, Path(max_length=SLUG_MAX, description=_SLUG_DOC, examples=["elvira-nabiullina"])
]
OrganizationIdPath = Annotated[
    str, Path(max_length=SLUG_MAX, description=_SLUG_DOC, examples=["central-bank-of-russia"])
]
SourceIdPath = Annotated[
    str,
    Path(
        max_length=SLUG_MAX,
        description=_SLUG_DOC,
        examples=["bondarev-2023-west-must-drive-a-wedge"],
    ),
]


def _person(session: SessionDep, person_id: PersonIdPath) -> Person:
    return require_person(session, person_id)


def _organization(session: SessionDep, organization_id: OrganizationIdPath) -> Organization:
    return require_organization(session, organization_id)


def _source(session: SessionDep, source_id: SourceIdPath) -> Source:
    return require_source(session, source_id)


PersonDep = Annotated[Person, Depends(_person)]
OrganizationDep = Annotated[Organization, Depends(_organization)]
SourceDep = Annotated[Source, Depends(_source)]
