"""Engine and session wiring for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.config import Settings, get_settings, normalise_database_url

# Execution option marking a connection whose transactions will write (see write_engine).
WRITE_OPTION = "elitekb_write"
# Session.info key of the Settings of the app that opened the session (app/api/deps.py).
SETTINGS_KEY = "elitekb.settings"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """Create an engine with the pragmas and pool sizing elitekb relies on."""
    settings = settings or get_settings()
    url = normalise_database_url(url)
    kwargs: dict[str, Any] = {}
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
        kwargs["pool_size"] = settings.db_pool_size
        kwargs["max_overflow"] = 0
    else:
        kwargs["pool_size"] = settings.db_pool_size
        kwargs["max_overflow"] = 0
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {
            "options": f"-c statement_timeout={int(settings.pg_statement_timeout_ms)}"
        }
    engine = create_engine(url, **kwargs)
    if is_sqlite(url):
        busy_ms = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL (not WAL's usual NORMAL): a commit is on disk before the write is
            # acknowledged, even if the machine, not just the process, goes down.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cursor.close()
            # Let SQLAlchemy, not the sqlite3 module, say when transactions begin (below).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A write transaction takes the write lock up front (BEGIN IMMEDIATE), waiting up
            # to busy_timeout for it. A deferred one that reads first and writes later can fail
            # at once with SQLITE_BUSY when another writer got in between, and its reads (an
            # If-Match check, say) would be stale by the time it writes.
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def write_engine(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that write: on SQLite they begin with
    BEGIN IMMEDIATE; on PostgreSQL nothing differs (writers lock the rows they change)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def write_session(engine: Engine) -> Session:
    """A session for a write transaction (BEGIN IMMEDIATE on SQLite)."""
    return Session(write_engine(engine), expire_on_commit=False)


def settings_of(session: Session) -> Settings:
    """The settings of the app whose session this is (those given to create_app); for
    sessions opened elsewhere (the CLI, tests), the environment's."""
    settings: Settings | None = session.info.get(SETTINGS_KEY)
    return settings if settings is not None else get_settings()
