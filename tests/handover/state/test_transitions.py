"""Every transition from every state, and agents' capacity, on both stores."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import pytest

from handover.state import Owner, Ownership, StateStore

C = "conv-1"
Q, A = Owner.QUEUED, Owner.ASSIGNED

# The starting states, as the records the arrangement below leaves.
START = {
    "unknown": Ownership(C, Owner.BOT),
    "bot": Ownership(C, Owner.BOT),  # was queued once, then dequeued
    "queued": Ownership(C, Q, skill="billing", vulnerable=True, queued_at=10.0),
    "assigned": Ownership(
        C, A, agent="alice", skill="billing", vulnerable=True, queued_at=10.0, assigned_at=20.0
    ),
    "closed": Ownership(C, Owner.CLOSED),
}

Op = Callable[[StateStore], Awaitable[bool]]
OPS: dict[str, Op] = {
    "enqueue": lambda s: s.enqueue(C, skill="network", vulnerable=False, now=30),
    "accept": lambda s: s.accept(C, "alice", capacity=5, now=30),
    "requeue": lambda s: s.requeue(C, now=30, at_head=False),
    "requeue_at_head": lambda s: s.requeue(C, now=30, at_head=True),
    "reassign": lambda s: s.reassign(C, "alice", "bob", capacity=5),
    "reassign_from_other": lambda s: s.reassign(C, "bob", "carol", capacity=5),
    "handback": lambda s: s.handback(C, "alice"),
    "handback_by_other": lambda s: s.handback(C, "bob"),
    "dequeue": lambda s: s.dequeue(C),
    "close": lambda s: s.close(C),
}

QUEUED_AGAIN = Ownership(C, Q, skill="billing", vulnerable=True, queued_at=30.0)
# (start, operation) -> the record after it; every pair not listed is refused and changes nothing.
ALLOWED = {
    ("unknown", "enqueue"): Ownership(C, Q, skill="network", queued_at=30.0),
    ("bot", "enqueue"): Ownership(C, Q, skill="network", queued_at=30.0),
    ("queued", "accept"): Ownership(
        C, A, agent="alice", skill="billing", vulnerable=True, queued_at=10.0, assigned_at=30.0
    ),
    ("queued", "dequeue"): Ownership(C, Owner.BOT),
    ("assigned", "requeue"): QUEUED_AGAIN,
    ("assigned", "requeue_at_head"): Ownership(
        C, Q, skill="billing", vulnerable=True, queued_at=30.0, at_head=True
    ),
    ("assigned", "reassign"): Ownership(
        C, A, agent="bob", skill="billing", vulnerable=True, queued_at=10.0, assigned_at=20.0
    ),
    ("assigned", "handback"): Ownership(C, Owner.BOT),
    **{(state, "close"): Ownership(C, Owner.CLOSED) for state in START if state != "closed"},
}


async def arrange(store: StateStore, start: str) -> None:
    """Drive conversation C into the named state through the public transitions."""
    if start == "unknown":
        return
    if start == "bot":
        assert await store.enqueue(C, skill="billing", vulnerable=True, now=10)
        assert await store.dequeue(C)
        return
    if start == "closed":
        assert await store.close(C)
        return
    assert await store.enqueue(C, skill="billing", vulnerable=True, now=10)
    if start == "assigned":
        assert await store.accept(C, "alice", capacity=5, now=20)


async def indexes(store: StateStore) -> tuple[list[str], dict[str, list[str]]]:
    """The queue's ids and each agent's ids, as the other views show them."""
    queued = [r.conversation_id for r in await store.queue()]
    agents = {
        name: [r.conversation_id for r in await store.assigned_to(name)]
        for name in ("alice", "bob", "carol")
    }
    return queued, agents


@pytest.mark.parametrize(("start", "op"), list(itertools.product(START, OPS)))
async def test_transition_table(store: StateStore, start: str, op: str) -> None:
    await arrange(store, start)
    assert await store.get(C) == START[start]

    expected = ALLOWED.get((start, op))
    assert await OPS[op](store) is (expected is not None)

    after = expected or START[start]
    assert await store.get(C) == after
    queued, agents = await indexes(store)
    assert queued == ([C] if after.state == Q else [])
    assert await store.position(C) == (1 if after.state == Q else None)
    assert agents == {
        name: [C] if after.state == A and after.agent == name else []
        for name in ("alice", "bob", "carol")
    }


async def test_unknown_conversation_belongs_to_the_bot(store: StateStore) -> None:
    assert await store.get("never-seen") == Ownership("never-seen", Owner.BOT)
    assert await store.queue() == []
    assert await store.assigned_to("nobody") == []


async def test_a_closed_conversation_stays_closed(store: StateStore) -> None:
    await arrange(store, "assigned")
    assert await store.close(C)
    assert not await store.enqueue(C, skill="billing", vulnerable=False, now=40)
    assert not await store.close(C)
    assert await store.get(C) == Ownership(C, Owner.CLOSED)


async def test_accept_respects_capacity(store: StateStore) -> None:
    for n in range(4):
        assert await store.enqueue(f"c{n}", skill="orders", vulnerable=False, now=n)
    assert await store.accept("c0", "alice", capacity=2, now=10)
    assert await store.accept("c1", "alice", capacity=2, now=11)
    assert not await store.accept("c2", "alice", capacity=2, now=12)
    assert await store.get("c2") == Ownership("c2", Q, skill="orders", queued_at=2.0)
    # Capacity is per agent, and a chat that ends frees a place.
    assert await store.accept("c2", "bob", capacity=2, now=12)
    assert await store.handback("c0", "alice")
    assert await store.accept("c3", "alice", capacity=2, now=13)
    assert [r.conversation_id for r in await store.assigned_to("alice")] == ["c1", "c3"]


async def test_zero_capacity_accepts_nothing(store: StateStore) -> None:
    await store.enqueue(C, skill="orders", vulnerable=False, now=1)
    assert not await store.accept(C, "alice", capacity=0, now=2)


async def test_reassign_respects_the_new_agents_capacity(store: StateStore) -> None:
    for n, agent in enumerate(["alice", "bob"]):
        await store.enqueue(f"c{n}", skill="orders", vulnerable=False, now=n)
        await store.accept(f"c{n}", agent, capacity=1, now=10 + n)
    assert not await store.reassign("c0", "alice", "bob", capacity=1)
    assert [r.agent for r in [await store.get("c0"), await store.get("c1")]] == ["alice", "bob"]
    assert await store.reassign("c0", "alice", "bob", capacity=2)
    assert [r.conversation_id for r in await store.assigned_to("bob")] == ["c0", "c1"]
    assert await store.assigned_to("alice") == []


async def test_every_close_frees_its_place(store: StateStore) -> None:
    await store.enqueue("c0", skill="orders", vulnerable=False, now=1)
    await store.enqueue("c1", skill="orders", vulnerable=False, now=2)
    await store.accept("c0", "alice", capacity=1, now=3)
    assert await store.close("c0")
    assert await store.close("c1")
    assert await store.queue() == []
    assert await store.assigned_to("alice") == []


async def test_requeue_can_change_the_skill(store) -> None:
    await store.enqueue("c1", skill="billing", vulnerable=False, now=100.0)
    await store.accept("c1", "ada", capacity=1, now=101.0)
    assert await store.requeue("c1", now=102.0, at_head=True, skill="network")
    requeued = await store.get("c1")
    assert (requeued.state.value, requeued.skill, requeued.at_head) == ("queued", "network", True)
    await store.accept("c1", "ada", capacity=1, now=103.0)
    assert await store.requeue("c1", now=104.0, at_head=False)
    assert (await store.get("c1")).skill == "network", "no skill given keeps the skill"
