"""Background duties of the gateway: agents who vanish, customers who wait too long, and the
tickets opened for them. Each acts through the lifecycle, whose listeners tell people."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from handover import crud
from handover.lifecycle import ConversationExpired, EventBus, Lifecycle, TransitionRefused
from handover.sockets.outbox import Outbox

logger = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 2.0
# The reason a gateway-opened ticket gives the CRM: the customer waited past the longest wait.
TICKET_REASON = "wait_too_long"


class TicketOpener(Protocol):
    """Opens a CRM ticket for a conversation, for its verified customer if known; returns
    the ticket's reference."""

    def __call__(
        self,
        conversation_id: str,
        reason: str,
        transcript: list[dict[str, Any]],
        *,
        customer_id: str | None = None,
    ) -> str: ...


class Presence:
    """Agents' consoles connected to this process; an agent gone for longer than the grace
    period loses their chats to the head of the queue."""

    def __init__(self, lifecycle: Lifecycle, *, grace_seconds: float) -> None:
        self.lifecycle = lifecycle
        self.grace_seconds = grace_seconds
        self.connections: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[Any]] = set()

    def connected(self, agent: str) -> None:
        self.connections[agent] += 1

    def disconnected(self, agent: str) -> None:
        """Start the grace period when the agent's last console went away."""
        self.connections[agent] -= 1
        if self.connections[agent] <= 0:
            self._background(self.requeue_after_grace(agent, gone_at=time.time()))

    async def requeue_after_grace(self, agent: str, *, gone_at: float) -> list[str]:
        """Requeue the chats the agent held when their console went away (at `gone_at`), if
        they are still away after the grace period; one accepted since was accepted by an
        agent at work, through the API, and stays theirs. Returns the requeued ids."""
        await asyncio.sleep(self.grace_seconds)
        if self.connections[agent] > 0:
            return []
        requeued = []
        for owner in await self.lifecycle.store.assigned_to(agent):
            if owner.assigned_at is not None and owner.assigned_at > gone_at:
                continue
            try:
                await self.lifecycle.requeue(owner.conversation_id, agent)
            except TransitionRefused:  # closed or passed on meanwhile
                continue
            requeued.append(owner.conversation_id)
        return requeued

    async def stop(self) -> None:
        """Cancel the grace periods still running (the gateway is shutting down)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _background(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run a task that outlives the request, keeping a reference so it is not collected."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def expire_long_waits(lifecycle: Lifecycle, *, max_wait_seconds: float) -> None:
    """Customers waiting past the limit get a ticket and its reference instead."""
    while True:
        await asyncio.sleep(CHECK_EVERY_SECONDS)
        try:
            await expire_once(lifecycle, max_wait_seconds=max_wait_seconds, now=time.time())
        except Exception:  # a failed round must not end the watcher
            logger.exception("checking the queue for long waits failed")


async def answer_unanswered(answer: Callable[[], Awaitable[int]], *, every_seconds: float) -> None:
    """Look for customer messages a stopped gateway left unanswered: at start, then every
    `every_seconds` (`answer`: `handover.recovery.answer_unanswered`, the hub and the age given)."""
    while True:
        try:
            answered = await answer()
            if answered:
                logger.warning("answered %d customer message(s) left unanswered", answered)
        except Exception:  # a failed round must not end the watcher
            logger.exception("looking for unanswered customer messages failed")
        await asyncio.sleep(every_seconds)


async def expire_once(lifecycle: Lifecycle, *, max_wait_seconds: float, now: float) -> list[str]:
    """One round of `expire_long_waits`; returns the conversations turned into tickets."""
    expired = []
    for owner in await lifecycle.store.queue():
        if owner.queued_at is None or now - owner.queued_at < max_wait_seconds:
            continue
        try:
            await lifecycle.expire(owner.conversation_id)
        except TransitionRefused:  # accepted or ended meanwhile
            continue
        expired.append(owner.conversation_id)
    return expired


class TicketDesk:
    """Listens for conversations that waited too long: a CRM ticket with the transcript, and
    its reference for the customer (or the phone number when the CRM fails)."""

    def __init__(
        self,
        open_ticket: TicketOpener,
        outbox: Outbox,
        history: Callable[[str], Awaitable[list[dict[str, Any]]]],
    ) -> None:
        self.open_ticket = open_ticket
        self.outbox = outbox
        # The conversation as the customer reads it, agents' names included (`Hub.history`).
        self.history = history

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(ConversationExpired, self.expired)

    async def expired(self, event: ConversationExpired) -> None:
        cid = event.conversation_id
        transcript = await self.history(cid)
        # Under the customer, so that the CRM lists it with their other tickets (past contacts).
        row = await self.outbox.db(crud.get_conversation, conversation_id=cid)
        customer_id = row.customer_id if row is not None else None
        try:
            reference = await asyncio.to_thread(
                self.open_ticket, cid, TICKET_REASON, transcript, customer_id=customer_id
            )
        except Exception:  # the customer must hear something whatever failed
            logger.exception("ticket for %s failed", cid)
            reference = None
        if reference:
            await self.outbox.db(_record_ticket, conversation_id=cid, reference=reference)
            await self.outbox.tell(cid, "ticket", reference=reference)
        else:
            await self.outbox.tell(cid, "no_ticket")
        status = {"state": "closed", "outcome": event.outcome.value}
        await self.outbox.to_customer(cid, "handover_status", status)


def _record_ticket(session: Any, *, conversation_id: str, reference: str) -> None:
    episode = crud.latest_episode(session, conversation_id=conversation_id)
    crud.add_ticket(
        session,
        conversation_id=conversation_id,
        reference=reference,
        reason=TICKET_REASON,
        episode_id=episode.id if episode is not None else None,
    )
