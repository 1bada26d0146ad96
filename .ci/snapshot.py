"""Snapshot what a refactoring must leave unchanged, so two commits can be compared.

Run from the root of a checkout, with the project's virtualenv (it needs nothing from the
checkout beyond `python -m app.cli` and `app.main:create_app`, so it runs on old commits too):

    .venv/bin/python .ci/snapshot.py OUTDIR [--postgres]

It writes OUTDIR/openapi.json (the bytes `GET /openapi.json` returns) and OUTDIR/seed-<backend>.txt
(every row of every table after `elitekb db upgrade` and `elitekb seed` on an empty database,
in primary-key order). Values that differ on every run are masked: timestamps written at load
time and the random cursor-signing key. Compare two commits with `diff -r OUTDIR_A OUTDIR_B`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import DateTime, create_engine, inspect, text

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# SQLite's FTS5 tables (and their shadow tables) mirror name_variant and search_doc, which are
# dumped themselves; their internal blocks depend on insertion order, not on content.
SKIP = re.compile(r"^sqlite_|_(fts|words)(_[a-z]+)?$")


def cli(url: str, *args: str) -> None:
    env = {**os.environ, "ELITEKB_DATABASE_URL": url, "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-m", "app.cli", *args], check=True, env=env)


def masked(table: str, column: str, kind: object, value: object) -> object:
    if value is not None and isinstance(kind, DateTime):
        return "<timestamp>"
    if table == "instance_secret" and column != "id":
        return "<random>"
    return value


def dump(url: str) -> str:
    engine = create_engine(url)
    insp = inspect(engine)
    lines = []
    with engine.connect() as conn:
        for table in sorted(insp.get_table_names()):
            if SKIP.search(table):
                continue
            columns = insp.get_columns(table)
            cols = [c["name"] for c in columns]
            kinds = [c["type"] for c in columns]
            pk = insp.get_pk_constraint(table)["constrained_columns"] or cols
            order = ", ".join(f'"{c}"' for c in pk)
            rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')).all()
            lines.append(f"## {table} ({len(rows)} rows) {cols}")
            for row in rows:
                lines.append(repr(tuple(masked(table, c, k, v) for c, k, v in zip(cols, kinds, row, strict=True))))
    engine.dispose()
    return "\n".join(lines) + "\n"


def openapi_bytes() -> bytes:
    sys.path.insert(0, os.getcwd())
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as client:
        response = client.get("/openapi.json")
        response.raise_for_status()
        return response.content


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/snapshot.db"
        os.environ["ELITEKB_DATABASE_URL"] = url
        cli(url, "db", "upgrade")
        cli(url, "seed")
        (out / "seed-sqlite.txt").write_text(dump(url), encoding="utf-8")
        (out / "openapi.json").write_bytes(openapi_bytes())
    if "--postgres" in sys.argv:
        name = f"snapshot_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        try:
            cli(url, "db", "upgrade")
            cli(url, "seed")
            (out / "seed-postgresql.txt").write_text(dump(url), encoding="utf-8")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"wrote {sorted(p.name for p in out.iterdir())} to {out}")


if __name__ == "__main__":
    main()
