"""The real Redis the rate-limit tests share counters through, under a key prefix per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator

import coredis
import pytest

REDIS_URL = os.environ.get("ELITEKB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("ELITEKB_REQUIRE_REDIS", "") == "1"


def redis_problem() -> str | None:
    """Why Redis at REDIS_URL cannot be used, or None if it answers."""

    async def ping() -> None:
        client = coredis.Redis.from_url(REDIS_URL, connect_timeout=2, stream_timeout=2)
        try:
            await client.ping()
        finally:
            client.connection_pool.disconnect()

    try:
        asyncio.run(ping())
    except (coredis.exceptions.RedisError, OSError) as exc:
        return f"Redis at {REDIS_URL} is unreachable: {type(exc).__name__}: {exc}"
    return None


def delete_keys(prefix: str) -> None:
    async def delete() -> None:
        client = coredis.Redis.from_url(REDIS_URL)
        try:
            keys = await client.keys(f"{prefix}:*")
            if keys:
                await client.delete(keys)
        finally:
            client.connection_pool.disconnect()

    asyncio.run(delete())


@contextlib.contextmanager
def redis_key_prefix() -> Iterator[str]:
    """A key prefix of the caller's own on the real Redis, its keys deleted afterwards; skips
    without Redis (fails with ELITEKB_REQUIRE_REDIS=1)."""
    problem = redis_problem()
    if problem is not None:
        if REQUIRE_REDIS:
            pytest.fail(f"ELITEKB_REQUIRE_REDIS=1 but {problem}")
        pytest.skip(problem)
    prefix = f"elitekb-test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        delete_keys(prefix)
