"""Rate limits (app/api/ratelimit.py) through the whole app: buckets, 429 bodies and headers, the
401 accounting, limits shared through a real Redis by two app instances, and failing open.

Every Redis test works under its own key prefix (ELITEKB_RATE_LIMIT_PREFIX), so tests never
count each other's requests, and deletes its keys afterwards. Without Redis those tests are
skipped, or fail with ELITEKB_REQUIRE_REDIS=1 (as .ci/run sets).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator

import coredis
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from limits import parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.util import WindowStats
from sqlalchemy import Engine

from app.api.ratelimit import RateLimitMiddleware, bearer_token, key_bucket
from app.auth import hash_secret
from app.main import create_app
from app.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE
from tests.support.clients import Keys, app_settings
from tests.support.redis import REDIS_URL, redis_key_prefix
from tests.support.server import free_port

PERSONS = "/v1/persons"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    with redis_key_prefix() as prefix:
        yield prefix


def limited(engine: Engine, **overrides: object) -> TestClient:
    return TestClient(create_app(engine, app_settings(**overrides)), raise_server_exceptions=False)


def quota(response: Response) -> tuple[str, str, int]:
    """RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (checked to be 1..60 s)."""
    reset = int(response.headers["ratelimit-reset"])
    assert 1 <= reset <= 60, reset
    return response.headers["ratelimit-limit"], response.headers["ratelimit-remaining"], reset


def assert_rate_limited(response: Response, limit: str, whose: str) -> int:
    """A complete 429 answer; returns its Retry-After."""
    assert response.status_code == 429
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    retry = response.headers["retry-after"]
    assert re.fullmatch(r"[0-9]+", retry), retry
    assert 1 <= int(retry) <= 60
    assert response.json() == {
        "type": TYPE_BASE + "rate-limited",
        "title": "Too Many Requests",
        "status": 429,
        "detail": f"Rate limit of {limit} exceeded for this {whose}; retry in {retry} s.",
        "instance": PERSONS,
        "request_id": response.headers["x-request-id"],
    }
    assert response.headers["ratelimit-remaining"] == "0"
    return int(retry)


def test_anonymous_limit_then_429(engine: Engine) -> None:
    with limited(engine, rate_limit_anonymous="5/minute") as client:
        ok = [client.get(PERSONS) for _ in range(5)]
        refused = client.get(PERSONS)
        probes = [client.get(path) for path in ("/livez", "/readyz") * 5]

    assert [r.status_code for r in ok] == [200] * 5
    assert [quota(r)[:2] for r in ok] == [("5", str(n)) for n in (4, 3, 2, 1, 0)]
    assert_rate_limited(refused, "5 per 1 minute", "client address")
    assert quota(refused)[:2] == ("5", "0")
    # Probes are never limited and say nothing about quotas.
    assert [r.status_code for r in probes] == [200] * 10
    assert [name for r in probes for name in r.headers if name.startswith("ratelimit")] == []


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_every_limit_of_a_list_applies(
    engine: Engine, storage: str, request: pytest.FixtureRequest
) -> None:
    settings: dict[str, object] = {"rate_limit_anonymous": "2/minute;4/hour"}
    if storage == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        settings |= {"rate_limit_storage": REDIS_URL, "rate_limit_prefix": prefix}
    with limited(engine, **settings) as client:
        responses = [client.get(PERSONS) for _ in range(4)]

    assert [r.status_code for r in responses] == [200, 200, 429, 429]
    # Successes report the limit closest to running out.
    assert [quota(r)[:2] for r in responses[:2]] == [("2", "1"), ("2", "0")]
    assert_rate_limited(responses[2], "2 per 1 minute", "client address")
    if storage == "redis":
        # A request refused by one limit uses up nothing of the others.
        hour = asyncio.run(_limits_view(prefix, "4/hour", clear=False))[0]
        assert hour.remaining == 2


def match_body(n: int) -> dict[str, object]:
    return {"queries": {f"q{i}": {"name": "Sergei Sobyanin"} for i in range(n)}}


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_a_match_request_counts_once_per_query(
    engine: Engine, keys: Keys, storage: str, request: pytest.FixtureRequest
) -> None:
    """POST /v1/match with N queries is N searches' work, and is charged as N requests."""
    settings: dict[str, object] = {
        "rate_limit_anonymous": "100/minute",
        "rate_limit_key": "60/minute",
    }
    if storage == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        settings |= {"rate_limit_storage": REDIS_URL, "rate_limit_prefix": prefix}
    with limited(engine, **settings) as client:
        fifty = client.post("/v1/match", json=match_body(50))
        one = client.post("/v1/match", json=match_body(1))
        after = client.get(PERSONS)
        # 52 spent of 100: a batch of 49 does not fit, and spends only its own request.
        too_many = client.post("/v1/match", json=match_body(49))
        then = client.get(PERSONS)
        keyed = client.post("/v1/match", json=match_body(50), headers=keys["alice"])
        keyed_over = client.post("/v1/match", json=match_body(11), headers=keys["alice"])
        keyed_fits = client.post("/v1/match", json=match_body(9), headers=keys["alice"])
        # A request refused for its body is charged one request, not its queries.
        invalid = client.post("/v1/match", json={"queries": {"": {"name": "x"}}})
        last = client.get(PERSONS)

    assert [r.status_code for r in (fifty, one, after)] == [200, 200, 200]
    assert len(fifty.json()["responses"]) == 50
    assert [quota(r)[:2] for r in (fifty, one, after)] == [
        ("100", "50"),
        ("100", "49"),
        ("100", "48"),
    ]
    assert too_many.status_code == 429
    assert too_many.headers["content-type"] == PROBLEM_MEDIA_TYPE
    retry = int(too_many.headers["retry-after"])
    assert 1 <= retry <= 60
    assert too_many.json()["detail"] == (
        "This request counts as 49 requests and the rate limit of 100 per 1 minute for this "
        f"client address had room for 48; retry in {retry} s."
    )
    assert quota(too_many)[:2] == ("100", "47")
    assert [name for name in too_many.headers if name.startswith("ratelimit-")] == [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ]
    assert quota(then)[:2] == ("100", "46")
    assert keyed.status_code == 200 and quota(keyed)[:2] == ("60", "10")
    assert keyed_over.status_code == 429
    assert keyed_over.json()["detail"].startswith(
        "This request counts as 11 requests and the rate limit of 60 per 1 minute for this "
        "API key had room for 10; retry in "
    )
    assert keyed_fits.status_code == 200 and quota(keyed_fits)[:2] == ("60", "0")
    assert invalid.status_code == 422 and quota(invalid)[:2] == ("100", "45")
    assert quota(last)[:2] == ("100", "44")


def test_api_keys_have_their_own_buckets(engine: Engine, keys: Keys) -> None:
    with limited(engine, rate_limit_anonymous="2/minute", rate_limit_key="3/minute") as client:
        anonymous = [client.get(PERSONS) for _ in range(3)]
        alice = [client.get(PERSONS, headers=keys["alice"]) for _ in range(4)]
        bob = client.get(PERSONS, headers=keys["bob"])

    assert [r.status_code for r in anonymous] == [200, 200, 429]
    # The address's anonymous quota is spent, yet keys sent from it are counted per key.
    assert [r.status_code for r in alice] == [200, 200, 200, 429]
    assert [quota(r)[:2] for r in alice[:3]] == [("3", "2"), ("3", "1"), ("3", "0")]
    assert_rate_limited(alice[3], "3 per 1 minute", "API key")
    assert bob.status_code == 200
    assert quota(bob)[:2] == ("3", "2")


def test_failed_authentication_counts_against_the_address(engine: Engine, keys: Keys) -> None:
    def bogus(n: int) -> dict[str, str]:
        return {"Authorization": f"Bearer ekb_not-a-key-{n}"}

    with limited(engine, rate_limit_anonymous="3/minute", rate_limit_key="100/minute") as client:
        first = [client.get(PERSONS, headers=bogus(n)) for n in range(3)]
        anonymous = client.get(PERSONS)
        fourth = client.get(PERSONS, headers=bogus(3))
        fifth = client.get(PERSONS, headers=bogus(4))
        valid = client.get(PERSONS, headers=keys["alice"])

    # Each bogus token has a fresh key bucket, but its 401 also uses up the address's quota.
    assert [r.status_code for r in first] == [401, 401, 401]
    assert_rate_limited(anonymous, "3 per 1 minute", "client address")
    # The 4th 401 finds the address's bucket full and marks the address: from then on a
    # request with any token from it is refused before authentication while the bucket is full.
    assert fourth.status_code == 401
    assert_rate_limited(fifth, "3 per 1 minute", "client address")
    assert_rate_limited(valid, "3 per 1 minute", "client address")


def test_middleware_is_left_out_when_both_limits_are_empty(engine: Engine) -> None:
    off = create_app(engine, app_settings())
    on = create_app(engine, app_settings(rate_limit_key="10/minute"))

    assert RateLimitMiddleware not in [m.cls for m in off.user_middleware]
    assert RateLimitMiddleware in [m.cls for m in on.user_middleware]


def test_every_v1_operation_documents_429(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    undocumented = [
        (method, path)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        if path.startswith("/v1/")
        and operation["responses"].get("429", {}).get("content") != problem
    ]

    assert undocumented == []
    assert "429" not in doc["paths"]["/livez"]["get"]["responses"]


def test_bearer_buckets_are_the_stored_key_hashes() -> None:
    def scope(authorization: bytes) -> dict[str, object]:
        return {"headers": [(b"authorization", authorization)]}

    secret = "ekb_" + "x" * 43
    assert key_bucket(secret) == "key:" + hash_secret(secret)
    assert bearer_token(scope(b"Bearer " + secret.encode())) == secret
    assert bearer_token(scope(b"bearer  " + secret.encode() + b" ")) == secret
    assert bearer_token(scope(b"Basic dXNlcjpwYXNz")) is None
    assert bearer_token(scope(b"Bearer ")) is None
    assert bearer_token({"headers": []}) is None


def test_two_app_instances_share_one_limit_through_redis(engine: Engine, redis_prefix: str) -> None:
    settings = {
        "rate_limit_anonymous": "5/minute",
        "rate_limit_storage": REDIS_URL,
        "rate_limit_prefix": redis_prefix,
    }
    with limited(engine, **settings) as a, limited(engine, **settings) as b:
        on_a = [a.get(PERSONS) for _ in range(3)]
        on_b = [b.get(PERSONS) for _ in range(3)]
        stats, allowed = asyncio.run(_limits_view(redis_prefix, "5/minute", clear=True))
        after_clear = a.get(PERSONS)

    assert [r.status_code for r in on_a + on_b] == [200] * 5 + [429]
    assert [quota(r)[1] for r in on_a + on_b] == ["4", "3", "2", "1", "0", "0"]
    assert_rate_limited(on_b[2], "5 per 1 minute", "client address")
    # The counters are limits' own moving window: limits reads and clears them too.
    assert (stats.remaining, allowed) == (0, False)
    assert after_clear.status_code == 200
    assert quota(after_clear)[1] == "4"


async def _limits_view(prefix: str, limit: str, *, clear: bool) -> tuple[WindowStats, bool]:
    """What limits' own moving-window strategy reads from the app's keys in Redis."""
    pool = coredis.ConnectionPool.from_url(REDIS_URL)
    storage = RedisStorage("async+" + REDIS_URL, key_prefix=prefix, connection_pool=pool)
    limiter = MovingWindowRateLimiter(storage)
    item = parse(limit)
    try:
        stats = await limiter.get_window_stats(item, "ip:testclient")
        allowed = await limiter.test(item, "ip:testclient")
        if clear:
            await limiter.clear(item, "ip:testclient")
    finally:
        pool.disconnect()
    return stats, allowed


def test_unreachable_redis_fails_open(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, logger="elitekb")
    with limited(engine, rate_limit_anonymous="1/minute", rate_limit_storage=closed) as client:
        responses = [client.get(PERSONS) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [name for r in responses for name in r.headers if name.startswith("ratelimit")] == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "elitekb"]
    assert len(warnings) == 1
    assert warnings[0].startswith("rate limits are not enforced: the rate-limit storage failed")
