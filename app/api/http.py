"""Conditional GETs: strong ETags over the exact JSON body, If-None-Match answered with 304."""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from app.pagination import Page, T, set_link_header

ETAG_HEADERS = {
    "ETag": {
        "description": "Strong validator of this representation; send it back in "
        "If-None-Match to get 304 when nothing changed.",
        "schema": {"type": "string"},
    }
}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
    if header.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in header.split(","))
    return etag in candidates


def conditional_json(request: Request, model: BaseModel) -> Response:
    """Serialise `model`, tag it, and answer 304 if the client already holds this version."""
    body = model.model_dump_json().encode()
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    inm = request.headers.get("if-none-match")
    if inm is not None and _matches(inm, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


def page_response(
    request: Request, response: Response, items: list[T], next_cursor: str | None
) -> Page[T]:
    set_link_header(request, response, next_cursor)
    return Page(items=items, next_cursor=next_cursor)


def present(**values: Any) -> dict[str, Any]:
    """The query filters actually given, with enums as their plain values."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items() if v is not None}
