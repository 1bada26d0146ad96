"""Waking long-polling feed readers (`GET /v1/changes?wait=`) when a change commits anywhere.

A waiting request holds no database connection and no worker thread: it awaits an asyncio
condition of its process's `ChangeNotifier`, which knows the highest committed sequence number
and wakes every waiter when it moves. One watcher task per process keeps it current, started
by the first waiter:
- on PostgreSQL, one connection of its own LISTENs on `CHANGE_CHANNEL`; each write transaction sends
  its highest sequence number with `pg_notify` as it commits (app/services/curation/
  transaction.py), and PostgreSQL delivers it to every listening process once the commit is
  visible. The watcher reads the highest number once after LISTEN, and again every second
  while anyone waits, so nothing is missed across a reconnect;
- on SQLite (one machine, one file), it reads the highest number every 10 ms while anyone
  waits, through the process's own read connection (app/api/cache.py `SeqProbe`), and stops
  a few seconds after the last waiter left.
So a hundred idle long-pollers cost one connection per process on PostgreSQL, and none on
SQLite, however many there are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from sqlalchemy import Engine

from app.api.cache import SeqProbe
from app.services.curation.transaction import CHANGE_CHANNEL

_LATEST = "SELECT COALESCE(MAX(seq), 0) FROM change"
_SQLITE_POLL = 0.01  # seconds between reads while someone waits
_SQLITE_LINGER = 5.0  # seconds the SQLite watcher keeps polling after the last waiter left
_PG_RECHECK = 1.0  # seconds between the PostgreSQL watcher's own reads while someone waits
_PG_RETRY = 1.0  # seconds before reconnecting a lost LISTEN connection

log = logging.getLogger(__name__)


class ChangeNotifier:
    """The highest committed sequence number as this process knows it, and its waiters."""

    def __init__(self, engine: Engine, probe: SeqProbe) -> None:
        self.engine = engine
        self.probe = probe
        self.postgres = engine.dialect.name == "postgresql"
        self.head = 0
        self.waiting = 0
        self._moved: asyncio.Condition | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    async def wait_beyond(self, seq: int, timeout: float) -> bool:
        """Wait until a change later than `seq` has committed in any process (True), or for
        `timeout` seconds (False)."""
        if timeout <= 0:
            return False
        moved = self._start()
        assert self._ready is not None
        self.waiting += 1
        try:
            async with asyncio.timeout(timeout):
                await self._ready.wait()
                async with moved:
                    await moved.wait_for(lambda: self.head > seq)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1

    def _start(self) -> asyncio.Condition:
        if self._moved is None:
            self._moved = asyncio.Condition()
            self._ready = asyncio.Event()
        if self._task is None or self._task.done():
            watch = self._watch_postgres if self.postgres else self._watch_sqlite
            self._task = asyncio.create_task(watch(), name="elitekb-change-watcher")
        return self._moved

    async def _advance(self, seq: int) -> None:
        assert self._moved is not None and self._ready is not None
        self._ready.set()
        if seq > self.head:
            self.head = seq
            async with self._moved:
                self._moved.notify_all()

    async def _watch_sqlite(self) -> None:
        idle = 0.0
        while idle < _SQLITE_LINGER:
            try:
                await self._advance(await self.probe.latest())
            except Exception:  # a transient read failure: the next poll tries again
                log.exception("reading the change log's head failed")
            await asyncio.sleep(_SQLITE_POLL)
            idle = 0.0 if self.waiting else idle + _SQLITE_POLL

    async def _watch_postgres(self) -> None:
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                conn: psycopg.AsyncConnection[Any] = await psycopg.AsyncConnection.connect(
                    url, autocommit=True
                )
                async with conn:
                    await conn.execute(f"LISTEN {CHANGE_CHANNEL}")
                    await self._listen(conn)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the change-feed LISTEN connection failed; reconnecting")
                await asyncio.sleep(_PG_RETRY)

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        first = True
        while True:
            if first or self.waiting:
                cursor = await conn.execute(_LATEST)
                row = await cursor.fetchone()
                await self._advance(int(row[0]) if row else 0)
                first = False
            async for note in conn.notifies(timeout=_PG_RECHECK):
                with contextlib.suppress(ValueError):
                    await self._advance(int(note.payload))

    async def close(self) -> None:
        """Stop the watcher (the app's shutdown); a later waiter, on whatever event loop,
        starts afresh."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self._moved = self._ready = None
