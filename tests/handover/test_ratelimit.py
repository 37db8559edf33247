"""Rate limits: in process and in a real Redis, shared by two limiters as by two gateways."""

import uuid

import pytest
import redis

from handover.ratelimit import RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_or_skip() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis unavailable: {error}")
    return REDIS_URL


async def test_refuses_past_the_limit_and_says_when_to_retry() -> None:
    limiter = RateLimiter()

    verdicts = [await limiter.hit("3/minute", "login", "ada") for _ in range(4)]

    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 1 <= verdicts[-1].retry_after_seconds <= 60
    assert (await limiter.hit("3/minute", "login", "bob")).allowed  # keys count apart


async def test_two_gateways_on_one_redis_count_together() -> None:
    url = redis_or_skip()
    namespace = f"test-{uuid.uuid4().hex}"
    first, second = RateLimiter(url, namespace=namespace), RateLimiter(url, namespace=namespace)

    assert (await first.hit("2/minute", "ip", "127.0.0.1")).allowed
    assert (await second.hit("2/minute", "ip", "127.0.0.1")).allowed
    assert not (await first.hit("2/minute", "ip", "127.0.0.1")).allowed
    assert (await RateLimiter(url, namespace="other-" + namespace).hit("2/minute", "x")).allowed


async def test_an_unreadable_rule_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        await RateLimiter().hit("often", "x")
