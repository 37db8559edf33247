"""Undoing the state store's step of a transition whose database transaction failed.

The store has no "put back as it was": each undo is the store's own transitions run the
other way, with the times the record had, so the conversation keeps its place in the queue.
Agents' capacity is not checked (they held the conversation a moment ago).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handover.state import Ownership, StateStore

Undo = Callable[[], Awaitable[bool]]
UNDO_CAPACITY = 1_000_000


def back_to_queue(store: StateStore, owner: Ownership, clock: Callable[[], float]) -> Undo:
    """Undo a step that took the conversation out of the queue."""

    async def undo() -> bool:
        return await store.enqueue(
            owner.conversation_id,
            skill=owner.skill or "general",
            vulnerable=owner.vulnerable,
            now=owner.queued_at if owner.queued_at is not None else clock(),
        )

    return undo


def back_to_agent(
    store: StateStore, owner: Ownership, clock: Callable[[], float], *, requeued: bool = False
) -> Undo:
    """Undo a step that took the conversation from its agent: to the bot, or to the queue
    (`requeued`, perhaps for another skill, which the store changes only on the way to the
    queue)."""
    cid, agent = owner.conversation_id, str(owner.agent)
    assigned_at = owner.assigned_at if owner.assigned_at is not None else clock()
    queued_at = owner.queued_at if owner.queued_at is not None else assigned_at
    queued = back_to_queue(store, owner, clock)

    async def assign() -> bool:
        return await store.accept(cid, agent, capacity=UNDO_CAPACITY, now=assigned_at)

    async def undo() -> bool:
        if not requeued:
            return await queued() and await assign()
        if (await store.get(cid)).skill != owner.skill and not (
            await assign()
            and await store.requeue(
                cid, now=queued_at, at_head=False, skill=owner.skill or "general"
            )
        ):
            return False
        return await assign()

    return undo
