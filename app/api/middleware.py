"""A pure ASGI middleware (no per-request task or body buffering, unlike BaseHTTPMiddleware)
that gives every request an id, answers HEAD wherever GET is answered (RFC 9110 9.3.2: same
status and headers, no body), and refuses NUL bytes in the URL before any handler sees them
(PostgreSQL cannot store NUL in text, and no id or filter legitimately contains one)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import PROBLEM_MEDIA_TYPE, problem_body


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
        await send_problem(
            send,
            status=422,
            slug="validation-error",
            detail="The request URL contains a NUL character (%00), which no parameter accepts.",
            instance=scope["path"].replace("\x00", "\\u0000"),
            request_id=rid,
            errors=[{"loc": ["url"], "msg": "NUL character", "type": "nul_character"}],
        )


async def send_problem(
    send: Send,
    *,
    status: int,
    slug: str,
    detail: str,
    instance: str,
    request_id: str,
    errors: list[dict[str, Any]] | None = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer with a problem+json body from ASGI middleware (outside FastAPI's handlers)."""
    body = problem_body(
        status, detail, slug=slug, instance=instance, request_id=request_id, errors=errors
    )
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413, whether or not Content-Length is
    sent: a declared length over the limit is refused before reading anything, and a chunked
    body is counted as it arrives and refused as soon as it passes the limit. An accepted
    body (at most `max_bytes`, 256 KiB by default) is buffered and replayed to the app."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: nothing to answer.
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await send_problem(
            send,
            status=413,
            slug="payload-too-large",
            detail=f"The request body is larger than the limit of {self.max_bytes} bytes.",
            instance=scope["path"],
            request_id=scope.get("state", {}).get("request_id", ""),
            headers=[(b"connection", b"close")],
        )
