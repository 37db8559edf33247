"""What only the Redis store has: its key layout, namespaces, clients, and make_store."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis.asyncio as aioredis

from handover.state import MemoryStateStore, RedisStateStore, make_store
from tests.handover.state.conftest import REDIS_URL, Connect


async def keys_of(client: aioredis.Redis, namespace: str) -> set[str]:
    return {key async for key in client.scan_iter(match=f"{namespace}:*")}


async def test_key_layout(redis_connect: Connect, namespaces: Callable[[], str]) -> None:
    client, ns = await redis_connect(), namespaces()
    store = RedisStateStore(client, ns)
    await store.enqueue("c1", skill="billing", vulnerable=True, now=10.5)
    await store.enqueue("c2", skill="orders", vulnerable=False, now=11)
    await store.accept("c1", "alice", capacity=2, now=12)

    assert await keys_of(client, ns) == {
        f"{ns}:conv:c1",
        f"{ns}:conv:c2",
        f"{ns}:queue",
        f"{ns}:agent:alice",
    }
    assert await client.hgetall(f"{ns}:conv:c1") == {
        "state": "assigned",
        "agent": "alice",
        "skill": "billing",
        "vulnerable": "1",
        "at_head": "0",
        "queued_at": "10.5",
        "assigned_at": "12.0",
    }
    assert await client.zrange(f"{ns}:queue", 0, -1, withscores=True) == [("c2", 11.0)]
    assert await client.smembers(f"{ns}:agent:alice") == {"c1"}

    # Emptied sets vanish; bot and closed conversations keep only their state.
    await store.handback("c1", "alice")
    await store.close("c2")
    assert await keys_of(client, ns) == {f"{ns}:conv:c1", f"{ns}:conv:c2"}
    assert await client.hgetall(f"{ns}:conv:c1") == {"state": "bot"}
    assert await client.hgetall(f"{ns}:conv:c2") == {"state": "closed"}


async def test_namespaces_are_separate(
    redis_connect: Connect, namespaces: Callable[[], str]
) -> None:
    client = await redis_connect()
    one, two = RedisStateStore(client, namespaces()), RedisStateStore(client, namespaces())
    await one.enqueue("c", skill="orders", vulnerable=False, now=1)
    await one.accept("c", "alice", capacity=1, now=2)

    assert (await two.get("c")).state.value == "bot"
    assert await two.assigned_to("alice") == []
    assert await two.enqueue("c", skill="orders", vulnerable=False, now=3)
    assert await two.accept("c", "alice", capacity=1, now=4)  # alice's chat in `one` doesn't count
    assert (await one.get("c")).assigned_at == 2.0


@pytest.mark.parametrize("namespace", ["", "a:b", "has space", "x" * 65, "{tag}"])
def test_namespace_is_checked(namespace: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        RedisStateStore(aioredis.Redis(), namespace)


async def test_works_with_undecoded_replies(
    redis_connect: Connect, namespaces: Callable[[], str]
) -> None:
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=False)
    await redis_connect()  # fails the test with a clear message when Redis is down
    try:
        store = RedisStateStore(client, namespaces())
        await store.enqueue("c", skill="orders", vulnerable=True, now=1)
        assert (await store.queue())[0].skill == "orders"
        assert (await store.get("c")).vulnerable
    finally:
        await client.close(close_connection_pool=True)


async def test_make_store(redis_connect: Connect, namespaces: Callable[[], str]) -> None:
    assert isinstance(make_store(None), MemoryStateStore)
    assert isinstance(make_store(""), MemoryStateStore)

    await redis_connect()
    ns = namespaces()
    store = make_store(REDIS_URL, namespace=ns)
    assert isinstance(store, RedisStateStore)
    try:
        assert await store.enqueue("c", skill="orders", vulnerable=False, now=1)
        assert await RedisStateStore(await redis_connect(), ns).position("c") == 1
    finally:
        await store.aclose()
