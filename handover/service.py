"""The handover transitions: who owns a conversation, and who hears about each change.

Ownership lives in the state store (atomic, shared by every gateway process); the database
keeps the record (messages, handovers, tickets) and the state for restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

import socketio
from sqlalchemy.orm import sessionmaker

from handover import crud, watchers
from handover.config import HandoverSettings
from handover.customer_input import REQUEST_HUMAN, check_command, quick_replies
from handover.db import session_scope
from handover.rasa import RasaClient, RasaUnavailable, bot_language, to_socketio
from handover.ratelimit import RateLimiter
from handover.state import Owner, StateStore
from handover.texts import LANGUAGES, WITHOUT_THE_BOT, line
from handover.turns import Turns
from handover.views import message_view

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_MESSAGE_CHARS = 5000
HANDBACK_INTENT = "handback"
# Messages of one conversation wait for the one before (its Rasa answer) in this process: past
# this many, more are refused instead of queueing minutes of work behind a flood.
MAX_WAITING_MESSAGES = 3


class Conflict(Exception):
    """The conversation is not in the state the request needs (someone else was first)."""


@dataclass
class Hub:
    """Routes customer messages to the bot or to a person, and carries out the transitions."""

    settings: HandoverSettings
    store: StateStore
    sessions: sessionmaker
    rasa: RasaClient
    sio: socketio.AsyncServer
    open_ticket: Callable[[str, str, list[dict[str, Any]]], str]
    # Shared with the agents' login limits; counts live in Redis when several gateways run.
    limiter: RateLimiter = field(default_factory=RateLimiter)
    _turns: Turns = field(default_factory=Turns)
    connections: Counter[str] = field(default_factory=Counter)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def db(self, fn: Callable[..., T], **kwargs: Any) -> T:
        """Run a database function in a worker thread, in its own transaction."""

        def call() -> T:
            with session_scope(self.sessions) as session:
                return fn(session, **kwargs)

        return await asyncio.to_thread(call)

    # -- customers -------------------------------------------------------------------------

    async def customer_joined(
        self, conversation_id: str, language: str | None = None, customer_id: str | None = None
    ) -> None:
        """A customer's socket joined: the conversation exists, in their language if known, and
        with the customer id their site vouched for."""
        fields: dict[str, str] = {"language": language} if language in LANGUAGES else {}
        if customer_id:
            fields["customer_id"] = customer_id
        await self.db(crud.upsert_conversation, conversation_id=conversation_id, **fields)

    async def customer_message(self, conversation_id: str, text: str) -> None:
        """Store the message; the bot answers only while it owns the conversation.

        Raises Refused, with nothing stored, for Rasa's intent syntax other than a quick reply
        the bot just offered, and when MAX_WAITING_MESSAGES of this conversation wait already.
        """
        async with self._turns.take(conversation_id, limit=MAX_WAITING_MESSAGES):
            if text.strip().startswith("/"):  # the store is asked only about commands
                check_command(text.strip(), await self.store.offered(conversation_id))
            stored = await self.db(
                crud.add_message, conversation_id=conversation_id, sender="user", text=text
            )
            owner = await self.store.get(conversation_id)
            if owner.state in (Owner.QUEUED, Owner.ASSIGNED):
                # Agents see what was stored: the redacted text, never the raw secret.
                event = {"conversation_id": conversation_id, "text": stored.text, "at": time.time()}
                await self.to_agents("customer_message", event, agent=owner.agent)
                return
            try:
                widget = await self.stated_language(conversation_id)
                replies = await self.rasa.send(conversation_id, text, language=widget)
            except (RasaUnavailable, asyncio.TimeoutError) as error:
                logger.error("Rasa did not answer for %s: %r", conversation_id, error)
                replies = await self._without_the_bot(conversation_id, text.strip())
            await self.bot_says(conversation_id, replies)

    async def _without_the_bot(self, conversation_id: str, said: str) -> list[dict[str, Any]]:
        """The gateway's own answer while Rasa is down: an apology, and a person on offer."""
        language = await self.language(conversation_id)
        texts = WITHOUT_THE_BOT[language]
        if said != REQUEST_HUMAN:
            button = {"title": texts["button"], "payload": REQUEST_HUMAN}
            return [{"text": texts["apology"], "buttons": [button]}]
        context = {
            "skill": "general",
            "language": language,
            "summary": "The virtual assistant was unavailable; the customer asked for a person.",
        }
        answer = await self.request_handover(conversation_id, "bot_unavailable", context)
        return [{"text": texts["queued" if answer["status"] == "queued" else "nobody"]}]

    async def bot_says(self, conversation_id: str, replies: list[dict[str, Any]]) -> None:
        """Store and deliver the bot's messages, in Rasa's socket.io format.

        Their quick replies are remembered first: they are what the customer may send back.
        """
        payloads = [part for reply in replies for part in to_socketio(reply)]
        await self.store.set_offered(conversation_id, quick_replies(payloads))
        for payload in payloads:
            if payload.get("text"):
                await self.db(
                    crud.add_message,
                    conversation_id=conversation_id,
                    sender="bot",
                    text=payload["text"],
                )
            await self.to_customer(conversation_id, "bot_uttered", payload)

    async def to_customer(self, conversation_id: str, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=conversation_id, namespace="/")

    async def to_agents(self, event: str, data: Any, agent: str | None = None) -> None:
        room = f"agent:{agent}" if agent else "agents"
        await self.sio.emit(event, data, room=room, namespace="/agent")

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation so far, for a customer who reloads or reconnects."""
        messages = [
            message_view(m)
            for m in await self.db(crud.list_messages, conversation_id=conversation_id)
        ]
        names: dict[str, str] = {}
        for message in messages:
            username = message["agent"]
            if username and username not in names:
                agent = await self.db(crud.get_agent, username=username)
                names[username] = (agent and agent.display_name) or username
            message["agent_name"] = names.get(username) if username else None
        return messages

    async def rate(self, conversation_id: str, score: Any) -> None:
        """The customer's 1-5 satisfaction with the conversation (a second answer replaces it)."""
        if type(score) is not int or not 1 <= score <= 5:
            raise ValueError("score must be a whole number from 1 to 5")
        await self.db(crud.upsert_conversation, conversation_id=conversation_id, satisfaction=score)

    # -- the bot asks for a person ----------------------------------------------------------

    async def request_handover(
        self, conversation_id: str, reason: str, context: dict[str, Any]
    ) -> dict[str, Any]:
        """Queue the conversation for a person, or say why nobody can take it now."""
        known = await self.db(crud.get_conversation, conversation_id=conversation_id)
        if known is None:
            return {"status": "unavailable", "why": "no live chat with this customer"}
        if not self.settings.is_open(now_utc()):
            return {"status": "unavailable", "why": "outside opening hours"}
        agents = len(await self.db(crud.list_online_agents))
        if not agents:
            return {"status": "unavailable", "why": "no agent online"}
        now = time.time()
        skill = str(context.get("skill") or "general")
        vulnerable = bool(context.get("vulnerable"))
        if await self.store.enqueue(conversation_id, skill=skill, vulnerable=vulnerable, now=now):
            await self.db(
                crud.set_conversation_state,
                conversation_id=conversation_id,
                state="queued",
                reason=reason,
                skill=skill,
                vulnerable=vulnerable,
                context=context,
                summary=context.get("summary"),
                language=bot_language(context) or known.language or context.get("language"),
                customer_id=(context.get("profile") or {}).get("customer_id"),
            )
            await self.db(crud.open_handover, conversation_id=conversation_id, reason=reason)
            announced = {
                "conversation_id": conversation_id,
                "skill": skill,
                "reason": reason,
                "summary": context.get("summary"),
            }
            await self.to_agents("handover_requested", announced)
            await self.queue_changed()
        owner = await self.store.get(conversation_id)
        position = await self.store.position(conversation_id)
        return {
            "status": owner.state.value,
            "position": position,
            "estimated_wait_seconds": self.estimated_wait(position, agents),
        }

    # -- agents -----------------------------------------------------------------------------

    async def accept(self, conversation_id: str, agent: Any) -> None:
        ok = await self.store.accept(
            conversation_id, agent.username, capacity=agent.capacity, now=time.time()
        )
        if not ok:
            raise Conflict("not waiting in the queue, or you are at capacity")
        await self.db(
            crud.set_conversation_state,
            conversation_id=conversation_id,
            state="assigned",
            agent_username=agent.username,
        )
        await self.db(crud.record_accept, conversation_id=conversation_id, agent=agent.username)
        name = agent.display_name or agent.username
        async with self._turns.take(conversation_id):  # after the bot's answer on its way
            await self.tell(conversation_id, "joined", name=name)
            status = {"state": "assigned", "agent_name": name}
            await self.to_customer(conversation_id, "handover_status", status)
        await self.queue_changed()

    async def agent_message(self, conversation_id: str, agent: Any, text: str) -> None:
        await self._owned_by(conversation_id, agent.username)
        async with self._turns.take(conversation_id):  # after the bot's answer on its way
            await self.db(
                crud.add_message,
                conversation_id=conversation_id,
                sender="agent",
                text=text,
                agent_username=agent.username,
            )
            name = agent.display_name or agent.username
            payload = {"text": text, "custom": {"sender": "agent", "agent_name": name}}
            await self.to_customer(conversation_id, "bot_uttered", payload)

    async def handback(self, conversation_id: str, agent: Any) -> None:
        """Give the conversation back to the bot, and tell Rasa what happened."""
        if not await self.store.handback(conversation_id, agent.username):
            raise Conflict("the conversation is not yours")
        await self.db(crud.set_conversation_state, conversation_id=conversation_id, state="bot")
        await self.db(crud.end_handover, conversation_id=conversation_id, outcome="handed_back")
        await self.to_customer(conversation_id, "handover_status", {"state": "bot"})
        try:
            await self.rasa.append_events(conversation_id, handback_events())
            replies = await self.rasa.trigger_intent(conversation_id, HANDBACK_INTENT)
        except RasaUnavailable as error:
            logger.error("Rasa did not take the hand-back of %s: %s", conversation_id, error)
            replies = [{"text": line(await self.language(conversation_id), "handed_back")}]
        await self.bot_says(conversation_id, replies)

    async def transfer(
        self, conversation_id: str, agent: Any, *, to_agent: str | None, to_skill: str | None
    ) -> None:
        """Pass the chat to a named online agent, or back to the head of the queue for a skill."""
        await self._owned_by(conversation_id, agent.username)
        if to_agent:
            target = await self.db(crud.get_agent, username=to_agent)
            if target is None or target.status != "online":
                raise Conflict(f"{to_agent} is not online")
            moved = await self.store.reassign(
                conversation_id, agent.username, target.username, capacity=target.capacity
            )
            if not moved:
                raise Conflict(f"{to_agent} has no room for another chat")
            await self.db(
                crud.record_transfer, conversation_id=conversation_id, to_agent=target.username
            )
            name = target.display_name or target.username
            await self.tell(conversation_id, "transferred", name=name)
            await self.to_customer(
                conversation_id, "handover_status", {"state": "assigned", "agent_name": name}
            )
            await self.to_agents(
                "conversation_transferred", {"conversation_id": conversation_id}, agent=to_agent
            )
            return
        if not await self.store.requeue(
            conversation_id, now=time.time(), at_head=True, skill=to_skill
        ):
            raise Conflict("the conversation is not yours")
        await self.db(crud.record_transfer, conversation_id=conversation_id, to_skill=to_skill)
        await self.tell(conversation_id, "to_skill", skill=str(to_skill))
        await self.queue_changed()

    async def close(self, conversation_id: str, agent: Any) -> None:
        await self._owned_by(conversation_id, agent.username)
        await self.store.close(conversation_id)
        await self.db(crud.set_conversation_state, conversation_id=conversation_id, state="closed")
        await self.db(crud.end_handover, conversation_id=conversation_id, outcome="closed")
        await self.tell(conversation_id, "closed", name=agent.display_name or agent.username)
        await self.to_customer(conversation_id, "handover_status", {"state": "closed"})

    async def _owned_by(self, conversation_id: str, username: str) -> None:
        owner = await self.store.get(conversation_id)
        if owner.state != Owner.ASSIGNED or owner.agent != username:
            raise Conflict("the conversation is not yours")

    async def stated_language(self, conversation_id: str) -> str | None:
        """The language the widget stated (or the bot spoke at the latest handover), if any."""
        known = await self.db(crud.get_conversation, conversation_id=conversation_id)
        return known.language if known and known.language in LANGUAGES else None

    async def language(self, conversation_id: str) -> str:
        """The conversation's language, from its widget or its customer; "en" if not offered."""
        return await self.stated_language(conversation_id) or "en"

    async def tell(self, conversation_id: str, key: str, **values: str) -> None:
        """Say the gateway's own `key` line (texts.py) in the conversation's language."""
        text = line(await self.language(conversation_id), key, **values)
        await self.system_message(conversation_id, text)

    async def system_message(self, conversation_id: str, text: str) -> None:
        await self.db(crud.add_message, conversation_id=conversation_id, sender="system", text=text)
        payload = {"text": text, "custom": {"sender": "system"}}
        await self.to_customer(conversation_id, "bot_uttered", payload)

    async def agent_connected(self, username: str) -> None:
        self.connections[username] += 1

    async def agent_disconnected(self, username: str) -> None:
        """Start the grace period; the agent's chats go back to the queue if they stay away."""
        self.connections[username] -= 1
        if self.connections[username] <= 0:
            self.background(watchers.requeue_after_grace(self, username, gone_at=time.time()))

    def background(self, coroutine: Any) -> None:
        """Run a task that outlives the request, keeping a reference so it is not collected."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def ticket_instead(self, conversation_id: str, *, reason: str) -> None:
        """Nobody can take the chat: a CRM ticket with the transcript, and its reference."""
        transcript = await self.history(conversation_id)
        try:
            reference = await asyncio.to_thread(
                self.open_ticket, conversation_id, reason, transcript
            )
        except Exception:  # the customer must hear something whatever failed
            logger.exception("ticket for %s failed", conversation_id)
            reference = None
        await self.db(crud.set_conversation_state, conversation_id=conversation_id, state="bot")
        await self.db(crud.end_handover, conversation_id=conversation_id, outcome="ticket")
        if reference:
            await self.db(
                crud.add_ticket, conversation_id=conversation_id, reference=reference, reason=reason
            )
            await self.tell(conversation_id, "ticket", reference=reference)
        else:
            await self.tell(conversation_id, "no_ticket")
        await self.to_customer(conversation_id, "handover_status", {"state": "bot"})

    # -- the queue --------------------------------------------------------------------------

    def estimated_wait(self, position: int | None, agents: int) -> int | None:
        """Seconds until a person is free for the customer at `position`."""
        if position is None:
            return None
        return round(position * self.settings.average_handle_seconds / max(1, agents))

    async def queue_changed(self) -> None:
        """Tell agents the new queue and each waiting customer their place."""
        queued = await self.store.queue()
        await self.to_agents("queue_updated", {"size": len(queued)})
        agents = len(await self.db(crud.list_online_agents)) if queued else 0
        for number, owner in enumerate(queued, start=1):
            status = {
                "state": "queued",
                "position": number,
                "estimated_wait_seconds": self.estimated_wait(number, agents),
            }
            await self.to_customer(owner.conversation_id, "handover_status", status)


def handback_events() -> list[dict[str, Any]]:
    """What the bot's tracker learns at hand-back: the offer of a person is settled."""
    return [
        {"event": "slot", "name": "pending_offer", "value": None},
        {"event": "slot", "name": "handover_reason", "value": None},
    ]


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
