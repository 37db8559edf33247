"""Serving order: requeued-at-head, then vulnerable customers, then the longest waiting."""

from __future__ import annotations

from handover.state import Owner, Ownership, StateStore, serving_key, serving_score
from handover.state.base import TIME_LIMIT


async def ids(store: StateStore) -> list[str]:
    return [r.conversation_id for r in await store.queue()]


async def test_vulnerable_first_then_longest_waiting(store: StateStore) -> None:
    await store.enqueue("late", skill="billing", vulnerable=False, now=300)
    await store.enqueue("early", skill="billing", vulnerable=False, now=100)
    await store.enqueue("vulnerable-late", skill="billing", vulnerable=True, now=400)
    await store.enqueue("vulnerable-early", skill="network", vulnerable=True, now=200)
    order = ["vulnerable-early", "vulnerable-late", "early", "late"]
    assert await ids(store) == order
    assert [await store.position(cid) for cid in order] == [1, 2, 3, 4]


async def test_requeued_at_head_goes_before_everything(store: StateStore) -> None:
    await store.enqueue("first", skill="billing", vulnerable=False, now=100)
    await store.enqueue("second", skill="billing", vulnerable=False, now=200)
    await store.accept("first", "alice", capacity=5, now=300)
    await store.accept("second", "alice", capacity=5, now=300)
    await store.enqueue("vulnerable", skill="billing", vulnerable=True, now=350)
    await store.enqueue("plain", skill="billing", vulnerable=False, now=360)

    assert await store.requeue("second", now=400, at_head=True)
    assert await store.requeue("first", now=500, at_head=True)
    # Among several at the head, the one that came back first is served first.
    assert await ids(store) == ["second", "first", "vulnerable", "plain"]


async def test_plain_requeue_waits_from_now_in_its_band(store: StateStore) -> None:
    await store.enqueue("old-vulnerable", skill="billing", vulnerable=True, now=100)
    await store.accept("old-vulnerable", "alice", capacity=5, now=150)
    await store.enqueue("plain", skill="billing", vulnerable=False, now=200)
    await store.enqueue("new-vulnerable", skill="billing", vulnerable=True, now=300)

    assert await store.requeue("old-vulnerable", now=400, at_head=False)
    assert await ids(store) == ["new-vulnerable", "old-vulnerable", "plain"]
    assert (await store.get("old-vulnerable")).queued_at == 400.0


async def test_accepting_moves_everyone_up(store: StateStore) -> None:
    for n in range(3):
        await store.enqueue(f"c{n}", skill="orders", vulnerable=False, now=n)
    assert await store.position("c2") == 3
    await store.accept("c1", "alice", capacity=1, now=10)
    assert await store.position("c2") == 2
    assert await store.position("c1") is None
    assert await store.position("unknown") is None


async def test_ties_are_broken_by_id(store: StateStore) -> None:
    # Redis orders equal scores by the member's bytes; UTF-8 keeps code point order.
    for cid in ["b", "é", "a"]:
        await store.enqueue(cid, skill="orders", vulnerable=False, now=5)
    assert await ids(store) == ["a", "b", "é"]


async def test_times_keep_full_precision(store: StateStore) -> None:
    # Lua numbers would round these; the scripts keep them as strings.
    await store.enqueue("x", skill="orders", vulnerable=False, now=1_763_712_345.123456)
    await store.enqueue("y", skill="orders", vulnerable=False, now=1_763_712_345.123457)
    assert await ids(store) == ["x", "y"]
    assert (await store.get("x")).queued_at == 1_763_712_345.123456


def test_score_bands_never_overlap() -> None:
    def score(queued_at: float, *, vulnerable: bool = False, at_head: bool = False) -> float:
        return serving_score(queued_at=queued_at, vulnerable=vulnerable, at_head=at_head)

    latest = TIME_LIMIT - 1
    # The latest of a band still comes before the earliest of the next one.
    assert score(latest, vulnerable=True, at_head=True) < score(0.0, vulnerable=True)
    assert score(latest, vulnerable=True) < score(0.0)


def test_serving_key_is_the_score_then_the_id() -> None:
    record = Ownership("c", Owner.QUEUED, skill="s", vulnerable=True, queued_at=7.0)
    assert serving_key(record) == (
        serving_score(queued_at=7.0, vulnerable=True, at_head=False),
        "c",
    )
