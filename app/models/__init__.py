"""The data model: one module per entity family, holding its table and its request and
response shapes together (`person`: Person, PersonCreate, PersonUpdate, PersonPublic, ...).

`common` holds vocabularies and small shapes several families use; `fields` the field types
and limits of request bodies. Models import nothing above them. This module imports every
table, in dependency order, so SQLModel.metadata is complete on import.
"""

from app.models.annotation import (
    Annotation,
    AnnotationAbout,
    AnnotationFlag,
    AnnotationTag,
    AnnotationTally,
    AnnotationVersion,
)
from app.models.api_key import ApiKey
from app.models.change import Change
from app.models.claim import Claim, ClaimSubject, ClaimTally
from app.models.common import metadata
from app.models.naming import IdentifierRow, NameFormRow
from app.models.organization import Organization
from app.models.person import Person
from app.models.role import Role
from app.models.search import Mention, NameVariant, SearchDoc
from app.models.secret import InstanceSecret
from app.models.source import Source, SourceAuthor

__all__ = [
    "Annotation",
    "AnnotationAbout",
    "AnnotationFlag",
    "AnnotationTag",
    "AnnotationTally",
    "AnnotationVersion",
    "ApiKey",
    "Change",
    "Claim",
    "ClaimSubject",
    "ClaimTally",
    "IdentifierRow",
    "InstanceSecret",
    "Mention",
    "NameFormRow",
    "NameVariant",
    "Organization",
    "Person",
    "Role",
    "SearchDoc",
    "Source",
    "SourceAuthor",
    "metadata",
]
