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

Strategy. A moving window, the list of timestamps limits' MovingWindowRateLimiter keeps: at
most N requests in any T seconds, counted atomically in the shared storage, so several
processes never admit more than N between them, and no burst of 2N across a window boundary
as with a fixed window. It costs one list of at most N timestamps per active bucket, expiring
T seconds after the last request. The sliding window counter would keep two counters instead,
but it estimates the count (assuming the previous window's requests were evenly spread), so
neither "N per T" nor the RateLimit-Remaining it reports would be exact.

Cost: one storage round trip per request (a 401 to a request with a token adds one, after the
response has been sent). limits' strategies answer `hit` with a bare boolean, so every
RateLimit-* header would need a second call (`get_window_stats`). With Redis one Lua script
therefore tests every window, records the request and measures the windows in one EVALSHA,
on the same keys and in the same layout as limits' moving window (so limits' own
`get_window_stats`, `test` and `clear` read and reset them). In memory the strategy's calls
are used as they are: they do no I/O.

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
from typing import Protocol, cast

import coredis
from coredis.retry import ConstantRetryPolicy
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.util import WindowStats
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.middleware import send_problem
from app.config import Settings
from app.problems import RateLimited

log = logging.getLogger("elitekb")

LIMITED_PREFIX = "/v1/"
WARN_EVERY_S = 30.0
# Redis on the same network answers in well under a millisecond; waiting longer than this
# for a counter would cost clients more than an unenforced limit does.
STORAGE_TIMEOUT_S = 0.5
RETRY_STORAGE_AFTER_S = 5.0
MAX_MARKED_ADDRESSES = 10_000

# One limit as counted for one bucket: a moving window.
Window = tuple[RateLimitItem, str]

# KEYS: one moving window per limit, newest timestamp first, at most its limit long (limits'
# layout). The first ARGV[2] of them are charged ARGV[3] requests, the others only tested for
# room for one.
# ARGV: now, how many are charged, the cost, then each window's limit and length in seconds.
# Admits only if every window has room, so a request refused by one limit uses up no other.
# Returns: admitted (1/0), then per window the requests inside it and the oldest one's time.
MOVING_WINDOWS_LUA = """
local now = tonumber(ARGV[1])
local charged = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local admitted = 1
for i = 1, #KEYS do
    local limit, expiry = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
    local need = i <= charged and cost or 1
    if need > limit then
        admitted = 0
    else
        local entry = redis.call('LINDEX', KEYS[i], limit - need)
        if entry and tonumber(entry) >= now - expiry then
            admitted = 0
        end
    end
end
local result = {admitted}
for i = 1, #KEYS do
    local limit, expiry = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
    if admitted == 1 and i <= charged then
        for _ = 1, cost do
            redis.call('LPUSH', KEYS[i], ARGV[1])
        end
        redis.call('LTRIM', KEYS[i], 0, limit - 1)
        redis.call('EXPIRE', KEYS[i], expiry)
    end
    local low, high, last = 0, redis.call('LLEN', KEYS[i]) - 1, -1
    while low <= high do
        local mid = math.floor((low + high) / 2)
        if tonumber(redis.call('LINDEX', KEYS[i], mid)) >= now - expiry then
            last = mid
            low = mid + 1
        else
            high = mid - 1
        end
    end
    result[#result + 1] = last + 1
    result[#result + 1] = last >= 0 and redis.call('LINDEX', KEYS[i], last) or ARGV[1]
end
return result
"""


class Windows(Protocol):
    async def acquire(
        self, charged: Sequence[Window], tested: Sequence[Window], cost: int = 1
    ) -> tuple[bool, list[WindowStats]]:
        """Admit a request if every window has room, charging `charged` `cost` requests; the
        stats of all windows (charged first) as they stand afterwards."""

    async def aclose(self) -> None: ...


class MemoryWindows:
    """One process's counters (limits' in-memory storage)."""

    def __init__(self) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def acquire(
        self, charged: Sequence[Window], tested: Sequence[Window], cost: int = 1
    ) -> tuple[bool, list[WindowStats]]:
        windows = [*charged, *tested]
        admitted = True
        for n, (item, bucket) in enumerate(windows):
            need = cost if n < len(charged) else 1
            admitted = await self.limiter.test(item, bucket, cost=need) and admitted
        if admitted:
            for item, bucket in charged:
                admitted = await self.limiter.hit(item, bucket, cost=cost) and admitted
        return admitted, [await self.limiter.get_window_stats(i, b) for i, b in windows]

    async def aclose(self) -> None:
        return None


class RedisWindows:
    """Counters shared by every process using the same Redis and key prefix."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        self.client = coredis.Redis.from_url(
            url,
            decode_responses=True,
            connect_timeout=STORAGE_TIMEOUT_S,
            stream_timeout=STORAGE_TIMEOUT_S,
            # One immediate retry replaces a pooled connection Redis has closed (a restart, an
            # idle timeout); retrying timeouts would only double the wait.
            retry_policy=ConstantRetryPolicy((coredis.exceptions.ConnectionError,), 1, 0),
        )
        self.script = self.client.register_script(MOVING_WINDOWS_LUA)

    async def acquire(
        self, charged: Sequence[Window], tested: Sequence[Window], cost: int = 1
    ) -> tuple[bool, list[WindowStats]]:
        windows = [*charged, *tested]
        args: list[str | int] = [repr(time.time()), len(charged), cost]
        for item, _ in windows:
            args += [item.amount, item.get_expiry()]
        keys = [f"{self.prefix}:{item.key_for(bucket)}" for item, bucket in windows]
        reply = cast(list[int | str], await self.script(keys=tuple(keys), args=tuple(args)))
        stats = [
            WindowStats(
                float(reply[2 + 2 * n]) + item.get_expiry(), item.amount - int(reply[1 + 2 * n])
            )
            for n, (item, _) in enumerate(windows)
        ]
        return reply[0] == 1, stats

    async def aclose(self) -> None:
        self.client.connection_pool.disconnect()


def open_windows(storage: str, prefix: str) -> Windows:
    # limits names its async storages "async+..."; accept both spellings.
    url = storage.removeprefix("async+")
    if url.startswith("memory://"):
        return MemoryWindows()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisWindows(url, prefix)
    raise ValueError(
        "ELITEKB_RATE_LIMIT_STORAGE must be memory:// or a redis://, rediss:// or unix:// URL"
    )


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
