"""Namespace `/`: Rasa's socket.io protocol, so existing Rasa widgets work unchanged.

The gateway issues every session id, with a secret (see `credentials`); joining a conversation
needs both. `session_request` binds the socket to a conversation: the one it names when the
secret matches, else a new one, so an id alone reveals nothing. `session_confirm` answers
`{"session_id", "session_secret"}` (rasa-webchat reads `session_id` from it). The secret may
come as `session_secret` or `customData.session_secret` in `session_request`, or in the
Socket.IO connect `auth` payload. Every other event needs a socket bound this way (one sent
right after `session_request` waits for it), and acts on that conversation whatever
`session_id` it names. A host
site may vouch for its signed-in customer with `customer_id` and `customer_hash`.

`user_uttered` may carry the client's `message_id` (or `customData.message_id`): a message sent
again with it is acknowledged as a duplicate, not stored or answered twice.

Beyond Rasa's protocol: `end_chat` ends the conversation (answered, to every socket of the
conversation, with `handover_status {state: "closed", outcome}`), after which `satisfaction
{score}` rates it; a message written after that reopens it with the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from handover.customer_input import Refused, check_message_id
from handover.ids import is_session_id
from handover.service import MAX_MESSAGE_CHARS, Hub
from handover.sockets.base import GuardedNamespace
from handover.sockets.credentials import is_valid, is_valid_identity, new_session
from handover.texts import LANGUAGES

CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")  # conversations.customer_id holds 64
# How long an event sent right after `session_request` waits for the join before it is refused.
JOIN_WAIT_SECONDS = 10.0


def _field(data: Any, name: str) -> Any:
    """`name` from the payload, or from its `customData` (how rasa-webchat sends extras)."""
    if not isinstance(data, dict):
        return None
    custom = data.get("customData")
    if name not in data and isinstance(custom, dict):
        return custom.get(name)
    return data.get(name)


class CustomerNamespace(GuardedNamespace):
    """`session_request` -> `session_confirm`; `user_uttered` -> `bot_uttered`; `end_chat`."""

    def __init__(self, hub: Hub) -> None:
        super().__init__("/")
        self.hub = hub
        # Sockets whose session_request is being handled: their next events wait for it.
        self._joining: dict[str, asyncio.Event] = {}

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """As every namespace's; a `session_request` also holds the socket's later events
        until it is done. python-socketio runs each event in a task of its own, and the join
        awaits the database: a widget that sends its first message right after asking for the
        session (a closed loop under load did) would otherwise be told `not_joined`."""
        if event != "session_request" or not args:
            return await super().trigger_event(event, *args)
        sid, joined = args[0], asyncio.Event()
        self._joining[sid] = joined  # before any await: the events behind it see it
        try:
            return await super().trigger_event(event, *args)
        finally:
            joined.set()
            if self._joining.get(sid) is joined:
                del self._joining[sid]

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        secret = auth.get("session_secret") if isinstance(auth, dict) else None
        if isinstance(secret, str):  # checked with the id that session_request names
            await self.save_session(sid, {"auth_secret": secret})

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        session = await self.get_session(sid)
        asked = _field(data, "session_id")
        secret = _field(data, "session_secret") or session.get("auth_secret")
        key = self.hub.settings.secret_key
        if is_session_id(asked) and is_valid(key, asked, secret):
            session_id = asked
        else:  # no id, an invented one or a wrong secret: a conversation of its own
            session_id, secret = new_session(key)
        language = _field(data, "language")
        customer_id = await self._vouched_customer(sid, data)
        await self._join(sid, session_id, language if language in LANGUAGES else None, customer_id)
        confirm = {"session_id": session_id, "session_secret": secret}
        await self.emit("session_confirm", confirm, to=sid)
        await self.emit("handover_status", await self.hub.outbox.status(session_id), to=sid)

    async def on_user_uttered(self, sid: str, data: Any = None) -> dict[str, Any]:
        """Acknowledged once the message is stored, before the bot's answer: `{"status":
        "accepted" | "duplicate", "id"}` (`duplicate`: its `message_id` was stored before)."""
        session_id = await self._session_of(sid, data)
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, str) or not message.strip():
            raise Refused("invalid_payload", "message must be a non-empty string")
        if len(message) > MAX_MESSAGE_CHARS:
            raise Refused("invalid_payload", f"message is longer than {MAX_MESSAGE_CHARS} chars")
        message_id = check_message_id(_field(data, "message_id"))
        settings = self.hub.settings
        limits = (
            (settings.customer_message_limit, "socket", sid),
            (settings.conversation_message_limit, "conversation", session_id),
        )
        for limit, kind, key in limits:
            verdict = await self.hub.limiter.hit(limit, "customer-message", kind, key)
            if not verdict.allowed:
                said = f"too many messages from this {kind}, please wait"
                raise Refused("rate_limited", said, verdict.retry_after_seconds)
        accepted = await self.hub.accept_customer_message(
            session_id, message, message_id=message_id
        )
        return accepted.ack

    async def on_history_request(self, sid: str, data: Any = None) -> None:
        session_id = await self._session_of(sid, data)
        messages = await self.hub.history(session_id)
        await self.emit("history", {"session_id": session_id, "messages": messages}, to=sid)

    async def on_end_chat(self, sid: str, data: Any = None) -> dict[str, Any]:
        """The customer ends the conversation, whoever has it (`not_allowed` once it has)."""
        session_id = await self._session_of(sid, data)
        ended = await self.hub.end_chat(session_id)
        return {"state": "closed", "outcome": ended.outcome.value, "episode": ended.episode}

    async def on_satisfaction(self, sid: str, data: Any = None) -> None:
        """The answer to the widget's closing question, `{"score": 1..5}`, once the
        conversation has ended or closed (`not_allowed` before)."""
        session_id = await self._session_of(sid, data)
        score = data.get("score") if isinstance(data, dict) else None
        await self.hub.lifecycle.rate(session_id, score)
        await self.emit("satisfaction_saved", {"score": score}, to=sid)

    async def on_typing(self, sid: str, data: Any = None) -> None:
        session_id = await self._session_of(sid, data)
        owner = await self.hub.store.get(session_id)
        if owner.agent:
            typing = bool(data.get("typing")) if isinstance(data, dict) else False
            event = {"conversation_id": session_id, "typing": typing}
            await self.hub.outbox.to_agents("customer_typing", event, agent=owner.agent)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        session_id = session.get("session_id") if session else None
        if session_id:
            owner = await self.hub.store.get(session_id)
            if owner.agent:
                event = {"conversation_id": session_id}
                await self.hub.outbox.to_agents("customer_left", event, agent=owner.agent)

    async def _session_of(self, sid: str, data: Any) -> str:
        """The conversation this socket joined with `session_request`; Refused if none.

        A `session_id` in the payload is not read: Rasa clients that ignore the id in
        `session_confirm` (and send the one they asked for) still reach their conversation,
        and naming another one reaches nothing.
        """
        joining = self._joining.get(sid)
        if joining is not None:  # sent right after its session_request: wait for the join
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(joining.wait(), JOIN_WAIT_SECONDS)
        session = await self.get_session(sid)
        confirmed = session.get("session_id") if session else None
        if confirmed is None:
            raise Refused("not_joined", "send session_request first")
        return confirmed

    async def _vouched_customer(self, sid: str, data: Any) -> str | None:
        """The customer id the host site signed, if any; a bad signature is reported, not fatal."""
        customer_id, customer_hash = _field(data, "customer_id"), _field(data, "customer_hash")
        if customer_id is None and customer_hash is None:
            return None
        secret = self.hub.settings.identity_secret
        if (
            secret
            and CUSTOMER_ID.fullmatch(str(customer_id))
            and is_valid_identity(secret, customer_id, customer_hash)
        ):
            return customer_id
        await self.refuse(sid, Refused("invalid_identity", "the customer's identity is not signed"))
        return None

    async def _join(
        self, sid: str, session_id: str, language: str | None, customer_id: str | None = None
    ) -> None:
        """Bind this socket to the conversation: its room gets every message for it."""
        session = await self.get_session(sid)
        previous = session.get("session_id")
        if previous and previous != session_id:  # the widget started a new conversation
            await self.leave_room(sid, previous)
        await self.hub.customer_joined(session_id, language, customer_id)
        await self.save_session(sid, {**session, "session_id": session_id})
        await self.enter_room(sid, session_id)
