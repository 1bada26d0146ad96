"""Opaque keyset cursors and the RFC 8288 Link header for list endpoints.

A cursor holds the sort key of the last row served plus a fingerprint of the filters it was
issued for, signed with an HMAC so that an edited or truncated cursor is refused with 400
instead of silently paging through something else.

The signing key is ELITEKB_CURSOR_SECRET when that is set, else a random key the database
keeps (`instance_secret`, made by its migration), so every process serving one database
shares it and nobody can sign a cursor by reading this source. Even so, a decoded cursor is
checked value by value against the column it will be compared with (type, range, length,
valid text) before it reaches SQL: a key leaks, and a database must never see a value its
column cannot hold (an overflowing integer or a lone surrogate is a 500, not a 400).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, ColumnElement, Integer, Select, String, Text, and_, or_, select
from sqlmodel import Session, col

from app.db import settings_of
from app.models.secret import CURSOR_SECRET, InstanceSecret
from app.problems import InvalidCursor

# Session.info entry holding a dict shared by the sessions of one app (app/api/deps.py): the
# signing key once known, so it is read from the database once per process.
CURSOR_KEY_CACHE = "elitekb.cursor_key"

T = TypeVar("T")

LimitQuery = Query(None, ge=1, le=500, description="Page size, 1..500 (default 50).")
CursorQuery = Query(
    None,
    max_length=1000,
    description="Opaque cursor from a previous page's `next_cursor`; omit for the first page.",
)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True)
class KeyRule:
    """What one value of a cursor's key may be: an integer within a range, or valid text of at
    most `max_length` code points (no NUL, which PostgreSQL's text cannot hold, and no lone
    surrogates, which no database can encode)."""

    kind: type
    low: int = 0
    high: int = 0
    max_length: int | None = None

    def accepts(self, value: Any) -> bool:
        if self.kind is int:
            return type(value) is int and self.low <= value <= self.high
        if type(value) is not str or "\x00" in value:
            return False
        if self.max_length is not None and len(value) > self.max_length:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True


INT32 = KeyRule(int, -(2**31), 2**31 - 1)
INT64 = KeyRule(int, -(2**63), 2**63 - 1)


def text_rule(max_length: int | None) -> KeyRule:
    return KeyRule(str, max_length=max_length)


def rule_of(column: Any) -> KeyRule:
    """The rule for values compared with `column`, from its SQL type. PostgreSQL's `integer` is
    32 bits; `bigint` (and every SQLite integer) 64."""
    kind = column.type
    if isinstance(kind, BigInteger):
        return INT64
    if isinstance(kind, Integer):
        return INT32
    if isinstance(kind, String | Text):
        return text_rule(kind.length)
    raise TypeError(f"no cursor rule for column {column} of type {kind!r}")


@dataclass(frozen=True)
class Keyset:
    """How one list is ordered: a name (so cursors of one list are refused by another), the
    ORDER BY columns, how to read their values off a row, and what each value may be (from
    the columns' types unless given, as for a list ordered in Python)."""

    scope: str
    order: tuple[Any, ...]
    key_of: Callable[[Any], tuple[Any, ...]]
    rules: tuple[KeyRule, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.rules:
            object.__setattr__(self, "rules", tuple(rule_of(c) for c in self.order))


@dataclass(frozen=True)
class Filters:
    """The typed filters of one list request. Each list subclasses this with its own fields,
    named as its query parameters, so a mistyped filter is a type error, not a silent no-op.
    A cursor is bound to the filters it was issued for by a fingerprint of `given()`."""

    def given(self) -> dict[str, Any]:
        """The filters given (those not at their default), enum members as their values."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = value.value if isinstance(value, Enum) else value
        return out


def _fingerprint(scope: str, filters: Filters) -> str:
    canonical = json.dumps(
        [scope, filters.given()], sort_keys=True, default=str, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


_STORED_KEY = select(col(InstanceSecret.value)).where(col(InstanceSecret.name) == CURSOR_SECRET)


def cursor_key(session: Session) -> bytes:
    """The key cursors are signed with: the app's (configured or already read), else the one
    this database keeps."""
    cache: dict[str, bytes] | None = session.info.get(CURSOR_KEY_CACHE)
    if cache is not None and "key" in cache:
        return cache["key"]
    configured = settings_of(session).cursor_secret if cache is None else None
    if configured:
        return configured.encode()
    stored = session.execute(_STORED_KEY).scalar_one_or_none()
    if stored is None:
        raise RuntimeError(
            "The database has no cursor secret: it is not at the head migration "
            "(run `elitekb db upgrade`)."
        )
    key = stored.encode()
    if cache is not None:
        cache["key"] = key
    return key


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:12]


def encode_cursor(session: Session, keyset: Keyset, key: Sequence[Any], filters: Filters) -> str:
    payload = {"k": list(key), "f": _fingerprint(keyset.scope, filters)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(_sign(cursor_key(session), raw) + raw).decode().rstrip("=")


_NOT_OURS = "The cursor is not valid: it is not one this API issued for this list."


def decode_cursor(session: Session, cursor: str, keyset: Keyset, filters: Filters) -> list[Any]:
    """Return the keyset values of a cursor, or raise InvalidCursor (400)."""
    try:
        blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(_NOT_OURS) from exc
    sig, raw = blob[:12], blob[12:]
    if len(sig) != 12 or not hmac.compare_digest(sig, _sign(cursor_key(session), raw)):
        raise InvalidCursor(_NOT_OURS)
    # A leaked key would let anyone sign anything: check every value as if it were unsigned.
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InvalidCursor(_NOT_OURS) from exc
    if not isinstance(data, dict):
        raise InvalidCursor(_NOT_OURS)
    if data.get("f") != _fingerprint(keyset.scope, filters):
        raise InvalidCursor(
            "The cursor was issued for another list or other filters; repeat the request with "
            "the same filters, or drop the cursor to start again."
        )
    key = data.get("k")
    rules = keyset.rules
    if (
        not isinstance(key, list)
        or len(key) != len(rules)
        or not all(rule.accepts(v) for v, rule in zip(key, rules, strict=True))
    ):
        raise InvalidCursor(_NOT_OURS)
    return key


def after(columns: Sequence[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in ascending (columns...) order, as plain boolean logic
    (row-value comparison is not indexed as well on every backend)."""
    clauses = []
    for i, column in enumerate(columns):
        equal_prefix = [columns[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal_prefix, column > values[i]))
    if len(columns) == 1:
        return clauses[0]
    # Implied by the disjunction, but a bound on the leading column is what lets both planners
    # start the index range at the cursor instead of at the first row of the filter.
    return and_(columns[0] >= values[0], or_(*clauses))


@dataclass(frozen=True)
class Pager:
    """A keyset-paginated query: run `stmt`, then hand its rows to `page`."""

    session: Session
    stmt: Select[Any]
    keyset: Keyset
    size: int
    filters: Filters

    def page(self, rows: list[Any]) -> tuple[list[Any], str | None]:
        if len(rows) > self.size:
            rows = rows[: self.size]
            last = self.keyset.key_of(rows[-1])
            return rows, encode_cursor(self.session, self.keyset, last, self.filters)
        return rows, None


def paginate(
    session: Session,
    stmt: Select[Any],
    keyset: Keyset,
    *,
    cursor: str | None,
    limit: int | None,
    filters: Filters,
) -> Pager:
    """Apply keyset ordering, the cursor and limit+1 (to detect a next page) to a query."""
    size = limit or settings_of(session).page_size_default
    if cursor:
        stmt = stmt.where(after(keyset.order, decode_cursor(session, cursor, keyset, filters)))
    return Pager(session, stmt.order_by(*keyset.order).limit(size + 1), keyset, size, filters)


def set_link_header(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is None:
        return
    url = request.url.include_query_params(cursor=next_cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
