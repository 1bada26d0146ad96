"""Opaque keyset cursors and the RFC 8288 Link header for list endpoints.

A cursor holds the sort key of the last row served plus a fingerprint of the filters it was
issued for, signed with an HMAC so that an edited or truncated cursor is refused with 400
instead of silently paging through something else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, or_

from app.config import get_settings
from app.problems import InvalidCursor

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
class Keyset:
    """How one list is ordered: a name (so cursors of one list are refused by another), the
    ORDER BY columns, the Python types of their values, and how to read them off a row."""

    scope: str
    order: tuple[Any, ...]
    key_types: tuple[type, ...]
    key_of: Callable[[Any], tuple[Any, ...]]


def _fingerprint(scope: str, filters: dict[str, Any]) -> str:
    canonical = json.dumps([scope, filters], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _sign(payload: bytes) -> bytes:
    key = get_settings().cursor_secret.encode()
    return hmac.new(key, payload, hashlib.sha256).digest()[:12]


def encode_cursor(keyset: Keyset, key: Sequence[Any], filters: dict[str, Any]) -> str:
    payload = {"k": list(key), "f": _fingerprint(keyset.scope, filters)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(_sign(raw) + raw).decode().rstrip("=")


_NOT_OURS = "The cursor is not valid: it is not one this API issued for this list."


def decode_cursor(cursor: str, keyset: Keyset, filters: dict[str, Any]) -> list[Any]:
    """Return the keyset values of a cursor, or raise InvalidCursor (400)."""
    try:
        blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(_NOT_OURS) from exc
    sig, raw = blob[:12], blob[12:]
    if len(sig) != 12 or not hmac.compare_digest(sig, _sign(raw)):
        raise InvalidCursor(_NOT_OURS)
    # The default signing key is public, so a signed cursor can still be malformed.
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
    types = keyset.key_types
    if (
        not isinstance(key, list)
        or len(key) != len(types)
        or not all(
            isinstance(v, t) and not isinstance(v, bool) for v, t in zip(key, types, strict=True)
        )
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
    return or_(*clauses)


@dataclass(frozen=True)
class Pager:
    """A keyset-paginated query: run `stmt`, then hand its rows to `page`."""

    stmt: Select[Any]
    keyset: Keyset
    size: int
    filters: dict[str, Any]

    def page(self, rows: list[Any]) -> tuple[list[Any], str | None]:
        if len(rows) > self.size:
            rows = rows[: self.size]
            return rows, encode_cursor(self.keyset, self.keyset.key_of(rows[-1]), self.filters)
        return rows, None


def paginate(
    stmt: Select[Any],
    keyset: Keyset,
    *,
    cursor: str | None,
    limit: int | None,
    filters: dict[str, Any],
) -> Pager:
    """Apply keyset ordering, the cursor and limit+1 (to detect a next page) to a query."""
    size = limit or get_settings().page_size_default
    if cursor:
        stmt = stmt.where(after(keyset.order, decode_cursor(cursor, keyset, filters)))
    return Pager(stmt.order_by(*keyset.order).limit(size + 1), keyset, size, filters)


def set_link_header(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is None:
        return
    url = request.url.include_query_params(cursor=next_cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
