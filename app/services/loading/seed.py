"""Load the curated seed (seed/data/*.toml + seed/sources/*) into the database, idempotently.

Everything is validated before anything is written, and the whole load is one transaction:
a quote that does not match its source refuses the load and names the claim. Rows are only
touched when their content differs, so a second run changes nothing (same rows, same
versions, same timestamps).
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import delete, select
from sqlmodel import Session, SQLModel, col

from app.models import (
    Claim,
    ClaimSubject,
    IdentifierRow,
    NameFormRow,
    Organization,
    Person,
    Role,
    Source,
    SourceAuthor,
)
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import (
    SLUG_PATTERN,
    ClaimKind,
    DatePrecision,
    Identifier,
    Modality,
    NameForm,
    OrganizationKind,
    Rights,
    RoleKind,
    RoleStatus,
    Stance,
    utcnow,
)
from app.problems import ValidationFailed
from app.services.curation.transaction import record_change
from app.services.search.index import reindex
from app.services.search.terms import name_key
from app.services.text.preparation import derive_markdown_article
from app.services.text.spans import anchor

Slug = Field(pattern=SLUG_PATTERN, max_length=100)
ENTITY_KEY = r"^(person|organization):[a-z0-9]+(?:-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedOrganization(_Strict):
    id: str = Slug
    name: str
    kind: OrganizationKind
    description: str | None = None
    names: list[NameForm] = []
    identifiers: list[Identifier] = []


class SeedPerson(_Strict):
    id: str = Slug
    name: str
    description: str | None = None
    birth_date: date | None = None
    names: list[NameForm] = []
    identifiers: list[Identifier] = []


class SeedSource(_Strict):
    id: str = Slug
    original: str
    title: str | None = None
    url: str | None = None
    published_date: date | None = None
    language: str
    genre: str
    rights: Rights
    publisher: str | None = None
    authors: list[str] = []


class SeedClaim(_Strict):
    key: str = Slug
    quote: str
    occurrence: int | None = Field(default=None, ge=1)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    subjects: list[Annotated[str, Field(pattern=ENTITY_KEY)]] = Field(min_length=1)
    attributed_to: str | None = Field(default=None, pattern=ENTITY_KEY)
    attributed_to_label: str | None = None
    kind: ClaimKind
    statement: str
    modality: Modality
    hedge: str | None = None
    stance: Stance
    rationale: str | None = None

    @model_validator(mode="after")
    def _check(self) -> SeedClaim:
        if self.hedge is not None and self.hedge not in self.quote:
            raise ValueError(f"hedge {self.hedge!r} is not in the quote")
        if self.attributed_to is None and self.attributed_to_label is None:
            raise ValueError("give attributed_to or attributed_to_label")
        return self


class SeedRole(_Strict):
    person: str = Slug
    organization: str = Slug
    title: str
    kind: RoleKind
    status: RoleStatus
    claim: str | None = None
    start_date: date | None = None
    start_date_precision: DatePrecision | None = None
    end_date: date | None = None
    end_date_precision: DatePrecision | None = None


class SeedSourceFile(_Strict):
    source: SeedSource
    claim: list[SeedClaim] = []
    role: list[SeedRole] = []


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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(f"{path}: not valid TOML: {exc}") from exc


def _parse(model: type[BaseModel], data: Any, where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        # Name a claim or role by its key (as curators know it), not by its position.
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
            item = (data.get(str(loc[0])) or [None] * (loc[1] + 1))[loc[1]]
            if isinstance(item, dict) and "key" in item:
                loc[:2] = [f"{loc[0]} {item['key']!r}"]
        where_in = ".".join(str(p) for p in loc)
        raise ValidationFailed(f"{where}: {where_in}: {first['msg']}") from exc


def _split_ref(ref: str) -> tuple[str, str]:
    kind, _, slug = ref.partition(":")
    return kind, slug


class _Loader:
    def __init__(self, session: Session, seed_dir: Path) -> None:
        self.session = session
        self.seed_dir = seed_dir
        self.report = SeedReport()
        self.now = utcnow()
        self.touched: list[tuple[str, str]] = []

    # -- generic upsert ------------------------------------------------------------------
    def upsert(
        self, model: type[SQLModel], pk: Any, values: dict[str, Any], children_changed: bool
    ) -> bool:
        """Insert or update one row; returns True if anything (row or children) changed."""
        name = model.__tablename__
        row = self.session.get(model, pk)
        if row is None:
            self.session.add(model(**values, created_at=self.now, updated_at=self.now, version=1))
            self.report.count("created", str(name))
            self.log(str(name), pk, ChangeOp.create, 1)
            return True
        changed = children_changed or any(getattr(row, k) != v for k, v in values.items())
        if changed:
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = self.now
            row.version += 1  # type: ignore[attr-defined]
            self.report.count("updated", str(name))
            self.log(str(name), pk, ChangeOp.update, row.version)  # type: ignore[attr-defined]
        else:
            self.report.count("unchanged", str(name))
        return changed

    def log(self, table: str, pk: Any, op: ChangeOp, version: int) -> None:
        # Seeded entities go in the change log like any other write, so tools syncing from
        # the log see them; child rows (names, subjects) are part of their entity's version.
        record_change(self.session, None, ChangeEntity(table), str(pk), op, version, origin="seed")
        self.touched.append((table, str(pk)))

    def replace_children(
        self,
        model: type[SQLModel],
        where: Any,
        rows: list[dict[str, Any]],
        compare: list[str],
        order: Any,
    ) -> bool:
        """Make the child rows matching `where` equal `rows`; True if they had to change."""
        existing = [
            {k: getattr(r, k) for k in compare}
            for r in self.session.scalars(select(model).where(where).order_by(*order))
        ]
        if existing == [{k: r[k] for k in compare} for r in rows]:
            return False
        self.session.execute(delete(model).where(where))
        self.session.flush()
        for r in rows:
            self.session.add(model(**r))
        return True

    # -- entities -------------------------------------------------------------------------
    def names_and_ids(
        self, owner_field: str, owner_id: str, names: list[NameForm], identifiers: list[Identifier]
    ) -> bool:
        name_col = getattr(NameFormRow, owner_field)
        id_col = getattr(IdentifierRow, owner_field)
        name_rows = [
            {
                owner_field: owner_id,
                "ordinal": i,
                "name": n.name,
                "name_key": name_key(n.name),
                "lang": n.lang,
                "script": n.script.value,
                "kind": n.kind.value,
                "scheme": n.scheme,
                "provenance": n.provenance,
            }
            for i, n in enumerate(names)
        ]
        id_rows = [
            {owner_field: owner_id, "scheme": i.scheme, "value": i.value}
            for i in sorted(identifiers, key=lambda i: (i.scheme, i.value))
        ]
        changed_names = self.replace_children(
            NameFormRow,
            name_col == owner_id,
            name_rows,
            ["ordinal", "name", "name_key", "lang", "script", "kind", "scheme", "provenance"],
            (col(NameFormRow.ordinal),),
        )
        changed_ids = self.replace_children(
            IdentifierRow,
            id_col == owner_id,
            id_rows,
            ["scheme", "value"],
            (col(IdentifierRow.scheme), col(IdentifierRow.value)),
        )
        return changed_names or changed_ids

    def load(self) -> SeedReport:
        data_dir = self.seed_dir / "data"
        orgs = [
            _parse(SeedOrganization, o, f"organizations.toml organization[{i}]")
            for i, o in enumerate(
                _read_toml(data_dir / "organizations.toml").get("organization", [])
            )
        ]
        persons = [
            _parse(SeedPerson, p, f"persons.toml person[{i}]")
            for i, p in enumerate(_read_toml(data_dir / "persons.toml").get("person", []))
        ]
        sources = [
            (path, _parse(SeedSourceFile, _read_toml(path), path.name))
            for path in sorted((data_dir / "sources").glob("*.toml"))
        ]
        known = {("organization", o.id) for o in orgs} | {("person", p.id) for p in persons}
        known |= {
            ("organization", oid) for oid in self.session.scalars(select(col(Organization.id)))
        }
        known |= {("person", pid) for pid in self.session.scalars(select(col(Person.id)))}

        for org in orgs:
            self.upsert_tree(
                Organization,
                org.id,
                {
                    "id": org.id,
                    "name": org.name,
                    "kind": org.kind.value,
                    "description": org.description,
                },
                partial(self.names_and_ids, "organization_id", org.id, org.names, org.identifiers),
            )
        for person in persons:
            self.upsert_tree(
                Person,
                person.id,
                {
                    "id": person.id,
                    "name": person.name,
                    "description": person.description,
                    "birth_date": person.birth_date,
                },
                partial(
                    self.names_and_ids, "person_id", person.id, person.names, person.identifiers
                ),
            )
        self.session.flush()
        for path, sf in sources:
            self.load_source(path, sf, known)
        self.session.flush()
        reindex(self.session, self.touched)
        return self.report

    def load_source(self, path: Path, sf: SeedSourceFile, known: set[tuple[str, str]]) -> None:
        src = sf.source
        where = path.name

        def check_ref(ref: str, what: str) -> tuple[str, str]:
            kind, slug = _split_ref(ref)
            if (kind, slug) not in known:
                raise ValidationFailed(f"{where}: {what} refers to unknown {kind} {slug!r}.")
            return kind, slug

        original_path = self.seed_dir / "sources" / src.original
        if not original_path.is_file():
            raise ValidationFailed(f"{where}: original file {src.original!r} not found.")
        original = original_path.read_text(encoding="utf-8")
        article = derive_markdown_article(original)
        text = article.text
        for attr in ("title", "url", "published_date"):
            given, derived = getattr(src, attr), getattr(article, attr)
            if given is not None and derived is not None and given != derived:
                raise ValidationFailed(
                    f"{where}: source {attr} {given!r} differs from the original's {derived!r}."
                )
        title = src.title or article.title
        if not title:
            raise ValidationFailed(f"{where}: the source has no title.")
        if src.publisher:
            check_ref(f"organization:{src.publisher}", "publisher")
        for author in src.authors:
            check_ref(f"person:{author}", "authors")

        # Validate every claim and role before writing anything of this source.
        claim_rows = []
        keys: dict[str, str] = {}
        for c in sf.claim:
            if c.key in keys:
                raise ValidationFailed(f"{where}: claim key {c.key!r} is used twice.")
            span = anchor(
                text,
                c.quote,
                start=c.start,
                end=c.end,
                occurrence=c.occurrence,
                label=f"{where}: claim {c.key!r}",
            )
            subjects = [check_ref(s, f"claim {c.key!r} subject") for s in c.subjects]
            attributed = (
                check_ref(c.attributed_to, f"claim {c.key!r} attributed_to")
                if c.attributed_to
                else None
            )
            claim_id = short_id("clm_", src.id, c.key)
            keys[c.key] = claim_id
            claim_rows.append((claim_id, c, span, subjects, attributed))
        role_rows = []
        for r in sf.role:
            check_ref(f"person:{r.person}", "role person")
            check_ref(f"organization:{r.organization}", "role organization")
            if r.claim is not None and r.claim not in keys:
                raise ValidationFailed(f"{where}: role claim {r.claim!r} is not a claim key here.")
            role_rows.append(r)

        source_values = {
            "id": src.id,
            "title": title,
            "url": src.url or article.url,
            "publisher_organization_id": src.publisher,
            "published_date": src.published_date or article.published_date,
            "language": src.language,
            "genre": src.genre,
            "rights": src.rights.value,
            "text": text,
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "text_length": len(text),
            "original_sha256": hashlib.sha256(original.encode()).hexdigest(),
            "derivation": [f"derived from seed/sources/{src.original}", *article.steps],
            "publisher_notes": article.publisher_notes,
        }
        author_rows = [
            {"source_id": src.id, "ordinal": i, "person_id": a} for i, a in enumerate(src.authors)
        ]
        self.upsert_tree(
            Source,
            src.id,
            source_values,
            lambda: self.replace_children(
                SourceAuthor,
                col(SourceAuthor.source_id) == src.id,
                author_rows,
                ["ordinal", "person_id"],
                (col(SourceAuthor.ordinal),),
            ),
        )
        self.session.flush()

        for claim_id, c, span, subjects, attributed in claim_rows:
            values = {
                "id": claim_id,
                "source_id": src.id,
                "quote": span.quote,
                "quote_start": span.start,
                "quote_end": span.end,
                "prefix": span.prefix,
                "suffix": span.suffix,
                "attributed_to_person_id": attributed[1]
                if attributed and attributed[0] == "person"
                else None,
                "attributed_to_organization_id": attributed[1]
                if attributed and attributed[0] == "organization"
                else None,
                "attributed_to_label": c.attributed_to_label,
                "kind": c.kind.value,
                "statement": c.statement,
                "modality": c.modality.value,
                "hedge": c.hedge,
                "stance": c.stance.value,
                "rationale": c.rationale,
            }
            subject_rows = [
                {
                    "claim_id": claim_id,
                    "ordinal": i,
                    "person_id": slug if kind == "person" else None,
                    "organization_id": slug if kind == "organization" else None,
                }
                for i, (kind, slug) in enumerate(subjects)
            ]
            self.upsert_tree(
                Claim,
                claim_id,
                values,
                partial(
                    self.replace_children,
                    ClaimSubject,
                    col(ClaimSubject.claim_id) == claim_id,
                    subject_rows,
                    ["ordinal", "person_id", "organization_id"],
                    (col(ClaimSubject.ordinal),),
                ),
            )
        self.session.flush()
        for r in role_rows:
            role_id = short_id("rol_", r.person, r.organization, r.title, r.kind.value)
            values = {
                "id": role_id,
                "person_id": r.person,
                "organization_id": r.organization,
                "title": r.title,
                "kind": r.kind.value,
                "status": r.status.value,
                "start_date": r.start_date,
                "start_date_precision": r.start_date_precision.value
                if r.start_date_precision
                else None,
                "end_date": r.end_date,
                "end_date_precision": r.end_date_precision.value if r.end_date_precision else None,
                "claim_id": keys[r.claim] if r.claim else None,
            }
            self.upsert(Role, role_id, values, False)

    def upsert_tree(
        self,
        model: type[SQLModel],
        pk: str,
        values: dict[str, Any],
        write_children: Callable[[], bool],
    ) -> None:
        """Upsert a row and its child rows; a change in the children bumps the row's version."""
        if self.session.get(model, pk) is not None:
            self.upsert(model, pk, values, write_children())
        else:
            self.upsert(model, pk, values, False)
            self.session.flush()
            write_children()
        self.session.flush()


def load_seed(session: Session, seed_dir: Path) -> SeedReport:
    """Validate and load the seed in one transaction; raises ValidationFailed and writes nothing
    if any of it is wrong."""
    try:
        report = _Loader(session, seed_dir).load()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report
