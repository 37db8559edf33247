"""The lifecycle's socket listener: what customers and agents hear of each transition.

Customers get `handover_status` (`{state, agent_name?, position?, estimated_wait_seconds?,
outcome?}`) and the gateway's own lines as `bot_uttered` with `custom.sender = "system"`;
agents get `handover_requested`, `queue_updated`, `conversation_transferred`,
`conversation_closed` and `conversation_rated` (docs/handover.md lists the payloads).
An agent whose chat a supervisor moved to someone else gets `conversation_reassigned`
(`{conversation_id, to_agent, by}`) and `queue_updated`, on which consoles refresh their chats.
Supervisors' and managers' sockets, in the room `supervisors`, get `overview_changed` (`{}`)
whenever the queue, an agent's chats or an agent's presence changes: a nudge to fetch the
overview (or the dashboard's live figures, `/api/reports/live`) again.
"""

from __future__ import annotations

from handover.lifecycle import (
    ConversationAssigned,
    ConversationClosed,
    ConversationEnded,
    ConversationEvent,
    ConversationExpired,
    ConversationHandedBack,
    ConversationQueued,
    ConversationRated,
    ConversationReopened,
    ConversationRequeued,
    ConversationTransferred,
    EventBus,
    State,
)
from handover.sockets.outbox import Outbox

# The room of supervisors', admins' and managers' sockets on /agent (REPORTING_ROLES): the
# overview and the dashboard's live figures both refetch on the nudge.
SUPERVISORS = "supervisors"
OVERVIEW_CHANGED = "overview_changed"
# The transitions that change the queue or an agent's chats: what supervisors watch.
WATCHED = (
    ConversationQueued,
    ConversationAssigned,
    ConversationTransferred,
    ConversationHandedBack,
    ConversationRequeued,
    ConversationClosed,
)


async def nudge_supervisors(outbox: Outbox) -> None:
    """Tell supervisors' consoles to fetch the overview again (it carries nothing itself)."""
    await outbox.sio.emit(OVERVIEW_CHANGED, {}, room=SUPERVISORS, namespace="/agent")


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
        bus.subscribe(ConversationRated, self.rated)
        for kind in WATCHED:  # after the others: supervisors look once people were told
            bus.subscribe(kind, self.overview_changed)

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
        if event.by is not None:  # a supervisor gave it: the agent's console opens it
            given = {"conversation_id": cid, "by": event.by}
            await self.outbox.to_agents("conversation_transferred", given, agent=event.agent)

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
        if event.by is not None:
            await self.taken_away(event)

    async def taken_away(self, event: ConversationTransferred) -> None:
        """The agent a supervisor took the chat from hears it, and their console (which
        refreshes its chats on `queue_updated`) lets it go."""
        taken = {"conversation_id": event.conversation_id, "to_agent": event.to_agent,
                 "by": event.by}  # fmt: skip
        await self.outbox.to_agents("conversation_reassigned", taken, agent=event.from_agent)
        size = len(await self.outbox.store.queue())
        await self.outbox.to_agents("queue_updated", {"size": size}, agent=event.from_agent)

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

    async def rated(self, event: ConversationRated) -> None:
        """The agent who had the contact sees the customer's score (and nobody else does)."""
        if event.agent is None:
            return
        rating = {"conversation_id": event.conversation_id, "episode": event.episode,
                  "score": event.score}  # fmt: skip
        await self.outbox.to_agents("conversation_rated", rating, agent=event.agent)

    async def overview_changed(self, event: ConversationEvent) -> None:
        await nudge_supervisors(self.outbox)
