"""Counting requests for the rate limits: moving windows in memory (one process) or in Redis
(shared by every process), behind one small interface the middleware (app/api/ratelimit.py)
uses.

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
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol, cast

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.util import WindowStats

# Redis on the same network answers in well under a millisecond; waiting longer than this
# for a counter would cost clients more than an unenforced limit does.
STORAGE_TIMEOUT_S = 0.5

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
        # Imported here: the Redis client costs ~0.2 s of start-up, for processes that use it.
        import coredis
        from coredis.retry import ConstantRetryPolicy

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
