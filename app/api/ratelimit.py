"""Rate limits on /v1: a pure ASGI middleware answering 429 problem+json with Retry-After.

Buckets. A request with `Authorization: Bearer <token>` is counted against `key:` plus the
token's SHA-256 (what app/auth.py stores, so this is exactly per API key, with no database
lookup, and the token itself is never kept or logged) under ELITEKB_RATE_LIMIT_KEY. Any other
request is counted against `ip:` plus the peer address under ELITEKB_RATE_LIMIT_ANONYMOUS.
Only paths under /v1/ are limited; probes and docs never are.

Bogus tokens. Random tokens would each get a fresh key bucket and dodge the per-address limit,
so a token answered 401 is also counted against its address's anonymous bucket (after the 401
has been sent, so it is not delayed). If that finds the bucket exhausted, this process
remembers the address until the bucket's next free slot, and meanwhile every request with a
token from it also tests (without counting) the address's bucket in the same storage call, and
gets 429 while it is full, before authentication or anything else runs. Addresses that merely
exhausted their anonymous quota are not marked, so keyed clients behind a busy NAT are not
refused for anonymous traffic they share an address with. Marks are per process (each worker
learns from its own 401s) and bounded in number; they are a hint, the counts are shared.

Strategy and cost: see app/api/ratelimit_windows.py (a moving window, counted in one storage
round trip per request).

Batches. A request that asks for N things of the cost of one request each (POST /v1/match
with N queries) is charged N: the middleware charges 1 on the way in, and the handler, once it
knows N, charges the rest through `charge_extra(request, N - 1)` on the same windows. If they
lack room, the handler answers 429 before doing the work (the 1 already charged stays spent).

Headers. Every limited response carries RateLimit-Limit, RateLimit-Remaining and
RateLimit-Reset (seconds until the oldest counted request leaves the window, freeing a slot)
of its most constrained limit; a 429 also carries Retry-After (whole seconds, at least 1).

Failing open. If the storage fails (Redis down, a timeout, an error), requests are served
unlimited rather than refused or answered 500: an outage of the counters must not take the API
down with it. A warning is logged at most once per 30 s, and after a failure the storage is
left alone for a few seconds, so an unreachable Redis does not add its connect timeout to
every request.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse_many
from limits.util import WindowStats
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.middleware import send_problem
from app.api.ratelimit_windows import Window, Windows, open_windows
from app.config import Settings
from app.problems import RateLimited

log = logging.getLogger("elitekb")

LIMITED_PREFIX = "/v1/"
WARN_EVERY_S = 30.0
RETRY_STORAGE_AFTER_S = 5.0
MAX_MARKED_ADDRESSES = 10_000


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def key_bucket(token: str) -> str:
    return "key:" + hashlib.sha256(token.encode()).hexdigest()


def address_bucket(scope: Scope) -> str:
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


def _seconds_until(moment: float, now: float) -> int:
    return max(0, math.ceil(moment - now))


def _headers(item: RateLimitItem, stats: WindowStats, now: float) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(item.amount).encode()),
        (b"ratelimit-remaining", str(max(0, stats.remaining)).encode()),
        (b"ratelimit-reset", str(_seconds_until(stats.reset_time, now)).encode()),
    ]


def _current(charged: Sequence[Window], stats: list[WindowStats]) -> list[tuple[bytes, bytes]]:
    """The RateLimit-* headers of the most constrained charged window."""
    if not charged:
        return []
    n = min(range(len(charged)), key=lambda k: (stats[k].remaining, -stats[k].reset_time))
    return _headers(charged[n][0], stats[n], time.time())


def _refusal(
    windows: Sequence[Window], charged: int, stats: list[WindowStats], whose: str, cost: int
) -> tuple[str, list[tuple[bytes, bytes]]]:
    """The detail and headers of a 429 for a request of `cost` the windows had no room for."""
    now = time.time()
    # The windows that refused: too full for the cost (a full tested window: a marked address).
    full = [
        (n, window)
        for n, window in enumerate(windows)
        if stats[n].remaining < (cost if n < charged else 1)
    ] or list(enumerate(windows))
    n, (item, _) = max(full, key=lambda entry: stats[entry[0]].reset_time)
    retry = max(1, _seconds_until(stats[n].reset_time, now))
    if n >= charged:
        whose = "client address"
    what = f"Rate limit of {item} exceeded for this {whose}"
    if cost > 1:
        # A batch was charged its first request on the way in: the room it found was one more.
        what = (
            f"This request counts as {cost} requests and the rate limit of {item} for this "
            f"{whose} had room for {max(0, stats[n].remaining) + 1}"
        )
    headers = [*_headers(item, stats[n], now), (b"retry-after", str(retry).encode())]
    return f"{what}; retry in {retry} s.", headers


# Where a limited request's Batch lives in the ASGI scope's state (request.state).
STATE_KEY = "rate_limit_batch"


class Batch:
    """What a handler needs to charge a request for more than one request's worth of work."""

    def __init__(
        self,
        limiter: RateLimitMiddleware,
        charged: Sequence[Window],
        whose: str,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        self.limiter, self.charged, self.whose, self.headers = limiter, charged, whose, headers

    async def charge(self, cost: int) -> None:
        """Charge `cost` more requests to the windows this request was charged to, or raise
        RateLimited (429) if they lack room. The response then reports the windows after it."""
        outcome = await self.limiter._acquire(self.charged, [], cost)
        if outcome is None:
            return
        admitted, stats = outcome
        if not admitted:
            detail, headers = _refusal(self.charged, len(self.charged), stats, self.whose, cost + 1)
            self.headers[:] = []  # the 429 carries its own
            raise RateLimited(
                detail, headers={name.decode(): value.decode() for name, value in headers}
            )
        self.headers[:] = _current(self.charged, stats)


async def charge_extra(request: Request, cost: int) -> None:
    """Count this request as `cost` more against the rate limit it was admitted under (a batch
    of 1 + cost requests); 429 if there is no room. Nothing happens when limits are off."""
    batch: Batch | None = getattr(request.state, STATE_KEY, None)
    if batch is not None and cost > 0:
        await batch.charge(cost)


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.anonymous = (
            parse_many(settings.rate_limit_anonymous) if settings.rate_limit_anonymous else []
        )
        self.keyed = parse_many(settings.rate_limit_key) if settings.rate_limit_key else []
        self.storage_url = settings.rate_limit_storage
        self.prefix = settings.rate_limit_prefix
        # Fail at start-up on a bad URL rather than open on every request.
        self.windows: Windows | None = open_windows(self.storage_url, self.prefix)
        self.skip_storage_until = 0.0
        self.next_warning = 0.0
        # Addresses whose anonymous bucket a 401 found full, until its next free slot (epoch s).
        self.marked: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing_on_shutdown(send))
            return
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIX):
            await self.app(scope, receive, send)
            return

        token = bearer_token(scope)
        address = address_bucket(scope)
        if token is None:
            charged, tested, whose = [(i, address) for i in self.anonymous], [], "client address"
        else:
            charged = [(i, key_bucket(token)) for i in self.keyed]
            tested = [(i, address) for i in self.anonymous] if self._is_marked(address) else []
            whose = "API key"
        if not charged and not tested:
            await self._serve(scope, receive, send, token, address, [])
            return

        outcome = await self._acquire(charged, tested)
        if outcome is None:
            await self._serve(scope, receive, send, token, address, [])
            return
        admitted, stats = outcome
        if not admitted:
            detail, refusal = _refusal([*charged, *tested], len(charged), stats, whose, 1)
            await send_problem(
                send,
                status=429,
                slug="rate-limited",
                detail=detail,
                instance=scope["path"],
                request_id=scope.get("state", {}).get("request_id", ""),
                headers=refusal,
            )
            return
        headers = _current(charged, stats)
        if charged:
            scope.setdefault("state", {})[STATE_KEY] = Batch(self, charged, whose, headers)
        await self._serve(scope, receive, send, token, address, headers)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        token: str | None,
        address: str,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if headers:
                    message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
        if status == 401 and token is not None and self.anonymous:
            await self._count_failed_auth(address)

    async def _count_failed_auth(self, address: str) -> None:
        outcome = await self._acquire([(i, address) for i in self.anonymous], [])
        if outcome is None or outcome[0]:
            return
        if len(self.marked) >= MAX_MARKED_ADDRESSES:
            now = time.time()
            self.marked = {a: until for a, until in self.marked.items() if until > now}
            if len(self.marked) >= MAX_MARKED_ADDRESSES:
                # Marks only decide whether to test; losing them lets a few 401s more through.
                self.marked.clear()
        self.marked[address] = max(stats.reset_time for stats in outcome[1])

    def _is_marked(self, address: str) -> bool:
        until = self.marked.get(address)
        if until is None:
            return False
        if until > time.time():
            return True
        del self.marked[address]
        return False

    async def _acquire(
        self, charged: Sequence[Window], tested: Sequence[Window], cost: int = 1
    ) -> tuple[bool, list[WindowStats]] | None:
        if time.monotonic() < self.skip_storage_until:
            return None
        if self.windows is None:
            self.windows = open_windows(self.storage_url, self.prefix)
        try:
            return await self.windows.acquire(charged, tested, cost)
        except Exception as exc:
            # Whatever the storage raises (refused connections, timeouts, a Redis out of
            # memory), the limits are what gives way, not the request.
            self._storage_failed(exc)
            return None

    def _storage_failed(self, exc: Exception) -> None:
        now = time.monotonic()
        self.skip_storage_until = now + RETRY_STORAGE_AFTER_S
        if now >= self.next_warning:
            self.next_warning = now + WARN_EVERY_S
            log.warning(
                "rate limits are not enforced: the rate-limit storage failed (%s: %s); "
                "serving requests unlimited, trying it again in %.0f s",
                type(exc).__name__,
                exc,
                RETRY_STORAGE_AFTER_S,
            )

    def _closing_on_shutdown(self, send: Send) -> Send:
        async def send_closing(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                windows, self.windows = self.windows, None
                if windows is not None:
                    await windows.aclose()
            await send(message)

        return send_closing
