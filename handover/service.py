"""The gateway's hub: routes each customer message to the bot or to a person, and holds the
parts the sockets and the REST API share.

Transitions belong to `handover.lifecycle`; what customers and agents hear of them to its
listeners (`sockets.notify`, `watchers.TicketDesk`, and `_bot_takes_back` here). Ownership
lives in the state store (atomic, shared by every gateway process); the database keeps the
record (messages, episodes, handovers, tickets) and the state for restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import socketio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from handover import crud
from handover.config import HandoverSettings
from handover.crud.runner import Database
from handover.customer_input import REQUEST_HUMAN, check_command, quick_replies
from handover.lifecycle import (
    AgentLike,
    ConversationEnded,
    ConversationHandedBack,
    ConversationTransferred,
    EventBus,
    Lifecycle,
    NoRoom,
    NotYours,
    State,
    TransitionRefused,
    queue_for,
)
from handover.models import Message, utcnow
from handover.rasa import BotClient, RasaUnavailable, bot_language, handback_events, to_socketio
from handover.ratelimit import RateLimiter
from handover.sockets.notify import Notifier
from handover.sockets.outbox import Outbox
from handover.state import Owner, StateStore
from handover.texts import LANGUAGES, WITHOUT_THE_BOT, line
from handover.turns import Backlog
from handover.views import message_view
from handover.watchers import Presence, TicketDesk, TicketOpener
from reporting.recorder import Recorder

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 5000
HANDBACK_INTENT = "handback"
# Messages of one conversation wait for the one before (its Rasa answer) in this process: past
# this many, more are refused instead of queueing minutes of work behind a flood.
MAX_WAITING_MESSAGES = 3


@dataclass(frozen=True)
class Accepted:
    """A customer's message the gateway has stored: now (`accepted`), or before under the same
    client message id (`duplicate`); `id` is the stored message's."""

    status: Literal["accepted", "duplicate"]
    id: int

    @property
    def ack(self) -> dict[str, Any]:
        """The acknowledgement of `user_uttered`."""
        return {"status": self.status, "id": self.id}


def _settled(stored: asyncio.Future[Accepted] | None, accepted: Accepted) -> Accepted:
    """Tell the waiting socket, if any, that the message is stored."""
    if stored is not None and not stored.done():
        stored.set_result(accepted)
    return accepted


@dataclass
class Hub:
    """The customer's way to the bot or a person; the assembly of lifecycle and listeners."""

    settings: HandoverSettings
    store: StateStore
    sessions: sessionmaker
    rasa: BotClient
    sio: socketio.AsyncServer
    open_ticket: TicketOpener
    # Shared with the agents' login limits; counts live in Redis when several gateways run.
    limiter: RateLimiter = field(default_factory=RateLimiter)
    # Where the lifecycle's events go: more subscribers may join at start-up.
    bus: EventBus = field(default_factory=EventBus)
    db: Database = field(init=False)
    outbox: Outbox = field(init=False)
    lifecycle: Lifecycle = field(init=False)
    presence: Presence = field(init=False)
    tickets: TicketDesk = field(init=False)
    recorder: Recorder = field(init=False)
    backlog: Backlog = field(init=False)
    # Customers' turns answered after their message was acknowledged (kept from the garbage
    # collector until done).
    _turns: set[asyncio.Task[Accepted]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.db = Database(self.sessions)
        self.backlog = Backlog(self.settings.max_bot_backlog)
        self.outbox = Outbox(self.sio, self.db, self.store, self.settings.average_handle_seconds)
        self.lifecycle = Lifecycle(self.store, self.db, self.bus)
        self.presence = Presence(self.lifecycle, grace_seconds=self.settings.agent_grace_seconds)
        self.tickets = TicketDesk(self.open_ticket, self.outbox, self.history)
        # First, reading the conversation's row while it is as the transition left it.
        self.recorder = Recorder(self.db)
        self.recorder.subscribe(self.bus)
        # In this order: the customer hears the status before the bot's hand-back answer.
        Notifier(self.outbox).subscribe(self.bus)
        self.bus.subscribe(ConversationHandedBack, self._bot_takes_back)
        self.tickets.subscribe(self.bus)

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

    async def customer_message(
        self,
        conversation_id: str,
        text: str,
        *,
        message_id: str | None = None,
        stored: asyncio.Future[Accepted] | None = None,
    ) -> Accepted:
        """Store the message; the bot answers only while it owns the conversation. After a
        close, the message reopens the conversation with the bot. Returns once it is answered;
        `stored`, if given, learns the outcome as soon as the message is stored.

        A `message_id` (the client's) that the conversation has already is a message sent
        again: `duplicate`, neither stored nor answered again.

        Raises Refused, with nothing stored, for Rasa's intent syntax other than a quick reply
        the bot just offered, when MAX_WAITING_MESSAGES of this conversation wait already, and
        (`bot_busy`) when this process is answering as many bot turns as its backlog allows.
        """
        async with self.outbox.turns.take(conversation_id, limit=MAX_WAITING_MESSAGES):
            known = message_id and await self.db(
                crud.find_customer_message,
                conversation_id=conversation_id,
                client_message_id=message_id,
            )
            if isinstance(known, Message):  # first: an ended conversation must not reopen
                return _settled(stored, Accepted("duplicate", known.id))
            with await self._bot_place(conversation_id):
                if text.strip().startswith("/"):  # the store is asked only about commands
                    check_command(text.strip(), await self.store.offered(conversation_id))
                await self.lifecycle.customer_wrote(conversation_id)
                message, accepted = await self._store(conversation_id, text, message_id)
                _settled(stored, accepted)
                if accepted.status == "accepted":
                    await self.answer(conversation_id, text, message)
                    await self.db(crud.mark_answered, message_id=message.id, at=utcnow())
                return accepted

    async def accept_customer_message(
        self, conversation_id: str, text: str, *, message_id: str | None = None
    ) -> Accepted:
        """`customer_message`, returning as soon as the message is stored (what the customer's
        socket acknowledges); the answer follows in a task of the hub's."""
        stored: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        turn = asyncio.create_task(
            self.customer_message(conversation_id, text, message_id=message_id, stored=stored)
        )
        self._turns.add(turn)

        def finished(task: asyncio.Task[Accepted]) -> None:
            self._turns.discard(task)
            failure = None if task.cancelled() else task.exception()
            if failure is not None and stored.done():  # else the caller raises it
                logger.error("answering %s failed", conversation_id, exc_info=failure)

        turn.add_done_callback(finished)
        await asyncio.wait({stored, turn}, return_when=asyncio.FIRST_COMPLETED)
        return stored.result() if stored.done() else turn.result()

    async def finish_turns(self, seconds: float) -> int:
        """Wait up to `seconds` for the answers on their way (a gateway stopping); returns how
        many are still unfinished (`handover.recovery` takes them on after the restart)."""
        if not self._turns:
            return 0
        _, unfinished = await asyncio.wait(set(self._turns), timeout=seconds)
        return len(unfinished)

    async def _store(
        self, conversation_id: str, text: str, message_id: str | None
    ) -> tuple[Message, Accepted]:
        """Store the customer's message; another gateway process may have stored the same
        message id a moment before (the unique index says so): then that one is the message."""
        try:
            message = await self.db(
                crud.add_message,
                conversation_id=conversation_id,
                sender="user",
                text=text,
                client_message_id=message_id,
            )
        except IntegrityError:
            if message_id is None:
                raise
            known = await self.db(
                crud.find_customer_message,
                conversation_id=conversation_id,
                client_message_id=message_id,
            )
            if known is None:
                raise
            return known, Accepted("duplicate", known.id)
        return message, Accepted("accepted", message.id)

    async def _bot_place(self, conversation_id: str) -> AbstractContextManager[None]:
        """A place in this process's bot backlog while the bot owns the conversation (Refused
        when none is free); nothing to hold while a person has it.

        Taken once the conversation's turn has come: nothing is awaited before the turn's
        lock, which keeps a customer's events in the order they came.
        """
        owner = await self.store.get(conversation_id)
        if owner.state in (Owner.QUEUED, Owner.ASSIGNED):
            return nullcontext()
        return self.backlog.admit()

    async def answer(self, conversation_id: str, text: str, stored: Message) -> None:
        """Pass the stored message to the agent who has the conversation, or to the bot."""
        owner = await self.store.get(conversation_id)
        if owner.state in (Owner.QUEUED, Owner.ASSIGNED):
            # Agents see what was stored: the redacted text, never the raw secret.
            event = {
                "conversation_id": conversation_id,
                "id": stored.id,  # the console matches it with the stored transcript
                "text": stored.text,
                "at": time.time(),
            }
            await self.outbox.to_agents("customer_message", event, agent=owner.agent)
            return
        try:
            widget = await self.outbox.stated_language(conversation_id)
            replies = await self.rasa.send(
                conversation_id, text, language=widget, message_id=stored.client_message_id
            )
        except (RasaUnavailable, asyncio.TimeoutError) as error:
            logger.error("Rasa did not answer for %s: %r", conversation_id, error)
            replies = await self._without_the_bot(conversation_id, text.strip())
        await self.bot_says(conversation_id, replies)

    async def end_chat(self, conversation_id: str) -> ConversationEnded:
        """The customer ends the chat, after the bot's answer to their last message."""
        async with self.outbox.turns.take(conversation_id, limit=MAX_WAITING_MESSAGES):
            return await self.lifecycle.end(conversation_id)

    async def _without_the_bot(self, conversation_id: str, said: str) -> list[dict[str, Any]]:
        """The gateway's own answer while Rasa is down: an apology, and a person on offer."""
        language = await self.outbox.language(conversation_id)
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
            await self.outbox.to_customer(conversation_id, "bot_uttered", payload)

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation so far, for a customer who reloads or reconnects; each customer
        message with the id their widget gave it (`message_id`), to match what it has pending."""
        messages = [
            message_view(m) | {"message_id": m.client_message_id}
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

    # -- the bot asks for a person ----------------------------------------------------------

    async def request_handover(
        self, conversation_id: str, reason: str, context: dict[str, Any]
    ) -> dict[str, Any]:
        """Queue the conversation for a person, or say why nobody can take it now."""
        known = await self.db(crud.get_conversation, conversation_id=conversation_id)
        if known is None:
            return {"status": "unavailable", "why": "no live chat with this customer"}
        if known.state == State.CLOSED.value:
            return {"status": "unavailable", "why": "the conversation has ended"}
        if not self.settings.is_open(datetime.now(timezone.utc)):
            return {"status": "unavailable", "why": "outside opening hours"}
        agents = len(await self.db(crud.list_online_agents))
        if not agents:
            return {"status": "unavailable", "why": "no agent online"}
        # The customer the bot verified, unless the site vouched for one at join: an
        # unverified hand-over must not erase the signed id, nor a verified account replace it.
        identity = {}
        verified = (context.get("profile") or {}).get("customer_id")
        if isinstance(verified, str) and verified and not known.customer_id:
            identity["customer_id"] = verified
        with suppress(TransitionRefused):  # queued or assigned already: say where it stands
            await self.lifecycle.queue(
                conversation_id,
                reason=reason,
                skill=queue_for(context.get("skill")),
                vulnerable=bool(context.get("vulnerable")),
                summary=context.get("summary"),
                context=context,
                language=bot_language(context) or known.language or context.get("language"),
                **identity,
            )
        owner = await self.store.get(conversation_id)
        position = await self.store.position(conversation_id)
        return {
            "status": owner.state.value,
            "position": position,
            "estimated_wait_seconds": self.outbox.estimated_wait(position, agents),
        }

    # -- agents -----------------------------------------------------------------------------

    async def agent_message(self, conversation_id: str, agent: AgentLike, text: str) -> None:
        """The agent's reply, if the conversation is theirs (else NotYours)."""
        owner = await self.store.get(conversation_id)
        if owner.state != Owner.ASSIGNED or owner.agent != agent.username:
            raise NotYours()
        async with self.outbox.turns.take(conversation_id):  # after the bot's answer on its way
            stored = await self.db(
                crud.add_message,
                conversation_id=conversation_id,
                sender="agent",
                text=text,
                agent_username=agent.username,
            )
            name = agent.display_name or agent.username
            payload = {"text": text, "custom": {"sender": "agent", "agent_name": name}}
            await self.outbox.to_customer(conversation_id, "bot_uttered", payload)
            # First response time: the first reply of each assignment is recorded.
            await self.recorder.agent_replied(conversation_id, agent.username, at=stored.created_at)

    async def transfer(
        self, conversation_id: str, agent: AgentLike, *, to_agent: str | None, to_skill: str | None
    ) -> ConversationTransferred:
        """Pass the chat to a named online agent, or to the head of the queue for a skill."""
        if to_agent is None:
            return await self.lifecycle.transfer(conversation_id, agent, to_skill=to_skill)
        target = await self.db(crud.get_agent, username=to_agent)
        if target is None:
            raise NoRoom(f"{to_agent} is not online")
        return await self.lifecycle.transfer(conversation_id, agent, to_agent=target)

    async def _bot_takes_back(self, event: ConversationHandedBack) -> None:
        """After a hand-back, tell Rasa what happened and let the bot speak again."""
        cid = event.conversation_id
        try:
            await self.rasa.append_events(cid, handback_events())
            replies = await self.rasa.trigger_intent(cid, HANDBACK_INTENT)
        except RasaUnavailable as error:
            logger.error("Rasa did not take the hand-back of %s: %s", cid, error)
            replies = [{"text": line(await self.outbox.language(cid), "handed_back")}]
        await self.bot_says(cid, replies)
