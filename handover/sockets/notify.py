"""The lifecycle's socket listener: what customers and agents hear of each transition.

Customers get `handover_status` (`{state, agent_name?, position?, estimated_wait_seconds?,
outcome?}`) and the gateway's own lines as `bot_uttered` with `custom.sender = "system"`;
agents get `handover_requested`, `queue_updated`, `conversation_transferred` and
`conversation_closed` (docs/handover.md lists the payloads).
"""

from __future__ import annotations

from handover.lifecycle import (
    ConversationAssigned,
    ConversationClosed,
    ConversationEnded,
    ConversationExpired,
    ConversationHandedBack,
    ConversationQueued,
    ConversationReopened,
    ConversationRequeued,
    ConversationTransferred,
    EventBus,
    State,
)
from handover.sockets.outbox import Outbox


class Notifier:
    """Turns each domain event into socket events and system lines."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(ConversationQueued, self.queued)
        bus.subscribe(ConversationAssigned, self.assigned)
        bus.subscribe(ConversationTransferred, self.transferred)
        bus.subscribe(ConversationHandedBack, self.handed_back)
        bus.subscribe(ConversationRequeued, self.requeued)
        bus.subscribe(ConversationClosed, self.closed)
        bus.subscribe(ConversationReopened, self.reopened)

    async def queued(self, event: ConversationQueued) -> None:
        announced = {
            "conversation_id": event.conversation_id,
            "skill": event.skill,
            "reason": event.reason,
            "summary": event.summary,
        }
        await self.outbox.to_agents("handover_requested", announced)
        await self.outbox.queue_changed()

    async def assigned(self, event: ConversationAssigned) -> None:
        cid = event.conversation_id
        async with self.outbox.turns.take(cid):  # after the bot's answer on its way
            await self.outbox.tell(cid, "joined", name=event.agent_name)
            status = {"state": "assigned", "agent_name": event.agent_name}
            await self.outbox.to_customer(cid, "handover_status", status)
        await self.outbox.queue_changed()

    async def transferred(self, event: ConversationTransferred) -> None:
        cid = event.conversation_id
        if event.to_agent is None:
            await self.outbox.tell(cid, "to_skill", skill=str(event.to_skill))
            await self.outbox.queue_changed()
            return
        name = event.to_agent_name or event.to_agent
        await self.outbox.tell(cid, "transferred", name=name)
        status = {"state": "assigned", "agent_name": name}
        await self.outbox.to_customer(cid, "handover_status", status)
        moved = {"conversation_id": cid}
        await self.outbox.to_agents("conversation_transferred", moved, agent=event.to_agent)

    async def handed_back(self, event: ConversationHandedBack) -> None:
        await self.outbox.to_customer(event.conversation_id, "handover_status", {"state": "bot"})

    async def requeued(self, event: ConversationRequeued) -> None:
        await self.outbox.tell(event.conversation_id, "requeued")
        await self.outbox.queue_changed()

    async def closed(self, event: ConversationClosed) -> None:
        """Every close: the customer hears who closed it (a ticket's lines are the ticket
        desk's), the agent who had it hears it closed, the queue shrinks if it waited there."""
        cid = event.conversation_id
        if not isinstance(event, ConversationExpired):
            if isinstance(event, ConversationEnded):
                await self.outbox.tell(cid, "ended")
            else:
                await self.outbox.tell(cid, "closed", name=event.agent_name or str(event.agent))
            status = {"state": "closed", "outcome": event.outcome.value}
            await self.outbox.to_customer(cid, "handover_status", status)
        if event.agent is not None:
            closed = {
                "conversation_id": cid,
                "episode": event.episode,
                "outcome": event.outcome.value,
                "by": "customer" if isinstance(event, ConversationEnded) else "agent",
                "reason": event.reason.value if event.reason is not None else None,
            }
            await self.outbox.to_agents("conversation_closed", closed, agent=event.agent)
        if event.was == State.QUEUED:
            await self.outbox.queue_changed()

    async def reopened(self, event: ConversationReopened) -> None:
        await self.outbox.to_customer(event.conversation_id, "handover_status", {"state": "bot"})
