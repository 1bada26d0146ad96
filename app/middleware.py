"""A pure ASGI middleware (no per-request task or body buffering, unlike BaseHTTPMiddleware)
that gives every request an id, answers HEAD wherever GET is answered (RFC 9110 9.3.2: same
status and headers, no body), and refuses NUL bytes in the URL before any handler sees them
(PostgreSQL cannot store NUL in text, and no id or filter legitimately contains one)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            rid = value.decode("latin-1")
            if 0 < len(rid) <= 64 and rid.isascii() and rid.isprintable():
                return rid
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _client_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        header = (b"x-request-id", rid.encode())

        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        query = scope.get("query_string", b"").lower()
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await self._refuse_nul(scope, rid, send_with_id)
            return
        await self.app(scope, receive, send_with_id)

    @staticmethod
    async def _refuse_nul(scope: Scope, rid: str, send: Send) -> None:
        body: dict[str, Any] = {
            "type": TYPE_BASE + "validation-error",
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": "The request URL contains a NUL character (%00), which no parameter accepts.",
            "instance": scope["path"].replace("\x00", "\\u0000"),
            "request_id": rid,
            "errors": [{"loc": ["url"], "msg": "NUL character", "type": "nul_character"}],
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
