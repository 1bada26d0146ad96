"""One limit across real worker processes: `elitekb serve --workers 2` counting in Redis.

Each request goes over a new connection, so the kernel hands them to both workers; with
per-process counters each worker would admit its own 20. Like tests/e2e/test_e2e.py this starts a
real server; it runs on PostgreSQL, the database several processes serve in production.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.support.redis import REDIS_URL, redis_key_prefix
from tests.support.server import running_server

pytestmark = pytest.mark.slow

LIMIT = 20
REQUESTS = 60


@pytest.fixture
def shared_prefix() -> Iterator[str]:
    with redis_key_prefix() as prefix:
        yield prefix


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_workers_share_one_limit(db_url: str, shared_prefix: str) -> None:
    env = {
        "ELITEKB_RATE_LIMIT_STORAGE": REDIS_URL,
        "ELITEKB_RATE_LIMIT_PREFIX": shared_prefix,
        "ELITEKB_RATE_LIMIT_ANONYMOUS": f"{LIMIT}/minute",
    }
    with running_server(db_url, env=env, args=("--workers", "2")) as base_url:
        statuses: Counter[int] = Counter()
        for _ in range(REQUESTS):
            with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False) as client:
                statuses[client.get("/v1/persons").status_code] += 1

    assert statuses == {200: LIMIT, 429: REQUESTS - LIMIT}
