"""Background duties of the gateway: agents who vanish, and customers who wait too long."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from handover import crud

if TYPE_CHECKING:
    from handover.service import Hub

logger = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 2.0


async def requeue_after_grace(hub: Hub, agent: str, *, gone_at: float) -> None:
    """An agent gone for longer than the grace period loses their chats to the queue's head.

    Only the chats they held when their console went away (at `gone_at`): one accepted since
    was accepted by an agent at work, through the API, and stays theirs.
    """
    await asyncio.sleep(hub.settings.agent_grace_seconds)
    if hub.connections[agent] > 0:
        return
    for owner in await hub.store.assigned_to(agent):
        if owner.assigned_at is not None and owner.assigned_at > gone_at:
            continue
        if not await hub.store.requeue(owner.conversation_id, now=time.time(), at_head=True):
            continue
        await hub.db(
            crud.set_conversation_state, conversation_id=owner.conversation_id, state="queued"
        )
        await hub.db(crud.end_handover, conversation_id=owner.conversation_id, outcome="requeued")
        await hub.db(crud.open_handover, conversation_id=owner.conversation_id, reason="requeued")
        await hub.tell(owner.conversation_id, "requeued")
    await hub.queue_changed()


async def expire_long_waits(hub: Hub) -> None:
    """Customers waiting past the limit get a ticket and its reference instead."""
    while True:
        await asyncio.sleep(CHECK_EVERY_SECONDS)
        try:
            await expire_once(hub, now=time.time())
        except Exception:  # a failed round must not end the watcher
            logger.exception("checking the queue for long waits failed")


async def expire_once(hub: Hub, *, now: float) -> list[str]:
    """One round of `expire_long_waits`; returns the conversations turned into tickets."""
    expired = []
    for owner in await hub.store.queue():
        if owner.queued_at is None or now - owner.queued_at < hub.settings.max_wait_seconds:
            continue
        if not await hub.store.dequeue(owner.conversation_id):
            continue  # accepted meanwhile
        await hub.ticket_instead(owner.conversation_id, reason="wait_too_long")
        expired.append(owner.conversation_id)
    if expired:
        await hub.queue_changed()
    return expired
