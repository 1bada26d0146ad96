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
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.models.change import Change

LATEST_SEQ = select(func.coalesce(func.max(col(Change.seq)), 0))


def latest_seq(session: Session) -> int:
    """The knowledge base's version: the last change-log sequence number committed."""
    return int(session.execute(LATEST_SEQ).scalar_one())


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
