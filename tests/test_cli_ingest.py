"""`elitekb ingest` as a user runs it: the real console script over a folder of our own
texts, on a seeded database (SQLite and PostgreSQL), including an interrupted run that is
started again.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from app.db import make_engine
from app.models import Change, Mention, Source
from tests.support.cli import Cli

RU = (
    "# Греф и Набиуллина\n\n"
    "Герман Греф встретился с Эльвирой Набиуллиной. По словам Грефа, Сбербанк готов.\n"
)
EN = "Moscow Mayor Sobyanin met Alexei Kudrin. Tatiana Gref, no relation, runs a bakery.\n"


def _counts(db_url: str) -> tuple[int, int, int]:
    """(sources, mentions, source change rows from the CLI)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            sources = session.scalar(select(func.count()).select_from(Source))
            mentions = session.scalar(select(func.count()).select_from(Mention))
            logged = session.scalar(
                select(func.count())
                .select_from(Change)
                .where(Change.origin == "cli", Change.entity_type == "source")
            )
            return int(sources or 0), int(mentions or 0), int(logged or 0)
    finally:
        engine.dispose()


def test_ingest_folder_rerun_and_conflict(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "ru-gref.md").write_text(RU, encoding="utf-8")
    (folder / "sub" / "en-mayor.txt").write_text(EN, encoding="utf-8")
    (folder / "copy.txt").write_text(EN, encoding="utf-8")
    (folder / "notes.csv").write_text("not,a,text\n", encoding="utf-8")
    cli = Cli(db_url, tmp_path)
    base_sources, base_mentions, _ = _counts(db_url)

    code, out, err = cli.run("ingest", str(folder), "--published", "2024-03-01")
    assert (code, out) == (0, "3 file(s): 2 created, 1 duplicate\n")
    assert err.splitlines() == [
        f"[1/3] {folder}/copy.txt -> copy: created, 2 person and 0 organisation mentions",
        f"[2/3] {folder}/ru-gref.md -> ru-gref: created, 3 person and 1 organisation mentions",
        f"[3/3] {folder}/sub/en-mayor.txt -> en-mayor: duplicate (same text as source 'copy')",
    ]
    assert _counts(db_url) == (base_sources + 2, base_mentions + 6, 2)

    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            ru = session.get(Source, "ru-gref")
            assert ru is not None
            # The heading became the title and left the text, so offsets point into the body.
            assert (ru.title, ru.language, str(ru.published_date), ru.genre) == (
                "Греф и Набиуллина",
                "ru",
                "2024-03-01",
                "news",
            )
            assert ru.text == RU.split("\n\n", 1)[1].rstrip("\n")
            found = session.execute(
                select(Mention.start, Mention.end, Mention.text, Mention.person_id)
                .where(Mention.source_id == "ru-gref")
                .order_by(Mention.start)
            ).all()
            assert [(s, e, t, p) for s, e, t, p in found] == [
                (0, 11, "Герман Греф", "german-gref"),
                (25, 45, "Эльвирой Набиуллиной", "elvira-nabiullina"),
                (57, 62, "Грефа", "german-gref"),
                (64, 72, "Сбербанк", None),
            ]
            assert all(ru.text[s:e] == t for s, e, t, _ in found)
    finally:
        engine.dispose()

    # Running again changes nothing; a changed file under an existing id is a conflict.
    code, out, _ = cli.run("ingest", str(folder))
    assert (code, out) == (0, "3 file(s): 1 duplicate, 2 unchanged\n")
    (folder / "copy.txt").write_text(EN + "One more line.\n", encoding="utf-8")
    code, out, err = cli.run("ingest", str(folder / "copy.txt"))
    assert (code, out) == (1, "1 file(s): 1 conflict\n")
    assert err == (
        f"[1/1] {folder}/copy.txt -> copy: conflict (a source 'copy' with another text "
        "exists; give --id to store this one under another id, or edit that source over the "
        "API)\n"
    )
    assert _counts(db_url) == (base_sources + 2, base_mentions + 6, 2)

    # The index is derived data: rebuilding it from scratch gives the same rows.
    code, out, _ = cli.run("search", "rebuild")
    _, mentions, _ = _counts(db_url)
    assert (code, mentions) == (0, base_mentions + 6)
    assert out.endswith(f" search documents, {mentions} mentions\n")

    # --title/--id are for one file; a bad rights value is refused per file.
    code, _, err = cli.run("ingest", str(folder), "--title", "X")
    assert (code, err) == (2, "--title and --id apply to one file; leave them out for several.\n")
    code, out, err = cli.run(
        "ingest", str(folder / "copy.txt"), "--id", "copy-2", "--rights", "everything"
    )
    assert (code, out) == (1, "1 file(s): 1 invalid\n")
    assert err.startswith(f"[1/1] {folder}/copy.txt -> copy-2: invalid (rights: Input should be")


def test_interrupted_ingest_resumes_without_duplicates(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    total = 60
    for i in range(total):
        (folder / f"item-{i:03d}.txt").write_text(
            f"Item {i}. Герман Греф и Эльвира Набиуллина обсудили вопрос номер {i}.\n",
            encoding="utf-8",
        )
    cli = Cli(db_url, tmp_path)
    base_sources, base_mentions, _ = _counts(db_url)
    proc = cli.start("ingest", str(folder))
    assert proc.stderr is not None
    seen = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("[") and "created" in line:
            seen += 1
            if seen == 5:
                proc.send_signal(signal.SIGINT)
                break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err[-2000:])
    assert "Run the same command again to go on." in err
    stored = _counts(db_url)[0] - base_sources
    assert 5 <= stored < total

    code, out, _ = cli.run("ingest", str(folder))
    assert (code, out) == (0, f"{total} file(s): {total - stored} created, {stored} unchanged\n")
    assert _counts(db_url) == (base_sources + total, base_mentions + 2 * total, total)


def _bad_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with two good texts among files that cannot be sources; and the outside file
    one of them links to."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    outside = tmp_path / "private" / "notes.txt"
    outside.parent.mkdir()
    outside.write_text("Private notes on Mishustin, not for publication.\n", encoding="utf-8")
    (folder / "a-mayor.txt").write_text(EN, encoding="utf-8")
    (folder / "b-image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "c-latin1.txt").write_bytes("Herman Gref a été reçu.\n".encode("latin-1"))
    (folder / "d-utf16.txt").write_bytes("Кудрин и Греф.\n".encode("utf-16"))
    (folder / "e-link.txt").symlink_to(outside)
    with (folder / "f-huge.txt").open("wb") as huge:
        huge.truncate(50 * 1024 * 1024)  # sparse: 50 MB by its size, nothing on disk
    (folder / "g-gref.md").write_text(RU, encoding="utf-8")
    return folder, outside


def test_ingest_refuses_files_that_cannot_be_sources_and_goes_on(
    db_url: str, tmp_path: Path
) -> None:
    folder, outside = _bad_folder(tmp_path)
    cli = Cli(db_url, tmp_path)
    base_sources, base_mentions, _ = _counts(db_url)

    def refused(n: int, name: str, why: str) -> str:
        return f"[{n}/7] {folder}/{name}.txt -> {name}: refused ({why})"

    bad_lines = [
        refused(
            2,
            "b-image",
            "not text: a NUL byte at offset 8 (a binary file, or UTF-16 without a byte order mark)",
        ),
        refused(3, "c-latin1", "not UTF-8: byte 0xe9 at offset 14 is not valid UTF-8"),
        refused(
            4,
            "d-utf16",
            "UTF-16 text (byte order mark), not UTF-8; convert it first, e.g. "
            "iconv -f UTF-16 -t UTF-8",
        ),
        refused(
            5,
            "e-link",
            f"a symbolic link to {outside}, outside {folder}; not followed (give "
            "--follow-symlinks to ingest what links point to)",
        ),
        refused(
            6,
            "f-huge",
            "too large: 52,428,800 bytes; a source holds at most 250,000 characters, so files "
            "over 1,065,536 bytes are not read",
        ),
    ]
    code, out, err = cli.run("ingest", str(folder))
    assert (code, out) == (1, "7 file(s): 2 created, 5 refused\n")
    assert err.splitlines() == [
        f"[1/7] {folder}/a-mayor.txt -> a-mayor: created, 2 person and 0 organisation mentions",
        *bad_lines,
        f"[7/7] {folder}/g-gref.md -> g-gref: created, 3 person and 1 organisation mentions",
    ]
    assert _counts(db_url) == (base_sources + 2, base_mentions + 6, 2)

    # A re-run stores nothing twice and refuses the same files for the same reasons.
    code, out, err = cli.run("ingest", str(folder))
    assert (code, out) == (1, "7 file(s): 5 refused, 2 unchanged\n")
    assert err.splitlines() == [
        f"[1/7] {folder}/a-mayor.txt -> a-mayor: unchanged (already ingested)",
        *bad_lines,
        f"[7/7] {folder}/g-gref.md -> g-gref: unchanged (already ingested)",
    ]
    assert _counts(db_url) == (base_sources + 2, base_mentions + 6, 2)

    # Asked to, it follows the link: the linked file is stored, the others are still refused.
    code, out, err = cli.run("ingest", str(folder), "--follow-symlinks")
    assert (code, out) == (1, "7 file(s): 1 created, 4 refused, 2 unchanged\n")
    assert err.splitlines()[4] == (
        f"[5/7] {folder}/e-link.txt -> e-link: created, 1 person and 0 organisation mentions"
    )
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            linked = session.get(Source, "e-link")
            assert linked is not None
            assert linked.text == outside.read_text(encoding="utf-8").rstrip("\n")
    finally:
        engine.dispose()
    assert _counts(db_url)[0] == base_sources + 3


def test_ingest_of_a_named_bad_file_says_why(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "report.txt"
    bad.write_bytes(b"\xff\xfeK\x00u\x00d\x00r\x00i\x00n\x00")
    code, out, err = Cli(db_url, tmp_path).run("ingest", str(bad))
    assert (code, out) == (1, "1 file(s): 1 refused\n")
    assert err == (
        f"[1/1] {bad} -> report: refused (UTF-16 text (byte order mark), not UTF-8; convert it "
        "first, e.g. iconv -f UTF-16 -t UTF-8)\n"
    )
