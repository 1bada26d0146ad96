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
from test_cli import Cli

from app.db import make_engine
from app.models import Change, Mention, Source

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
