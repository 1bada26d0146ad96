"""A per-process cache of the JSON bodies anonymous readers get, never stale after a write.

Every accepted write appends a change-log row in its own transaction, and on PostgreSQL those
rows commit in sequence order (app/services/curation/transaction.py `record_change`). So the
log's highest sequence number is a version of the whole knowledge base: a body made after
reading sequence n holds every write up to n. A read first asks the database for that number
(one indexed lookup), and serves the stored body only if it was made at the same number;
otherwise it builds the body again and stores it under the number it read. A write through any
process moves the number on before its response is sent, so the next read anywhere misses.

Only anonymous reads are cached: what a keyed reader sees of annotations depends on the key.
The cache is bounded in bytes (least recently used bodies go first) and off with
ELITEKB_CACHE_MAX_BYTES=0.

The number is read on the event loop, so a hit costs no worker thread and no pooled
connection (`SeqProbe`): on SQLite through a connection of its own (an indexed read of the
rowid's maximum, microseconds, never waiting on a writer in WAL mode); on PostgreSQL through
one asynchronous psycopg connection per process.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine

_LATEST_SQL = "SELECT COALESCE(MAX(seq), 0) FROM change"


class SeqProbe:
    """Reads the latest sequence number from the event loop, on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self._sqlite: sqlite3.Connection | None = None
        self._pg: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def latest(self) -> int:
        if self.sqlite:
            return self._latest_sqlite()
        async with self._lock:
            try:
                if self._pg is None or self._pg.closed:
                    url = self.engine.url.set(drivername="postgresql")
                    self._pg = await psycopg.AsyncConnection.connect(
                        url.render_as_string(hide_password=False), autocommit=True
                    )
                cursor = await self._pg.execute(_LATEST_SQL)
                row = await cursor.fetchone()
            except psycopg.Error:
                await self.close()
                raise
        assert row is not None
        return int(row[0])

    def _latest_sqlite(self) -> int:
        if self._sqlite is None:
            database = self.engine.url.database or ""
            self._sqlite = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
            self._sqlite.execute("PRAGMA busy_timeout=5000")
            self._sqlite.execute("PRAGMA query_only=1")
        row = self._sqlite.execute(_LATEST_SQL).fetchone()
        return int(row[0])

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            pg, self._pg = self._pg, None
            await pg.close()


@dataclass(frozen=True)
class Entry:
    seq: int
    body: bytes
    # The ETag of a single resource, or the next page's cursor of a list page.
    extra: str | None


class RepresentationCache:
    """Bodies by request target, each with the sequence number it was made at."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: str, seq: int) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.seq != seq:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        cost = len(entry.body) + len(key)
        if cost > self.max_bytes // 8:
            return  # one huge body would push out everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body) + len(key)
            self._entries[key] = entry
            self._size += cost
            while self._size > self.max_bytes:
                gone_key, gone = self._entries.popitem(last=False)
                self._size -= len(gone.body) + len(gone_key)

    def __len__(self) -> int:
        return len(self._entries)
