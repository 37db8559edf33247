"""Racing callers: exactly one wins, in one process and across several Redis clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from handover.state import Owner, Ownership, RedisStateStore, StateStore
from tests.handover.state.conftest import Connect

AGENTS = [f"agent-{n}" for n in range(20)]


async def warm(stores: list[StateStore]) -> None:
    """Open twenty connections before a race."""
    # Opening them during the race spreads its calls out, and then even a read-then-write
    # transition would seem to have a single winner.
    await asyncio.gather(*(stores[n % len(stores)].get("warm-up") for n in range(len(AGENTS))))


async def accept_race(stores: list[StateStore], cid: str) -> str:
    """Twenty agents accept one conversation at once; returns the winner."""
    await warm(stores)
    results = await asyncio.gather(
        *(
            stores[n % len(stores)].accept(cid, agent, capacity=3, now=50)
            for n, agent in enumerate(AGENTS)
        )
    )
    assert results.count(True) == 1
    return AGENTS[results.index(True)]


async def assert_won_by(store: StateStore, cid: str, winner: str) -> None:
    assert (await store.get(cid)).agent == winner
    assert await store.queue() == []
    for agent in AGENTS:
        mine = [r.conversation_id for r in await store.assigned_to(agent)]
        assert mine == ([cid] if agent == winner else [])


async def test_one_of_twenty_accepts_wins(store: StateStore) -> None:
    await store.enqueue("c", skill="billing", vulnerable=False, now=10)
    winner = await accept_race([store], "c")
    await assert_won_by(store, "c", winner)


async def test_one_of_twenty_enqueues_wins(store: StateStore) -> None:
    await warm([store])
    results = await asyncio.gather(
        *(store.enqueue("c", skill="billing", vulnerable=False, now=n) for n in range(20))
    )
    assert results.count(True) == 1
    assert [r.queued_at for r in await store.queue()] == [float(results.index(True))]


async def test_concurrent_accepts_never_exceed_capacity(store: StateStore) -> None:
    cids = [f"c{n}" for n in range(10)]
    for n, cid in enumerate(cids):
        await store.enqueue(cid, skill="orders", vulnerable=False, now=n)
    await warm([store])
    results = await asyncio.gather(
        *(store.accept(cid, "alice", capacity=3, now=20) for cid in cids)
    )
    assert results.count(True) == 3
    assert len(await store.assigned_to("alice")) == 3
    assert len(await store.queue()) == 7


async def test_close_racing_accepts_leaves_one_consistent_state(store: StateStore) -> None:
    await store.enqueue("c", skill="billing", vulnerable=False, now=10)
    await warm([store])
    accepts = [store.accept("c", agent, capacity=3, now=50) for agent in AGENTS[:5]]
    results = await asyncio.gather(store.close("c"), *accepts)
    assert results[0] is True  # close succeeds from any state
    assert results[1:].count(True) <= 1
    assert await store.get("c") == Ownership("c", Owner.CLOSED)
    for agent in AGENTS[:5]:
        assert await store.assigned_to(agent) == []


async def test_accepts_from_several_processes(
    redis_connect: Connect, namespaces: Callable[[], str]
) -> None:
    # Separate clients (own connection pools) on one namespace stand for separate gateways.
    namespace = namespaces()
    stores: list[StateStore] = [RedisStateStore(await redis_connect(), namespace) for _ in range(5)]
    for round_ in range(3):
        cid = f"c{round_}"
        assert await stores[0].enqueue(cid, skill="network", vulnerable=True, now=round_)
        winner = await accept_race(stores, cid)
        for store in stores:
            assert (await store.get(cid)).agent == winner


async def test_two_gateways_see_one_state(
    redis_connect: Connect, namespaces: Callable[[], str]
) -> None:
    namespace = namespaces()
    one = RedisStateStore(await redis_connect(), namespace)
    two = RedisStateStore(await redis_connect(), namespace)

    assert await one.enqueue("c", skill="orders", vulnerable=False, now=1)
    assert not await two.enqueue("c", skill="orders", vulnerable=False, now=2)
    assert await two.queue() == await one.queue()
    assert await two.position("c") == 1

    assert await two.accept("c", "bob", capacity=1, now=3)
    assert not await one.accept("c", "alice", capacity=1, now=4)
    assert await one.get("c") == await two.get("c")
    assert [r.conversation_id for r in await one.assigned_to("bob")] == ["c"]

    assert await one.requeue("c", now=5, at_head=True)
    assert (await two.get("c")).at_head
    assert await two.close("c")
    assert await one.get("c") == Ownership("c", Owner.CLOSED)
