"""A Redis killed and started again (its append-only file kept): the gateway's clients carry on
with what it had, each dead pooled connection replaced rather than failing a customer once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handover.ratelimit import RateLimiter
from handover.state import Owner, make_store
from tests.redis_server import RedisServer


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


async def test_the_state_store_carries_on_after_a_redis_restart(own_redis: RedisServer) -> None:
    store = make_store(own_redis.url, namespace="restart")
    try:
        # Several pooled connections, as under load: all of them die with the server.
        for n in range(5):
            assert await store.enqueue(f"c-{n}", skill="general", vulnerable=False, now=time.time())
        own_redis.kill()
        own_redis.start()
        for n in range(5):
            assert (await store.get(f"c-{n}")).state == Owner.QUEUED
        assert [o.conversation_id for o in await store.queue()] == [f"c-{n}" for n in range(5)]
    finally:
        await store.aclose()


async def test_the_rate_limits_carry_on_after_a_redis_restart(own_redis: RedisServer) -> None:
    limiter = RateLimiter(own_redis.url, namespace="restart")
    assert (await limiter.hit("2/minute", "customer", "c-1")).allowed
    own_redis.kill()
    own_redis.start()
    assert (await limiter.hit("2/minute", "customer", "c-1")).allowed
    refused = await limiter.hit("2/minute", "customer", "c-1")
    assert not refused.allowed and refused.retry_after_seconds >= 1
