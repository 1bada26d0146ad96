"""The stored records: what each accepted write keeps of an entity, as of that version.

A record is the entity's own data, as a curator or annotator wrote it: its fields, name forms,
identifiers, subjects, and references to other entities by id only. It leaves out what is
derived from other entities (claim counts, annotation counts, reply counts, flag counts, the
names of referenced entities, a person's roles), so a record changes exactly when its own
entity gets a new version, and a mirror rebuilt from the change feed joins the references
itself. The bytes stored for a version are served unchanged by the change feed, by
`/versions` and by `as_of=` reads (app/services/curation/records.py builds them).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from app.models.annotation import Assessment, Motivation, Target
from app.models.api_key import ApiKeyPublic
from app.models.common import (
    ClaimKind,
    DatePrecision,
    EntityType,
    Identifier,
    Modality,
    NameForm,
    OrganizationKind,
    Rights,
    RoleKind,
    RoleStatus,
    Stance,
    UTCDatetime,
)


class _Stamped(BaseModel):
    created_at: UTCDatetime
    updated_at: UTCDatetime
    version: int


class PersonRecord(_Stamped):
    id: str
    name: str
    description: str | None
    birth_date: date | None
    names: list[NameForm]
    identifiers: list[Identifier]


class OrganizationRecord(_Stamped):
    id: str
    name: str
    kind: OrganizationKind
    description: str | None
    names: list[NameForm]
    identifiers: list[Identifier]


class RoleRecord(_Stamped):
    id: str
    person_id: str
    organization_id: str
    title: str
    kind: RoleKind
    status: RoleStatus
    start_date: date | None
    start_date_precision: DatePrecision | None
    end_date: date | None
    end_date_precision: DatePrecision | None
    claim_id: str | None = PField(description="The claim that states the role.")


class SourceRecord(_Stamped):
    id: str
    title: str
    url: str | None
    published_date: date | None
    language: str
    genre: str
    rights: Rights
    publisher_id: str | None
    author_ids: list[str]
    text: str | None = PField(description="The text, when the rights at this version allow it.")
    text_length: int
    text_sha256: str
    original_sha256: str | None
    derivation: list[str]
    publisher_notes: list[str]


class SubjectRef(BaseModel):
    type: EntityType
    id: str


class ClaimRecord(_Stamped):
    id: str
    source_id: str
    quote: str
    start: int
    end: int
    subjects: list[SubjectRef]
    attributed_to: SubjectRef | None = PField(description="A known person or organisation.")
    attributed_to_label: str | None = PField(description='Or only a label ("many").')
    kind: ClaimKind
    statement: str
    modality: Modality
    hedge: str | None
    stance: Stance
    rationale: str | None


class AnnotationRecord(_Stamped):
    id: str
    target: Target
    motivation: Motivation
    body: str | None
    tags: list[str]
    assessment: Assessment | None
    links: list[str]
    creator_id: str = PField(description="The API key that created the annotation.")
    thread_id: str
    hidden: bool
    hidden_reason: str | None
    deleted: bool
    deleted_at: UTCDatetime | None


# An API key's record is the shape admin keys list: its metadata, never its secret.
ApiKeyRecord = ApiKeyPublic


class Tombstone(BaseModel):
    """What a delete leaves in the feed: which entity went, when, and its last version."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "person",
                    "id": "sergei-lavrov",
                    "deleted_at": "2026-11-27T09:05:00Z",
                    "version": 3,
                }
            ]
        }
    )

    type: str
    id: str
    deleted_at: UTCDatetime
    version: int


# A stored record, as the feed and /versions document it: one of the shapes above, by the
# item's entity_type.
Document = (
    PersonRecord
    | OrganizationRecord
    | RoleRecord
    | SourceRecord
    | ClaimRecord
    | AnnotationRecord
    | ApiKeyRecord
)
