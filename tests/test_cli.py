"""The real `elitekb` console script, run as a subprocess against SQLite and PostgreSQL.

Each invocation pays ~1.5 s of imports, so one scenario walks the whole lifecycle per backend
and runs the steps that only read (or that are refused and roll back) concurrently.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.db import make_engine
from app.main import create_app
from app.models import Claim
from app.services import migrations
from app.services.loading.seed import short_id
from tests.support.cli import SOURCE_ID, Cli


def _summary(unchanged: bool) -> str:
    counts = {"claim": 36, "organization": 9, "person": 7, "role": 11, "source": 1}
    if unchanged:
        parts = [f"{e}: 0 created, 0 updated, {n} unchanged" for e, n in counts.items()]
    else:
        parts = [f"{e}: {n} created, 0 updated, 0 unchanged" for e, n in counts.items()]
    return "; ".join(parts) + "\n"


def _broken_seed_copy(tmp_path: Path) -> Path:
    """A seed copy with one valid edit and, further down, one quote that is not in the text."""
    seed = tmp_path / "broken-seed"
    shutil.copytree(PROJECT_ROOT / "seed", seed)
    path = seed / "data" / "sources" / f"{SOURCE_ID}.toml"
    toml = path.read_text(encoding="utf-8")
    edits = [
        (
            'statement = "Alexei Kudrin is a former Russian finance minister."',
            'statement = "Edited: Kudrin used to be finance minister."',
        ),
        ('quote = "the dictator"\n', 'quote = "the great leader"\n'),
    ]
    for old, new in edits:
        assert toml.count(old) == 1, old
        toml = toml.replace(old, new)
    path.write_text(toml, encoding="utf-8")
    return seed


def test_cli_lifecycle(empty_db_url: str, tmp_path: Path) -> None:
    head = migrations.head_revision()
    cli = Cli(empty_db_url, tmp_path)
    broken = _broken_seed_copy(tmp_path)

    assert cli.run("db", "upgrade") == (0, f"database at {head}\n", "")

    current, check, seed = cli.run_all(["db", "current"], ["db", "check"], ["seed"])
    assert current == (0, f"database: {head}\nhead:     {head}\n", "")
    assert check == (0, "No new upgrade operations detected.\nmodels and migrations agree\n", "")
    assert seed == (0, _summary(unchanged=False), "")

    assert cli.run("seed") == (0, _summary(unchanged=True), "")

    located, ambiguous, refused = cli.run_all(
        ["locate", SOURCE_ID, "almost certainly"],
        ["locate", SOURCE_ID, "the Russian elite"],
        ["seed", "--dir", str(broken)],
    )
    assert located == (0, "start = 1360\nend = 1376\noccurrences = 1\n", "")
    assert ambiguous == (
        1,
        "",
        "quote: the quote 'the Russian elite' occurs 3 times (at [915, 1834, 2566]); "
        "say which with occurrence (1-based).\n",
    )
    assert refused == (
        1,
        "",
        "seed refused, nothing written: "
        f"{SOURCE_ID}.toml: claim 'putin-called-the-dictator': the quote 'the great leader' "
        "does not occur in the source text.\n",
    )

    # The valid edit that preceded the refused claim was not written either.
    kudrin_id = short_id("clm_", SOURCE_ID, "kudrin-role-former-finance-minister")
    engine = make_engine(empty_db_url)
    try:
        with Session(engine) as session:
            kudrin = session.get(Claim, kudrin_id)
            assert kudrin is not None
            assert (kudrin.statement, kudrin.version) == (
                "Alexei Kudrin is a former Russian finance minister.",
                1,
            )
            assert len(session.scalars(select(Claim.id)).all()) == 36
        # Release the connections so PostgreSQL lets the downgrade drop the tables.
        engine.dispose()

        assert cli.run("db", "downgrade", "base") == (0, "database at base (empty)\n", "")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_keys_create_list_revoke(db_url: str, tmp_path: Path) -> None:
    cli = Cli(db_url, tmp_path)
    code, out, err = cli.run("keys", "create", "--name", "desk analyst", "--scope", "annotate")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    secret = lines[-1]
    assert secret.startswith("ekb_") and len(secret) == 47 and " " not in secret
    key_id = lines[0].split()[1]
    assert lines[0] == f"created {key_id} (desk analyst; annotate)"

    code, out, err = cli.run("keys", "list")
    assert code == 0
    assert out.splitlines() == [f"{key_id}\t{secret[:8]}…\tannotate\tactive\tdesk analyst"]
    assert secret not in out and secret[8:] not in out

    engine = make_engine(db_url)
    try:
        app = create_app(engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            body = {
                "target": {"type": "person", "id": "german-gref"},
                "motivation": "commenting",
                "body": "from a CLI key",
            }
            auth = {"Authorization": f"Bearer {secret}"}
            assert client.post("/v1/annotations", json=body, headers=auth).status_code == 201
            code, out, err = cli.run("keys", "revoke", key_id)
            assert (code, out) == (0, f"revoked {key_id} (desk analyst)\n")
            refused = client.post("/v1/annotations", json=body, headers=auth)
            assert refused.status_code == 401
    finally:
        engine.dispose()
    code, out, err = cli.run("keys", "revoke", key_id)
    assert (code, err) == (1, f"The API key {key_id} is already revoked.\n")
    code, out, err = cli.run("keys", "create", "--name", "x", "--scope", "superuser")
    assert code == 2 and "superuser" in err
    code, out, _ = cli.run("keys", "list")
    assert out.splitlines()[0].split("\t")[3].startswith("revoked ")
