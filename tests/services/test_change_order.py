"""Change-log sequence numbers become visible in order, so a feed reader that resumes after n
never skips a late commit.

PostgreSQL hands out sequence values before commit: without a guard, a writer that took n+1
could commit while the writer holding n is still committing, a reader would see n+1, resume
after it, and never see n. The writes take a transaction-scoped advisory lock just before
they append their rows (app/services/curation/transaction.py `_write_changes`), held until
their commit is visible. This test holds that lock in a transaction that has appended row n,
as a committing writer does, and shows a real write waiting behind it, then taking n+1.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth import ANONYMOUS, Actor
from app.db import write_session
from app.models.api_key import Scope
from app.models.person import PersonCreate
from app.services.catalog.changes import ChangeFilters, list_changes
from app.services.curation import entity_writes
from app.services.curation.transaction import _CHANGE_LOG_LOCK

CURATOR = Actor(key_id=None, name="test", scopes=frozenset({Scope.curate}))


def feed_after(engine: Engine, after: int) -> list[tuple[int, str]]:
    with Session(engine) as session:
        rows = list_changes(
            session, ANONYMOUS, filters=ChangeFilters(after=after), cursor=None, limit=100
        )
    return [(e.seq, e.change["entity_id"]) for e in rows.entries]


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_later_writer_waits_for_the_earlier_commit(engine: Engine, db_url: str) -> None:
    with Session(engine) as session:
        head = list_changes(
            session, ANONYMOUS, filters=ChangeFilters(after=0), cursor=None, limit=1000
        )
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as first:
        # A writer in the middle of its commit: lock taken, row n appended, not yet visible.
        first.execute("SELECT pg_advisory_xact_lock(%s)", (_CHANGE_LOG_LOCK,))
        cursor = first.execute(
            "INSERT INTO change (at, key_id, origin, entity_type, entity_id, op, version) "
            "VALUES (now(), NULL, 'test', 'person', 'first-writer', 'create', 1) RETURNING seq"
        )
        row = cursor.fetchone()
        assert row is not None
        n = int(row[0])

        done = threading.Event()

        def second_writer() -> None:
            with write_session(engine) as session:
                entity_writes.create_person(
                    session, CURATOR, PersonCreate(id="second-writer", name="Second Writer")
                )
            done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(1.0)
        # The second writer is blocked at its commit, and a reader sees neither row.
        assert not done.is_set()
        assert feed_after(engine, head.last_seq) == []
        first.commit()
    thread.join(timeout=10)
    assert done.is_set()
    assert feed_after(engine, head.last_seq) == [(n, "first-writer"), (n + 1, "second-writer")]
