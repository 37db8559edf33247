"""The conversation lifecycle: each transition checked, carried out, and announced once.

A transition that changes who owns the conversation first wins the state store's
compare-and-set (atomic for every gateway sharing it; exactly one of two racing agents wins),
then writes the database in one transaction (`records`). If that transaction fails, the
store step is undone and nothing is published; once it has committed, exactly one event goes
to the bus. Refusals raise `TransitionRefused` and its subclasses (`rules`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError

from handover import crud
from handover.crud.runner import Database
from handover.lifecycle import records
from handover.lifecycle.bus import EventBus
from handover.lifecycle.events import (
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
    ConversationStarted,
    ConversationTransferred,
    Outcome,
    State,
    WrapUp,
)
from handover.lifecycle.records import Status
from handover.lifecycle.rules import NoRoom, NotYours, Transition, TransitionRefused, check
from handover.lifecycle.supervision import Supervision
from handover.lifecycle.undo import UNDO_CAPACITY, Undo, back_to_agent, back_to_queue
from handover.state import Owner, Ownership, StateStore

logger = logging.getLogger(__name__)
E = TypeVar("E", bound=ConversationEvent)
# A customer ending a chat that moves meanwhile (accepted, transferred) looks again this often.
END_ATTEMPTS = 3
END_OUTCOMES = {
    State.BOT: Outcome.RESOLVED_BY_BOT,
    State.QUEUED: Outcome.ABANDONED,
    State.ASSIGNED: Outcome.ENDED_BY_CUSTOMER,
}


class AgentLike(Protocol):
    """What a transition needs of an agent (an `Agent` row)."""

    username: str
    display_name: str | None
    capacity: int
    status: str


def name_of(agent: AgentLike) -> str:
    """The name customers see."""
    return agent.display_name or agent.username


@dataclass
class Lifecycle(Supervision):
    """The only place a conversation changes state (supervisors' transitions: `Supervision`)."""

    store: StateStore
    db: Database
    bus: EventBus = field(default_factory=EventBus)
    clock: Callable[[], float] = time.time  # epoch seconds

    async def status(self, conversation_id: str) -> Status:
        """Where the conversation stands (the database's record)."""
        return await self.db(records.status, conversation_id=conversation_id)

    # -- the customer ---------------------------------------------------------------------

    async def customer_wrote(
        self, conversation_id: str
    ) -> ConversationStarted | ConversationReopened | None:
        """Before a customer's message is stored: their first begins episode 1, and one after
        a close reopens the conversation with the bot (the next episode)."""
        status = await self.status(conversation_id)
        try:
            if status.state == State.CLOSED:
                return await self.reopen(conversation_id)
            if status.episode is None:
                return await self._commit(records.started, conversation_id=conversation_id)
        except TransitionRefused:  # another gateway process was first: it is done
            pass
        return None

    async def reopen(self, conversation_id: str) -> ConversationReopened:
        """closed -> bot, in a new episode linked to the one that closed."""
        return await self._commit(records.reopened, conversation_id=conversation_id)

    async def end(self, conversation_id: str) -> ConversationEnded:
        """The customer ends the chat, wherever it is: the episode closes (resolved by the bot,
        abandoned in the queue, or ended with the agent)."""
        for _ in range(END_ATTEMPTS):
            status = await self.status(conversation_id)
            check(Transition.END, status.state)
            owner = await self.store.get(conversation_id)
            undo: Undo | None = None
            if status.state == State.QUEUED:
                if not await self.store.dequeue(conversation_id):
                    continue  # accepted meanwhile
                undo = back_to_queue(self.store, owner, self.clock)
            elif status.state == State.ASSIGNED:
                if owner.agent is None or not await self.store.handback(
                    conversation_id, owner.agent
                ):
                    continue  # transferred or requeued meanwhile
                undo = back_to_agent(self.store, owner, self.clock)
            try:
                return await self._commit(
                    records.closed,
                    undo=undo,
                    conversation_id=conversation_id,
                    kind=ConversationEnded,
                    transition=Transition.END,
                    outcome=END_OUTCOMES[status.state],
                )
            except TransitionRefused:  # the database moved first (the bot queued it): again
                continue
        raise TransitionRefused("the conversation changed while ending it: try again")

    async def rate(self, conversation_id: str, score: Any) -> ConversationRated:
        """The customer's 1-5 satisfaction with the episode that just ended."""
        if type(score) is not int or not 1 <= score <= 5:
            raise ValueError("score must be a whole number from 1 to 5")
        return await self._commit(records.rated, conversation_id=conversation_id, score=score)

    # -- the bot and the queue ------------------------------------------------------------

    async def queue(
        self,
        conversation_id: str,
        *,
        reason: str,
        skill: str,
        vulnerable: bool,
        summary: str | None,
        **fields: Any,
    ) -> ConversationQueued:
        """bot -> queued for `skill`, with the bot's context packet (`fields`)."""
        check(Transition.QUEUE, (await self.status(conversation_id)).state)
        now = self.clock()
        enqueued = await self.store.enqueue(
            conversation_id, skill=skill, vulnerable=vulnerable, now=now
        )
        if not enqueued:
            raise TransitionRefused("the conversation is not with the bot")
        return await self._commit(
            records.queued,
            undo=lambda: self.store.dequeue(conversation_id),
            now=now,
            conversation_id=conversation_id,
            reason=reason,
            skill=skill,
            vulnerable=vulnerable,
            summary=summary,
            **fields,
        )

    async def expire(self, conversation_id: str) -> ConversationExpired:
        """queued -> closed: nobody took it in time; a ticket is opened instead (a listener)."""
        owner = await self.store.get(conversation_id)
        if owner.state != Owner.QUEUED or not await self.store.dequeue(conversation_id):
            raise TransitionRefused("the conversation is no longer waiting in the queue")
        return await self._commit(
            records.closed,
            undo=back_to_queue(self.store, owner, self.clock),
            conversation_id=conversation_id,
            kind=ConversationExpired,
            transition=Transition.EXPIRE,
            outcome=Outcome.TICKET,
        )

    # -- agents ---------------------------------------------------------------------------

    async def accept(self, conversation_id: str, agent: AgentLike) -> ConversationAssigned:
        """queued -> assigned(agent); exactly one of several agents accepting at once wins."""
        owner = await self.store.get(conversation_id)
        now = self.clock()
        if not await self.store.accept(
            conversation_id, agent.username, capacity=agent.capacity, now=now
        ):
            raise TransitionRefused("not waiting in the queue, or you are at capacity")

        async def undo() -> bool:
            queued_at = owner.queued_at if owner.queued_at is not None else now
            return await self.store.requeue(
                conversation_id, now=queued_at, at_head=owner.at_head, skill=owner.skill
            )

        return await self._commit(
            records.assigned,
            undo=undo,
            now=now,
            conversation_id=conversation_id,
            agent=agent.username,
            agent_name=name_of(agent),
        )

    async def transfer(
        self,
        conversation_id: str,
        agent: AgentLike,
        *,
        to_agent: AgentLike | None = None,
        to_skill: str | None = None,
    ) -> ConversationTransferred:
        """assigned(agent) -> assigned(to_agent), online with room; or -> the head of the queue
        for `to_skill`."""
        if (to_agent is None) == (to_skill is None):
            raise ValueError("give either an agent or a skill")
        if to_agent is None:
            return await self._transfer_to_skill(conversation_id, agent, str(to_skill))
        await self._held_by(conversation_id, agent, Transition.TRANSFER_TO_AGENT)
        if to_agent.username == agent.username:
            raise TransitionRefused("the conversation is already yours")
        if to_agent.status != "online":
            raise NoRoom(f"{to_agent.username} is not online")
        if not await self.store.reassign(
            conversation_id, agent.username, to_agent.username, capacity=to_agent.capacity
        ):
            raise NoRoom(f"{to_agent.username} has no room for another chat")

        async def undo() -> bool:
            return await self.store.reassign(
                conversation_id, to_agent.username, agent.username, capacity=UNDO_CAPACITY
            )

        return await self._commit(
            records.transferred,
            undo=undo,
            conversation_id=conversation_id,
            from_agent=agent.username,
            to_agent=to_agent.username,
            to_agent_name=name_of(to_agent),
        )

    async def _transfer_to_skill(
        self, conversation_id: str, agent: AgentLike, skill: str
    ) -> ConversationTransferred:
        owner = await self._held_by(conversation_id, agent, Transition.TRANSFER_TO_SKILL)
        now = self.clock()
        if not await self.store.requeue(conversation_id, now=now, at_head=True, skill=skill):
            raise NotYours()
        return await self._commit(
            records.transferred,
            undo=back_to_agent(self.store, owner, self.clock, requeued=True),
            now=now,
            conversation_id=conversation_id,
            from_agent=agent.username,
            to_skill=skill,
        )

    async def hand_back(self, conversation_id: str, agent: AgentLike) -> ConversationHandedBack:
        """assigned(agent) -> bot; the episode goes on with the bot."""
        owner = await self._held_by(conversation_id, agent, Transition.HAND_BACK)
        if not await self.store.handback(conversation_id, agent.username):
            raise NotYours()
        return await self._commit(
            records.handed_back,
            undo=back_to_agent(self.store, owner, self.clock),
            conversation_id=conversation_id,
            agent=agent.username,
        )

    async def close(
        self,
        conversation_id: str,
        agent: AgentLike,
        *,
        reason: WrapUp | None,
        note: str | None = None,
    ) -> ConversationClosed:
        """assigned(agent) -> closed: resolved by the agent, with their reason and note."""
        owner = await self._held_by(conversation_id, agent, Transition.CLOSE)
        if not await self.store.handback(conversation_id, agent.username):
            raise NotYours()
        return await self._commit(
            records.closed,
            undo=back_to_agent(self.store, owner, self.clock),
            conversation_id=conversation_id,
            kind=ConversationClosed,
            transition=Transition.CLOSE,
            outcome=Outcome.RESOLVED_BY_AGENT,
            owned_by=agent.username,
            agent_name=name_of(agent),
            reason=reason,
            note=note,
        )

    async def requeue(self, conversation_id: str, agent: str) -> ConversationRequeued:
        """assigned(agent) -> the head of the queue: the agent is gone."""
        owner = await self.store.get(conversation_id)
        now = self.clock()
        if owner.agent != agent or not await self.store.requeue(
            conversation_id, now=now, at_head=True
        ):
            raise NotYours()
        return await self._commit(
            records.requeued,
            undo=back_to_agent(self.store, owner, self.clock, requeued=True),
            now=now,
            conversation_id=conversation_id,
            agent=agent,
        )

    # -- the machinery --------------------------------------------------------------------

    async def _held_by(
        self, conversation_id: str, agent: AgentLike, transition: Transition
    ) -> Ownership:
        """The store's record, if `agent` holds the conversation; else why not (the state does
        not allow `transition`, or someone else has it)."""
        owner = await self.store.get(conversation_id)
        if owner.state == Owner.ASSIGNED and owner.agent == agent.username:
            return owner
        check(transition, (await self.status(conversation_id)).state)
        raise NotYours()

    async def _commit(
        self,
        write: Callable[..., E],
        *,
        undo: Undo | None = None,
        now: float | None = None,
        **kwargs: Any,
    ) -> E:
        """Run `write` in one transaction, then publish its event; if the transaction fails,
        undo the store step and publish nothing."""
        at = datetime.fromtimestamp(self.clock() if now is None else now, timezone.utc)
        try:
            event = await self.db(write, at=at, **kwargs)
        except Exception as error:
            if undo is not None:
                await self._undo(undo, kwargs["conversation_id"])
            if isinstance(error, crud.StateChangedError | IntegrityError):
                raise TransitionRefused("the conversation changed meanwhile: try again") from error
            raise
        await self.bus.publish(event)
        return event

    async def _undo(self, undo: Undo, conversation_id: str) -> None:
        try:
            if await undo():
                return
        except Exception:  # the transaction's own error is what the caller must hear
            logger.exception("undoing the state store step of %s failed", conversation_id)
            return
        logger.error("the state store moved on for %s: could not undo its step", conversation_id)
