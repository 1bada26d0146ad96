"""Engine settings that protect a production database, checked on the real servers."""

from __future__ import annotations

from sqlalchemy import Engine


def test_engine_session_settings(engine: Engine, backend: str) -> None:
    with engine.connect() as conn:
        if backend == "postgres":
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "15s"
        else:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
