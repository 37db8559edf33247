"""Rebuilding a store from saved records (the database) after a restart."""

from __future__ import annotations

import pytest

from handover.state import Owner, Ownership, StateStore
from tests.handover.state.conftest import StoreFactory

SAVED = [
    Ownership("plain", Owner.QUEUED, skill="orders", queued_at=100.0),
    Ownership("vulnerable", Owner.QUEUED, skill="billing", vulnerable=True, queued_at=300.0),
    Ownership("head", Owner.QUEUED, skill="network", queued_at=400.0, at_head=True),
    Ownership("mine", Owner.ASSIGNED, agent="alice", skill="orders", queued_at=5, assigned_at=60),
    Ownership("done", Owner.CLOSED),
    Ownership("back", Owner.BOT),
]


async def test_restore_rebuilds_queue_and_assignments(store: StateStore) -> None:
    assert await store.restore(SAVED) == len(SAVED)
    assert [r.conversation_id for r in await store.queue()] == ["head", "vulnerable", "plain"]
    assert await store.position("plain") == 3
    mine = Ownership(
        "mine", Owner.ASSIGNED, agent="alice", skill="orders", queued_at=5.0, assigned_at=60.0
    )
    assert await store.assigned_to("alice") == [mine]
    for record in SAVED[:3] + SAVED[4:]:
        assert await store.get(record.conversation_id) == record


async def test_restored_state_takes_part_in_transitions(store: StateStore) -> None:
    await store.restore(SAVED)
    assert not await store.accept("plain", "alice", capacity=1, now=500)  # "mine" counts
    assert await store.accept("plain", "bob", capacity=1, now=500)
    assert not await store.enqueue("done", skill="orders", vulnerable=False, now=500)
    assert await store.enqueue("back", skill="orders", vulnerable=False, now=500)
    assert await store.handback("mine", "alice")


async def test_restore_keeps_what_the_store_already_knows(store: StateStore) -> None:
    # Another gateway may have restored and moved on: the live state beats older saved rows.
    await store.enqueue("plain", skill="orders", vulnerable=False, now=100)
    await store.accept("plain", "bob", capacity=1, now=150)
    await store.enqueue("back", skill="orders", vulnerable=False, now=160)
    await store.dequeue("back")

    assert await store.restore(SAVED) == len(SAVED) - 2
    assert (await store.get("plain")).agent == "bob"
    assert await store.get("back") == Ownership("back", Owner.BOT)
    assert await store.restore(SAVED) == 0


async def test_a_store_rebuilt_from_its_records_serves_the_same(
    store: StateStore, store_factory: StoreFactory
) -> None:
    for n in range(6):
        await store.enqueue(f"c{n}", skill="orders", vulnerable=n % 3 == 0, now=10 * n)
    await store.accept("c1", "alice", capacity=2, now=70)
    await store.accept("c2", "alice", capacity=2, now=80)
    await store.requeue("c2", now=90, at_head=True)
    records = await store.queue() + await store.assigned_to("alice")

    rebuilt = await store_factory()
    assert await rebuilt.restore(records) == len(records)
    assert await rebuilt.queue() == await store.queue()
    assert await rebuilt.assigned_to("alice") == await store.assigned_to("alice")


@pytest.mark.parametrize(
    "bad",
    [
        Ownership("", Owner.BOT),
        Ownership("x", Owner.BOT, skill="orders"),
        Ownership("x", Owner.CLOSED, agent="alice"),
        Ownership("x", Owner.QUEUED, skill="orders"),  # no queued_at
        Ownership("x", Owner.QUEUED, queued_at=1.0),  # no skill
        Ownership("x", Owner.QUEUED, skill="orders", queued_at=1.0, agent="alice"),
        Ownership("x", Owner.ASSIGNED, skill="orders", queued_at=1.0, assigned_at=2.0),
        Ownership("x", Owner.ASSIGNED, agent="a", skill="o", queued_at=1.0),  # no assigned_at
        Ownership(
            "x", Owner.ASSIGNED, agent="a", skill="o", queued_at=1, assigned_at=2, at_head=True
        ),
        Ownership("x", Owner.QUEUED, skill="orders", queued_at=float("nan")),
        Ownership("x", "queued", skill="orders", queued_at=1.0),  # type: ignore[arg-type]
        "x",
    ],
)
async def test_restore_checks_every_record_before_loading_any(
    store: StateStore, bad: Ownership
) -> None:
    with pytest.raises(ValueError):
        await store.restore([SAVED[0], bad])
    assert await store.queue() == []


async def test_restore_refuses_duplicates(store: StateStore) -> None:
    with pytest.raises(ValueError, match="more than once"):
        await store.restore([SAVED[0], SAVED[0]])
    assert await store.get("plain") == Ownership("plain", Owner.BOT)
