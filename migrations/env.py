"""Alembic environment: the URL comes from elitekb's settings (or an engine handed in by
the caller); batch mode is used on SQLite only, where ALTER TABLE is limited."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from app.config import get_settings, normalise_database_url
from app.db import is_sqlite, make_engine
from app.models import metadata
from app.models.search import BACKEND_OBJECTS

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return normalise_database_url(
        config.attributes.get("database_url") or get_settings().database_url
    )


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the backend-specific search structures (FTS5 tables, the tsvector column) to the
    migration that made them: the models do not describe them."""
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", "")
        return f"{table}.{name}" not in BACKEND_OBJECTS
    return name not in BACKEND_OBJECTS


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=is_sqlite(url),
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
