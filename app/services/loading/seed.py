"""Load the curated seed (seed/data/*.toml + seed/sources/*) through the curation services.

This module is the seed-only layer and nothing more: it reads the TOML files, maps each record
to the API's request body (`PersonCreate`, `OrganizationCreate`, `SourceCreate`, `ClaimCreate`,
`RoleCreate`, which validate it), adds what only the seed has (ids derived from claim keys and
role contents, a source text derived from its original file under seed/sources/, entity
references written `person:slug`), and writes it with the same checked inserts and updates as
the API, so the seed holds nothing the API would refuse. The whole load is one transaction: a
bad record refuses all of it with a ValidationFailed naming the file and the record. A record
is written only where it differs from its stored row, so a second run changes nothing (same
rows, versions and timestamps, no change-log rows); what was written is reindexed once at the
end.
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlmodel import Session, SQLModel

from app.models import Claim, Organization, Person, Role, Source
from app.models.claim import ClaimCreate, ClaimUpdate
from app.models.fields import Slug
from app.models.organization import OrganizationCreate, OrganizationUpdate
from app.models.person import PersonCreate, PersonUpdate
from app.models.role import RoleCreate, RoleUpdate
from app.models.source import SourceCreate, SourceUpdate
from app.problems import ProblemError, ValidationFailed
from app.services.curation.claim_writes import apply_claim_update, insert_claim
from app.services.curation.entity_writes import (
    apply_organization_update,
    apply_person_update,
    insert_organization,
    insert_person,
)
from app.services.curation.role_writes import apply_role_update, insert_role
from app.services.curation.source_writes import (
    TextOrigin,
    apply_source_update,
    insert_source,
    text_sha256,
)
from app.services.search.index import reindex
from app.services.text.preparation import derive_markdown_article

B = TypeVar("B", bound=BaseModel)
ORIGIN = "seed"
# Seed field names that the API's bodies spell differently (seed name -> API name).
SOURCE_NAMES = {"publisher": "publisher_id", "authors": "author_ids"}
ROLE_NAMES = {"person": "person_id", "organization": "organization_id", "claim": "claim_id"}
_SLUG = TypeAdapter(Slug)
_FILE_NAME = TypeAdapter(str)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: str, entity: str) -> None:
        counts = getattr(self, bucket)
        counts[entity] = counts.get(entity, 0) + 1

    def summary(self) -> str:
        entities = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return "; ".join(
            f"{e}: {self.created.get(e, 0)} created, {self.updated.get(e, 0)} updated, "
            f"{self.unchanged.get(e, 0)} unchanged"
            for e in entities
        )


def short_id(prefix: str, *parts: str) -> str:
    """A short opaque id that is stable for the same curated inputs (so reseeding is a no-op)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:10].lower()


@dataclass(frozen=True)
class _Record:
    """One seed record as the API's request body, with its id, the name errors give it
    (`file: kind 'id'`), and what the seed adds to the API's insert (`new`: the id, where the
    API would make a random one) and to both its insert and update (`extra`)."""

    label: str
    entity_id: str
    body: BaseModel
    new: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _SourceFile:
    source: _Record
    claims: list[_Record]
    roles: list[_Record]


# -- reading: seed records as API bodies -------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(f"{path}: not valid TOML: {exc}") from exc


def _validate(model: type[B], data: Any, label: str, names: dict[str, str] | None = None) -> B:
    """The API model's validation, its first error named by record and (seed) field name."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        seed_names = {api: seed for seed, api in (names or {}).items()}
        loc = [str(p) for p in first["loc"]]
        if loc:
            loc[0] = seed_names.get(loc[0], loc[0])
        raise ValidationFailed(f"{'.'.join([label, *loc])}: {first['msg']}") from exc


def _pop_checked(fields: dict[str, Any], name: str, adapter: TypeAdapter[Any], label: str) -> Any:
    """Take a seed-only field out of a record, checked."""
    if name not in fields:
        raise ValidationFailed(f"{label}.{name}: Field required")
    try:
        return adapter.validate_python(fields.pop(name))
    except ValidationError as exc:
        raise ValidationFailed(f"{label}.{name}: {exc.errors()[0]['msg']}") from exc


def _api_fields(
    data: Any, label: str, names: dict[str, str], derived: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A seed record's fields under the API's names. The API's own spelling of a renamed
    field, and a field the seed derives, are unknown fields in a seed file."""
    if not isinstance(data, dict):
        raise ValidationFailed(f"{label}: Input should be a valid table")
    fields: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key)
        if name in names.values() or name in derived:
            raise ValidationFailed(f"{label}.{name}: Extra inputs are not permitted")
        fields[names.get(name, name)] = value
    return fields


def _named_label(file: str, kind: str, data: Any, name: str, index: int | None) -> str:
    """`file: kind 'id'`, or by position where the record has no id."""
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, str):
        return f"{file}: {kind} {value!r}"
    return f"{file}: {kind}" if index is None else f"{file}: {kind}[{index}]"


def _tables(data: dict[str, Any], name: str, file: str) -> list[Any]:
    tables = data.get(name, [])
    if not isinstance(tables, list):
        raise ValidationFailed(f"{file}: {name}: Input should be a valid list")
    return tables


def _entities(
    path: Path, kind: str, model: type[PersonCreate] | type[OrganizationCreate]
) -> list[_Record]:
    records: list[_Record] = []
    for i, data in enumerate(_tables(_read_toml(path), kind, path.name)):
        label = _named_label(path.name, kind, data, "id", i)
        body = _validate(model, data, label)
        if any(r.entity_id == body.id for r in records):
            raise ValidationFailed(f"{path.name}: {kind} id {body.id!r} is used twice.")
        records.append(_Record(label, body.id, body))
    return records


def _source(seed_dir: Path, file: str, data: Any) -> _Record:
    """The source as the API's body with the text derived from its original; title, url and
    date may be left to the original, but where both give one they must agree."""
    label = _named_label(file, "source", data, "id", None)
    fields = _api_fields(data, label, SOURCE_NAMES, derived=("text",))
    original_name = _pop_checked(fields, "original", _FILE_NAME, label)
    original_path = seed_dir / "sources" / original_name
    if not original_path.is_file():
        raise ValidationFailed(f"{label}: original file {original_name!r} not found.")
    original = original_path.read_text(encoding="utf-8")
    article = derive_markdown_article(original)
    given = {a: fields.get(a) for a in ("title", "url", "published_date")}
    for attr, value in given.items():
        if value is None and getattr(article, attr) is not None:
            fields[attr] = getattr(article, attr)
    body = _validate(SourceCreate, {**fields, "text": article.text}, label, SOURCE_NAMES)
    for attr, value in given.items():
        derived = getattr(article, attr)
        if value is not None and derived is not None and getattr(body, attr) != derived:
            raise ValidationFailed(
                f"{label}.{attr}: {value!r} differs from the original's {derived!r}."
            )
    text_origin = TextOrigin(
        original_sha256=text_sha256(original),
        derivation=[f"derived from seed/sources/{original_name}", *article.steps],
        publisher_notes=article.publisher_notes,
    )
    return _Record(label, body.id, body, extra={"text_origin": text_origin})


def _ref(value: Any) -> Any:
    """A seed reference `person:alexei-kudrin` as the API's `{"type", "id"}`; anything else as
    it is, for the API model to refuse."""
    if not isinstance(value, str):
        return value
    kind, _, slug = value.partition(":")
    return {"type": kind, "id": slug}


def _claim(file: str, source_id: str, index: int, data: Any) -> tuple[str, _Record]:
    """A claim as the API's body, and its key; its id is derived from the source and key."""
    label = _named_label(file, "claim", data, "key", index)
    fields = _api_fields(data, label, {}, derived=("source_id",))
    key = cast(str, _pop_checked(fields, "key", _SLUG, label))
    if isinstance(fields.get("subjects"), list):
        fields["subjects"] = [_ref(s) for s in fields["subjects"]]
    if "attributed_to" in fields:
        fields["attributed_to"] = _ref(fields["attributed_to"])
    body = _validate(ClaimCreate, {**fields, "source_id": source_id}, label)
    claim_id = short_id("clm_", source_id, key)
    return key, _Record(label, claim_id, body, new={"claim_id": claim_id}, extra={"label": label})


def _role(file: str, index: int, data: Any, claim_ids: dict[str, str]) -> _Record:
    """A role as the API's body, its claim named by key; its id is derived from its person,
    organisation, title and kind."""
    label = f"{file}: role[{index}]"
    fields = _api_fields(data, label, ROLE_NAMES)
    key = fields.get("claim_id")
    if key is not None:
        if not isinstance(key, str) or key not in claim_ids:
            raise ValidationFailed(f"{label}.claim: {key!r} is not a claim key in this file.")
        fields["claim_id"] = claim_ids[key]
    body = _validate(RoleCreate, fields, label, ROLE_NAMES)
    role_id = short_id("rol_", body.person_id, body.organization_id, body.title, body.kind.value)
    return _Record(label, role_id, body, new={"role_id": role_id})


def _source_file(seed_dir: Path, path: Path) -> _SourceFile:
    file = path.name
    data = _read_toml(path)
    for name in data:
        if name not in ("source", "claim", "role"):
            raise ValidationFailed(f"{file}: {name}: Extra inputs are not permitted")
    if "source" not in data:
        raise ValidationFailed(f"{file}: source: Field required")
    source = _source(seed_dir, file, data["source"])
    claim_ids: dict[str, str] = {}
    claims = []
    for i, item in enumerate(_tables(data, "claim", file)):
        key, claim = _claim(file, source.entity_id, i, item)
        if key in claim_ids:
            raise ValidationFailed(f"{file}: claim key {key!r} is used twice.")
        claim_ids[key] = claim.entity_id
        claims.append(claim)
    roles: dict[str, _Record] = {}
    for i, item in enumerate(_tables(data, "role", file)):
        role = _role(file, i, item, claim_ids)
        if role.entity_id in roles:
            raise ValidationFailed(
                f"{role.label}: the same person, organization, title and kind as "
                f"role[{list(roles).index(role.entity_id)}]."
            )
        roles[role.entity_id] = role
    return _SourceFile(source, claims, list(roles.values()))


# -- writing through the curation services ------------------------------------------------

# Per API body: its table, the API's edit body, and the checked insert and update both share.
_WRITES: dict[type[BaseModel], tuple[type[SQLModel], type[BaseModel], Callable[..., Any], Any]] = {
    OrganizationCreate: (
        Organization,
        OrganizationUpdate,
        insert_organization,
        apply_organization_update,
    ),
    PersonCreate: (Person, PersonUpdate, insert_person, apply_person_update),
    SourceCreate: (Source, SourceUpdate, insert_source, apply_source_update),
    ClaimCreate: (Claim, ClaimUpdate, insert_claim, apply_claim_update),
    RoleCreate: (Role, RoleUpdate, insert_role, apply_role_update),
}
# Where to anchor a quote, not stored values: an edit leaves out those a record does not give,
# so the quote is found again, as on a create.
_ANCHORING = {"start", "end", "occurrence"}


def _as_patch(update: type[B], body: BaseModel) -> B:
    """The whole record as the API's edit: every field is sent (null clears it), so the row
    ends up as the record says."""
    values = body.model_dump(include=set(update.model_fields))
    return update.model_validate(
        {k: v for k, v in values.items() if v is not None or k not in _ANCHORING}
    )


def _named(label: str, exc: ProblemError) -> ValidationFailed:
    """A service's refusal as the seed's, naming the file and record (a quote that does not
    anchor is named already: the label was passed down)."""
    detail = exc.detail if exc.detail.startswith(f"{label}: ") else f"{label}: {exc.detail}"
    return ValidationFailed(detail)


class _Writer:
    """Writes records with the API's checked inserts and updates; counts and remembers what
    was written, for the report and the one reindex at the end."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = SeedReport()
        self.touched: list[tuple[str, str]] = []

    def put(self, record: _Record) -> None:
        """Insert the record if its row is missing, else apply it as an edit of the row (which
        changes nothing where they agree)."""
        table, update, insert, apply = _WRITES[type(record.body)]
        name = str(table.__tablename__)
        try:
            row = self.session.get(table, record.entity_id, with_for_update=True)
            if row is None:
                insert(self.session, None, record.body, origin=ORIGIN, **record.new, **record.extra)
                bucket = "created"
            else:
                patch = _as_patch(update, record.body)
                changed = apply(self.session, None, row, patch, origin=ORIGIN, **record.extra)
                bucket = "updated" if changed else "unchanged"
        except ProblemError as exc:
            raise _named(record.label, exc) from exc
        self.report.count(bucket, name)
        if bucket != "unchanged":
            self.touched.append((name, record.entity_id))


def _write(session: Session, seed_dir: Path) -> SeedReport:
    data_dir = seed_dir / "data"
    # Every record is read and validated as an API body before anything is written.
    organizations = _entities(data_dir / "organizations.toml", "organization", OrganizationCreate)
    persons = _entities(data_dir / "persons.toml", "person", PersonCreate)
    sources = [_source_file(seed_dir, p) for p in sorted((data_dir / "sources").glob("*.toml"))]
    writer = _Writer(session)
    for record in organizations + persons:
        writer.put(record)
    for source_file in sources:
        for record in [source_file.source, *source_file.claims, *source_file.roles]:
            writer.put(record)
    session.flush()
    reindex(session, writer.touched)
    return writer.report


def load_seed(session: Session, seed_dir: Path) -> SeedReport:
    """Validate and load the seed in one transaction; raises ValidationFailed and writes nothing
    if any of it is wrong."""
    try:
        report = _write(session, seed_dir)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report
