"""Fixtures for the state stores: every store test runs on memory and on the real Redis.

Each Redis store gets a namespace of its own (`test-state-<uuid>`) whose keys are deleted after
the test, so runs never collide with each other or with other users of the server. When Redis
is down the Redis tests fail (CI always provides it); they are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from handover.state import MemoryStateStore, RedisStateStore, StateStore

# Not REDIS_URL: a developer's shell may point that at a server the tests must not touch.
REDIS_URL = os.environ.get("HANDOVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Once Redis is found down, later tests fail at once instead of waiting for their own timeout.
_down: list[str] = []

Connect = Callable[[], Awaitable[aioredis.Redis]]
StoreFactory = Callable[[], Awaitable[StateStore]]


@pytest.fixture
async def redis_connect() -> AsyncIterator[Connect]:
    """Opens clients to the test Redis, each its own connection pool (like separate gateways)."""
    clients: list[aioredis.Redis] = []

    async def connect() -> aioredis.Redis:
        if _down:
            pytest.fail(_down[0], pytrace=False)
        client = aioredis.Redis.from_url(
            REDIS_URL, decode_responses=True, socket_timeout=5, socket_connect_timeout=2
        )
        clients.append(client)
        try:
            await client.ping()
        except (RedisError, OSError) as error:  # refused, timed out, or not Redis at all
            _down.append(
                f"No Redis answers at {REDIS_URL} ({error}). The state store tests need a "
                "real Redis: start one with `bash .ci/services.sh` or set HANDOVER_TEST_REDIS_URL."
            )
        if _down:  # failing outside the except block keeps the report to the message
            pytest.fail(_down[0], pytrace=False)
        return client

    yield connect
    for client in clients:
        await client.close(close_connection_pool=True)


@pytest.fixture
async def namespaces(redis_connect: Connect) -> AsyncIterator[Callable[[], str]]:
    """Makes fresh namespaces and deletes their keys after the test."""
    made: list[str] = []

    def new() -> str:
        made.append(f"test-state-{uuid.uuid4().hex}")
        return made[-1]

    yield new
    if not made:
        return
    client = await redis_connect()
    for namespace in made:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=500)]
        if keys:
            await client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def store_factory(
    request: pytest.FixtureRequest, redis_connect: Connect, namespaces: Callable[[], str]
) -> StoreFactory:
    """Makes empty stores of one kind; each Redis store has its own client and namespace."""

    async def make() -> StateStore:
        if request.param == "memory":
            return MemoryStateStore()
        return RedisStateStore(await redis_connect(), namespaces())

    return make


@pytest.fixture
async def store(store_factory: StoreFactory) -> StateStore:
    return await store_factory()
