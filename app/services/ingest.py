"""Ingesting text files as sources: one file, one source, one transaction.

A file's source id is `--id` or a slug of its file name; its title is `--title`, else a
first line written as a Markdown heading (`# Title`, which is then not part of the text), else
the file name. The text is stored as read (UTF-8, newlines normalised to \\n, outer blank
lines trimmed), so mention offsets point into exactly what the file says.

Re-running is safe: a file whose source already exists with the same text is skipped; one
whose id exists with another text is reported as a conflict and left alone; one whose text is
already stored under another id is reported as a duplicate. Each file commits on its own, so
an interrupted run keeps every file it finished and loses nothing but the one in hand.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import iuliia
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from app.models import Mention, Source
from app.models.curation import SourceCreate
from app.problems import ProblemError
from app.services.mentions import Lexicon
from app.services.source_writes import add_source, text_sha256

SUFFIXES = (".txt", ".md")
_SLUG_BREAK = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class IngestOptions:
    title: str | None = None
    source_id: str | None = None
    url: str | None = None
    published: date | None = None
    language: str | None = None
    genre: str = "news"
    rights: str = "full_text"


@dataclass(frozen=True)
class IngestResult:
    path: Path
    source_id: str
    status: str  # created, unchanged, conflict, duplicate, invalid
    detail: str = ""
    persons: int = 0
    organizations: int = 0


def files_in(paths: Iterable[Path]) -> list[Path]:
    """The files to ingest: each file given, and the .txt/.md files of each folder given
    (recursively), in path order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def slug_of(name: str) -> str:
    latin = iuliia.WIKIPEDIA.translate(name).lower()
    return _SLUG_BREAK.sub("-", latin).strip("-")[:100].strip("-") or "source"


def read_text(path: Path) -> tuple[str | None, str]:
    """(heading title or None, text)."""
    raw = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    raw = raw.removeprefix("\ufeff").strip("\n")
    first, _, rest = raw.partition("\n")
    if first.startswith("# ") and rest.strip():
        return first[2:].strip(), rest.strip("\n")
    return None, raw


def guess_language(text: str) -> str:
    cyrillic = sum(1 for c in text if "\u0400" <= c <= "\u04ff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return "ru" if cyrillic > latin else "en"


def ingest_file(
    session: Session, path: Path, options: IngestOptions, *, lexicon: Lexicon | None = None
) -> IngestResult:
    heading, text = read_text(path)
    source_id = options.source_id or slug_of(path.stem)
    title = options.title or heading or path.stem.replace("_", " ").replace("-", " ")
    digest = text_sha256(text)
    existing = session.get(Source, source_id)
    if existing is not None:
        if existing.text_sha256 == digest:
            return IngestResult(path, source_id, "unchanged", "already ingested")
        return IngestResult(
            path,
            source_id,
            "conflict",
            f"a source {source_id!r} with another text exists; give --id to store this one "
            "under another id, or edit that source over the API",
        )
    twin = session.scalars(select(col(Source.id)).where(col(Source.text_sha256) == digest)).first()
    if twin is not None:
        return IngestResult(path, source_id, "duplicate", f"same text as source {twin!r}")
    try:
        data = SourceCreate.model_validate(
            {
                "id": source_id,
                "title": title,
                "url": options.url,
                "published_date": options.published,
                "language": options.language or guess_language(text),
                "genre": options.genre,
                "rights": options.rights,
                "text": text,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return IngestResult(path, source_id, "invalid", f"{where}: {first['msg']}")
    try:
        add_source(session, None, data, origin="cli", lexicon=lexicon)
        session.commit()
    except ProblemError as exc:
        session.rollback()
        return IngestResult(path, source_id, "invalid", exc.detail)
    kinds = Counter(
        "person" if person_id else "organization"
        for (person_id,) in session.execute(
            select(col(Mention.person_id)).where(col(Mention.source_id) == source_id)
        )
    )
    return IngestResult(
        path, source_id, "created", "", kinds.get("person", 0), kinds.get("organization", 0)
    )
