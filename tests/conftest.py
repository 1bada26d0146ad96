"""Fixture strategy.

Every behavioural test runs against real databases, twice: on a SQLite file and on the real
PostgreSQL server (`ELITEKB_TEST_POSTGRES_URL`, default postgresql://postgres@127.0.0.1:5432/test).
The `db_url` fixture is parametrised over both backends, so any test that asks for `db_url`,
`engine` or `client` runs once per backend with the same assertions.

Each test gets its own clean database, built cheaply from a per-session template that was
migrated with Alembic (never `create_all`) and seeded with the real seed loader:
- SQLite: the template file is copied into the test's tmp_path;
- PostgreSQL: `CREATE DATABASE ... TEMPLATE ...`, dropped again after the test.
Tests that need an empty, unmigrated database (migration tests) use `empty_db_url`.

When PostgreSQL is unreachable the PostgreSQL half is skipped and the run says so loudly at
the end; with ELITEKB_REQUIRE_POSTGRES=1 (as in CI) that is an error instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.db import make_engine, write_session
from app.main import create_app
from app.services import migrations
from app.services.access.keys import create_key
from app.services.loading.seed import load_seed
from tests.support.clients import KEY_SCOPES, Keys, app_settings

PG_URL = os.environ.get("ELITEKB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ELITEKB_REQUIRE_POSTGRES", "") == "1"
SEED_DIR = PROJECT_ROOT / "seed"
_counter = itertools.count()
_pg_problem: list[str] = []


def _pg_conninfo(database: str | None = None) -> str:
    url = make_url(PG_URL.replace("postgresql+psycopg://", "postgresql://"))
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def _pg_url(database: str) -> str:
    return _pg_conninfo(database).replace("postgresql://", "postgresql+psycopg://", 1)


def _pg_admin(sql: str) -> None:
    with psycopg.connect(_pg_conninfo(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_reachable() -> bool:
    try:
        _pg_admin("SELECT 1")
    except psycopg.Error as exc:
        _pg_problem.append(f"PostgreSQL at {PG_URL} is unreachable: {exc}".strip())
        return False
    return True


def pytest_configure(config: pytest.Config) -> None:
    config.pg_ok = _pg_reachable()  # type: ignore[attr-defined]
    if not config.pg_ok and REQUIRE_PG:  # type: ignore[attr-defined]
        raise pytest.UsageError(
            f"ELITEKB_REQUIRE_POSTGRES=1 but {_pg_problem[0]}. Start it with: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _pg_problem:
        terminalreporter.section("PostgreSQL NOT TESTED", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            f"{_pg_problem[0]}\nEvery PostgreSQL test was SKIPPED; only SQLite was tested.",
            red=True,
            bold=True,
        )


def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            load_seed(session, SEED_DIR)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    _seed(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        # Fold the WAL into the main file so a plain file copy is the whole database.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template(request: pytest.FixtureRequest) -> Iterator[str]:
    if not request.config.pg_ok:  # type: ignore[attr-defined]
        pytest.skip(_pg_problem[0])
    name = f"ekb_tpl_{os.getpid()}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    migrations.upgrade(url)
    _seed(url)
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated and seeded database on `backend`, private to this test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "elitekb.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"ekb_t_{os.getpid()}_{next(_counter)}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no tables at all, on `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not request.config.pg_ok:  # type: ignore[attr-defined]
        pytest.skip(_pg_problem[0])
    name = f"ekb_e_{os.getpid()}_{next(_counter)}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """The app in-process over httpx (end-to-end tests start real uvicorn processes instead)."""
    with TestClient(create_app(engine, app_settings()), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def keys(engine: Engine) -> Keys:
    """Two annotators (alice, bob), a curator (carol) and an admin."""
    ids, secrets = {}, {}
    with write_session(engine) as s:
        for who, scopes in KEY_SCOPES.items():
            created = create_key(s, name=who, scopes=scopes, actor=None, origin="cli")
            ids[who], secrets[who] = created.id, created.secret
    return Keys(ids, secrets)
