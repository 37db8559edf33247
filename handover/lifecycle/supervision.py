"""Supervisors' transitions: giving a conversation waiting in the queue to an agent, or moving
one from the agent who has it to another.

`Lifecycle` (machine.py) takes these methods from `Supervision`, with the same guarantees as
its own: the state store's compare-and-set first, then one transaction (`records`), then one
event, which names the supervisor (`by`). A conversation given from the queue is assigned as
if the agent had accepted it (`ConversationAssigned`); one moved between agents is transferred
(`ConversationTransferred`), so listeners tell the customer, and count it, the same way.

The agent must be online and have room (fewer chats than their capacity): a supervisor cannot
overload anyone. Skills are the supervisor's call: they may give a billing chat to an agent
who serves only orders, which the queue itself would never do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from handover.lifecycle import records
from handover.lifecycle.events import ConversationAssigned, ConversationTransferred
from handover.lifecycle.rules import NoRoom, TransitionRefused
from handover.lifecycle.undo import UNDO_CAPACITY
from handover.state import Owner, Ownership, StateStore

if TYPE_CHECKING:
    from handover.lifecycle.machine import AgentLike

CHANGED = "the conversation changed meanwhile: try again"


class Supervision:
    """The transitions only supervisors make; a part of `Lifecycle`."""

    # What Lifecycle provides.
    store: StateStore
    clock: Callable[[], float]
    _commit: Callable[..., Awaitable[Any]]

    async def reassign(
        self, conversation_id: str, supervisor: AgentLike, to_agent: AgentLike
    ) -> ConversationAssigned | ConversationTransferred:
        """queued -> assigned(to_agent), or assigned(agent) -> assigned(to_agent), by
        `supervisor`. Refused (TransitionRefused) for a conversation neither queued nor
        assigned, or already `to_agent`'s; NoRoom when `to_agent` is offline, away or full."""
        owner = await self.store.get(conversation_id)
        if owner.state not in (Owner.QUEUED, Owner.ASSIGNED):
            raise TransitionRefused(
                "only a conversation waiting in the queue or with an agent can be reassigned"
            )
        if owner.agent == to_agent.username:
            raise TransitionRefused(f"the conversation is already {to_agent.username}'s")
        await self._check_room(to_agent)
        if owner.state == Owner.QUEUED:
            return await self._give_from_queue(owner, supervisor, to_agent)
        return await self._move_to(owner, supervisor, to_agent)

    async def _check_room(self, agent: AgentLike) -> None:
        """NoRoom unless `agent` is online with fewer chats than their capacity."""
        if agent.status != "online":
            raise NoRoom(f"{agent.username} is not online")
        load = len(await self.store.assigned_to(agent.username))
        if load >= agent.capacity:
            raise NoRoom(
                f"{agent.username} has no room for another chat ({load} of {agent.capacity})"
            )

    async def _give_from_queue(
        self, owner: Ownership, supervisor: AgentLike, to_agent: AgentLike
    ) -> ConversationAssigned:
        cid, now = owner.conversation_id, self.clock()
        if not await self.store.accept(cid, to_agent.username, capacity=to_agent.capacity, now=now):
            raise TransitionRefused(CHANGED)  # accepted or ended since, or the agent filled up

        async def undo() -> bool:
            queued_at = owner.queued_at if owner.queued_at is not None else now
            return await self.store.requeue(
                cid, now=queued_at, at_head=owner.at_head, skill=owner.skill
            )

        event: ConversationAssigned = await self._commit(
            records.assigned,
            undo=undo,
            now=now,
            conversation_id=cid,
            agent=to_agent.username,
            agent_name=to_agent.display_name or to_agent.username,  # as `name_of`
            by=supervisor.username,
        )
        return event

    async def _move_to(
        self, owner: Ownership, supervisor: AgentLike, to_agent: AgentLike
    ) -> ConversationTransferred:
        cid, from_agent = owner.conversation_id, str(owner.agent)
        if not await self.store.reassign(
            cid, from_agent, to_agent.username, capacity=to_agent.capacity
        ):
            raise TransitionRefused(CHANGED)  # closed or passed on since, or the agent filled up

        async def undo() -> bool:
            return await self.store.reassign(
                cid, to_agent.username, from_agent, capacity=UNDO_CAPACITY
            )

        event: ConversationTransferred = await self._commit(
            records.transferred,
            undo=undo,
            conversation_id=cid,
            from_agent=from_agent,
            to_agent=to_agent.username,
            to_agent_name=to_agent.display_name or to_agent.username,
            by=supervisor.username,
        )
        return event
