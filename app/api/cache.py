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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    # The response's headers as the app sent them (content type and length, ETag, Link...).
    headers: list[tuple[bytes, bytes]]
    etag: str | None


def _cost(key: str, entry: Entry) -> int:
    return len(entry.body) + len(key) + sum(len(k) + len(v) for k, v in entry.headers)


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
        cost = _cost(key, entry)
        if cost > self.max_bytes // 8:
            return  # one huge body would push out everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= _cost(key, old)
            self._entries[key] = entry
            self._size += cost
            while self._size > self.max_bytes:
                gone_key, gone = self._entries.popitem(last=False)
                self._size -= _cost(gone_key, gone)


# Set in the request's scope state by the middleware on a miss: the sequence it read first, and
# where the response goes. The handler (app/api/deps.py) marks the response as storable.
MISS_STATE = "elitekb.cache_miss"
STORABLE_STATE = "elitekb.cache_storable"
_STORED_HEADERS = {b"content-type", b"content-length", b"etag", b"cache-control", b"link"}


def cache_key(scope: Scope) -> str | None:
    """Where an anonymous GET under /v1/ is cached: scheme, host, path and query (a Link
    header names the host). None for anything else, keyed requests included (what a key sees
    of annotations depends on the key)."""
    if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith("/v1/"):
        return None
    host = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None
        if name == b"host":
            host = value
    query = scope.get("query_string", b"")
    return f"{scope['scheme']}://{host.decode('latin-1')}{scope['path']}?{query.decode('latin-1')}"


def _not_modified(scope: Scope, etag: str | None) -> bool:
    if etag is None:
        return False
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            header = value.decode("latin-1")
            if header.strip() == "*":
                return True
            return etag in (tag.strip().removeprefix("W/") for tag in header.split(","))
    return False


class CacheMiddleware:
    """Answers an anonymous GET from the cache when its stored response was made at the change
    log's latest sequence, before routing, dependencies or a worker thread; otherwise lets the
    request through, having read that sequence first, and keeps the response if its handler
    marked it storable (a 200 of `RequestDb.one` or `.page` for an anonymous reader)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = cache_key(scope)
        db = scope["app"].state.db if key is not None else None
        if key is None or db is None or not db.cache.enabled:
            await self.app(scope, receive, send)
            return
        try:
            seq = await db.probe.latest()
        except Exception:  # the probe's connection failed: serve without the cache
            await self.app(scope, receive, send)
            return
        hit = db.cache.get(key, seq)
        if hit is not None:
            await self._replay(scope, send, hit)
            return
        state = scope.setdefault("state", {})
        state[MISS_STATE] = seq
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if (
                    not message.get("more_body", False)
                    and status == 200
                    and state.get(STORABLE_STATE)
                ):
                    kept = [(k, v) for k, v in headers if k.lower() in _STORED_HEADERS]
                    etag = next((v.decode() for k, v in kept if k.lower() == b"etag"), None)
                    db.cache.put(key, Entry(seq, b"".join(chunks), kept, etag))
            await send(message)

        await self.app(scope, receive, capture)

    @staticmethod
    async def _replay(scope: Scope, send: Send, hit: Entry) -> None:
        if _not_modified(scope, hit.etag):
            headers = [(k, v) for k, v in hit.headers if k.lower() in (b"etag", b"cache-control")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": hit.headers})
        await send({"type": "http.response.body", "body": hit.body})
