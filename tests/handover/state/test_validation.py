"""Bad arguments raise ValueError before anything changes, on both stores."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from handover.state import MAX_ID_LENGTH, Owner, Ownership, StateStore

BAD_IDS: list[Any] = ["", "   ", "x" * (MAX_ID_LENGTH + 1), None, 42]

Call = Callable[[StateStore, Any], Awaitable[Any]]
# Each public method, with the value under test in place of one conversation id or agent name.
BY_ID: dict[str, Call] = {
    "get": lambda s, v: s.get(v),
    "enqueue": lambda s, v: s.enqueue(v, skill="orders", vulnerable=False, now=1),
    "accept": lambda s, v: s.accept(v, "alice", capacity=1, now=1),
    "requeue": lambda s, v: s.requeue(v, now=1, at_head=False),
    "reassign": lambda s, v: s.reassign(v, "alice", "bob", capacity=1),
    "handback": lambda s, v: s.handback(v, "alice"),
    "dequeue": lambda s, v: s.dequeue(v),
    "close": lambda s, v: s.close(v),
    "position": lambda s, v: s.position(v),
}
BY_AGENT: dict[str, Call] = {
    "accept": lambda s, v: s.accept("c", v, capacity=1, now=1),
    "reassign_from": lambda s, v: s.reassign("c", v, "bob", capacity=1),
    "reassign_to": lambda s, v: s.reassign("c", "alice", v, capacity=1),
    "handback": lambda s, v: s.handback("c", v),
    "assigned_to": lambda s, v: s.assigned_to(v),
}


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("method", BY_ID)
async def test_conversation_ids_are_checked(store: StateStore, method: str, bad: Any) -> None:
    with pytest.raises(ValueError, match="conversation id"):
        await BY_ID[method](store, bad)


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("method", BY_AGENT)
async def test_agent_names_are_checked(store: StateStore, method: str, bad: Any) -> None:
    with pytest.raises(ValueError, match="agent"):
        await BY_AGENT[method](store, bad)


async def test_longest_id_is_accepted(store: StateStore) -> None:
    cid, agent = "c" * MAX_ID_LENGTH, "a" * MAX_ID_LENGTH
    assert await store.enqueue(cid, skill="orders", vulnerable=False, now=1)
    assert await store.accept(cid, agent, capacity=1, now=2)
    assert [r.conversation_id for r in await store.assigned_to(agent)] == [cid]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"skill": ""},
        {"skill": None},
        {"vulnerable": "yes"},
        {"vulnerable": None},
        {"now": -1},
        {"now": float("nan")},
        {"now": float("inf")},
        {"now": 1e10},
        {"now": True},
        {"now": "1"},
    ],
)
async def test_enqueue_arguments_are_checked(store: StateStore, kwargs: dict[str, Any]) -> None:
    arguments = {"skill": "orders", "vulnerable": False, "now": 1.0} | kwargs
    with pytest.raises(ValueError):
        await store.enqueue("c", **arguments)
    assert await store.get("c") == Ownership("c", Owner.BOT)


@pytest.mark.parametrize("capacity", [-1, 1.5, True, "2", None])
async def test_capacity_is_checked(store: StateStore, capacity: Any) -> None:
    await store.enqueue("c", skill="orders", vulnerable=False, now=1)
    with pytest.raises(ValueError, match="capacity"):
        await store.accept("c", "alice", capacity=capacity, now=2)
    with pytest.raises(ValueError, match="capacity"):
        await store.reassign("c", "alice", "bob", capacity=capacity)
    assert (await store.get("c")).state == Owner.QUEUED


async def test_requeue_arguments_are_checked(store: StateStore) -> None:
    with pytest.raises(ValueError, match="at_head"):
        await store.requeue("c", now=1, at_head=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time"):
        await store.requeue("c", now=-5, at_head=False)


async def test_reassign_to_the_same_agent_is_a_mistake(store: StateStore) -> None:
    with pytest.raises(ValueError, match="another agent"):
        await store.reassign("c", "alice", "alice", capacity=1)
