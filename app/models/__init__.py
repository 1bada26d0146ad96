"""All tables, imported in dependency order so SQLModel.metadata is complete on import."""

from app.models.common import metadata
from app.models.naming import IdentifierRow, NameFormRow
from app.models.person import Person
from app.models.organization import Organization
from app.models.source import Source, SourceAuthor
from app.models.claim import Claim, ClaimSubject
from app.models.role import Role

__all__ = [
    "Claim",
    "ClaimSubject",
    "IdentifierRow",
    "NameFormRow",
    "Organization",
    "Person",
    "Role",
    "Source",
    "SourceAuthor",
    "metadata",
]
