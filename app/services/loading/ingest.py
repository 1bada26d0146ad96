"""Ingesting text files as sources: one file, one source, one transaction.

A file's source id is `--id` or a slug of its file name; its title is `--title`, else a
first line written as a Markdown heading (`# Title`, which is then not part of the text), else
the file name. The text is stored as read (UTF-8, newlines normalised to \\n, outer blank
lines trimmed), so mention offsets point into exactly what the file says.

Re-running is safe: a file whose source already exists with the same text is skipped; one
whose id exists with another text is reported as a conflict and left alone; one whose text is
already stored under another id is reported as a duplicate. Each file commits on its own, so
an interrupted run keeps every file it finished and loses nothing but the one in hand.

A file that cannot be a source is refused with its reason and the run goes on: one that is not
UTF-8 text (binary, UTF-16, invalid bytes), one too large to hold (judged from its size, before
reading it), one that cannot be read, and, in a folder, a symbolic link leading outside that
folder (its content would be published as the source's text) unless follow_symlinks is asked.
"""

from __future__ import annotations

import os
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
from app.models.fields import SOURCE_TEXT_MAX
from app.models.source import SourceCreate
from app.problems import ProblemError
from app.services.curation.source_writes import add_source, text_sha256
from app.services.search.lexicon import Lexicon

SUFFIXES = (".txt", ".md")
_SLUG_BREAK = re.compile(r"[^a-z0-9]+")
# No larger file can hold a valid source: a code point is at most 4 bytes of UTF-8, and the
# slack covers a heading and the blank lines that are trimmed.
MAX_FILE_BYTES = 4 * SOURCE_TEXT_MAX + 64 * 1024
_UTF16_32_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


class Refused(Exception):
    """A file that cannot be a source; the message says why, for the user."""


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
class Candidate:
    """A file to ingest, and the folder it was found in (None: named on the command line)."""

    path: Path
    folder: Path | None = None


@dataclass(frozen=True)
class IngestResult:
    path: Path
    source_id: str
    status: str  # created, unchanged, conflict, duplicate, invalid, refused
    detail: str = ""
    persons: int = 0
    organizations: int = 0


def files_in(paths: Iterable[Path], *, follow_symlinks: bool = False) -> list[Candidate]:
    """The files to ingest: each file given, and the .txt/.md files of each folder given
    (recursively, in path order). Linked folders are entered only with `follow_symlinks`
    (each real folder once); linked files are listed, and judged by `check_place`."""
    out: dict[Path, Candidate] = {}
    for path in paths:
        if not path.is_dir():
            out.setdefault(path, Candidate(path))
            continue
        found: list[Path] = []
        seen: set[str] = set()
        for top, dirs, names in os.walk(path, followlinks=follow_symlinks):
            real = os.path.realpath(top)
            if real in seen:
                dirs.clear()
                continue
            seen.add(real)
            found += [
                Path(top) / n
                for n in names
                if Path(n).suffix.lower() in SUFFIXES and (Path(top) / n).is_file()
            ]
        for file in sorted(found):
            out.setdefault(file, Candidate(file, path))
    return list(out.values())


def check_place(candidate: Candidate, *, follow_symlinks: bool = False) -> None:
    """Refuse a file found in a folder that really lies outside it (through a link)."""
    if candidate.folder is None or follow_symlinks:
        return
    target = candidate.path.resolve()
    if not target.is_relative_to(candidate.folder.resolve()):
        raise Refused(
            f"a symbolic link to {target}, outside {candidate.folder}; not followed "
            "(give --follow-symlinks to ingest what links point to)"
        )


def read_file(path: Path) -> str:
    """A file's text, or Refused: too large (from its size, unread), unreadable, not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Refused(
                f"too large: {size:,} bytes; a source holds at most {SOURCE_TEXT_MAX:,} "
                f"characters, so files over {MAX_FILE_BYTES:,} bytes are not read"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"too large: more than {MAX_FILE_BYTES:,} bytes")
    for bom, encoding in _UTF16_32_BOMS:
        if data.startswith(bom):
            raise Refused(
                f"{encoding} text (byte order mark), not UTF-8; convert it first, e.g. "
                f"iconv -f {encoding} -t UTF-8"
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise Refused(
            f"not text: a NUL byte at offset {nul:,} (a binary file, or UTF-16 without a byte "
            "order mark)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start:,} is not valid UTF-8"
        ) from exc


def slug_of(name: str) -> str:
    latin = iuliia.WIKIPEDIA.translate(name).lower()
    return _SLUG_BREAK.sub("-", latin).strip("-")[:100].strip("-") or "source"


def read_text(path: Path) -> tuple[str | None, str]:
    """(heading title or None, text), or Refused."""
    raw = read_file(path).replace("\r\n", "\n").replace("\r", "\n")
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
    session: Session,
    candidate: Candidate,
    options: IngestOptions,
    *,
    lexicon: Lexicon | None = None,
    follow_symlinks: bool = False,
) -> IngestResult:
    path = candidate.path
    source_id = options.source_id or slug_of(path.stem)
    try:
        check_place(candidate, follow_symlinks=follow_symlinks)
        heading, text = read_text(path)
    except Refused as exc:
        return IngestResult(path, source_id, "refused", str(exc))
    title = options.title or heading or path.stem.replace("_", " ").replace("-", " ")
    digest = text_sha256(text)
    stored = _already_stored(session, path, source_id, digest)
    if stored is not None:
        return stored
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


def _already_stored(
    session: Session, path: Path, source_id: str, digest: str
) -> IngestResult | None:
    """What to report if this text, or another under this id, is stored already."""
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
    return None
