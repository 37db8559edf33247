"""Namespace `/`: Rasa's socket.io protocol, so existing Rasa widgets work unchanged."""

from __future__ import annotations

import re
import uuid
from typing import Any

import socketio

from handover.service import MAX_MESSAGE_CHARS, Hub

SESSION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def session_id_of(data: Any) -> str | None:
    """The session id a client sent, if it is one we accept."""
    value = data.get("session_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and SESSION_ID.fullmatch(value) else None


class CustomerNamespace(socketio.AsyncNamespace):
    """`session_request` -> `session_confirm`; `user_uttered` -> `bot_uttered`."""

    def __init__(self, hub: Hub) -> None:
        super().__init__("/")
        self.hub = hub

    async def _error(self, sid: str, message: str) -> None:
        await self.emit("error", {"error": message}, to=sid)

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        asked = data.get("session_id") if isinstance(data, dict) else None
        session_id = session_id_of(data) if asked else uuid.uuid4().hex
        if session_id is None:
            await self._error(sid, "session_id must be 1-128 letters, digits or _.:-")
            return
        await self._join(sid, session_id)
        await self.emit("session_confirm", session_id, to=sid)
        owner = await self.hub.store.get(session_id)
        await self.emit("handover_status", {"state": owner.state.value}, to=sid)

    async def on_user_uttered(self, sid: str, data: Any = None) -> None:
        session_id = await self._session_of(sid, data)
        if session_id is None:
            return
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, str) or not message.strip():
            await self._error(sid, "message must be a non-empty string")
            return
        if len(message) > MAX_MESSAGE_CHARS:
            await self._error(sid, f"message is longer than {MAX_MESSAGE_CHARS} characters")
            return
        await self.hub.customer_message(session_id, message)

    async def on_history_request(self, sid: str, data: Any = None) -> None:
        session_id = await self._session_of(sid, data)
        if session_id is not None:
            messages = await self.hub.history(session_id)
            await self.emit("history", {"session_id": session_id, "messages": messages}, to=sid)

    async def on_satisfaction(self, sid: str, data: Any = None) -> None:
        """The answer to the widget's closing question: `{"score": 1..5}`."""
        session_id = await self._session_of(sid, data)
        if session_id is None:
            return
        score = data.get("score") if isinstance(data, dict) else None
        try:
            await self.hub.rate(session_id, score)
        except ValueError as error:
            await self._error(sid, str(error))
            return
        await self.emit("satisfaction_saved", {"score": score}, to=sid)

    async def on_typing(self, sid: str, data: Any = None) -> None:
        session_id = await self._session_of(sid, data)
        if session_id is None:
            return
        owner = await self.hub.store.get(session_id)
        if owner.agent:
            typing = bool(data.get("typing")) if isinstance(data, dict) else False
            event = {"conversation_id": session_id, "typing": typing}
            await self.hub.to_agents("customer_typing", event, agent=owner.agent)

    async def on_disconnect(self, sid: str) -> None:
        session = await self.get_session(sid)
        session_id = session.get("session_id") if session else None
        if session_id:
            owner = await self.hub.store.get(session_id)
            if owner.agent:
                event = {"conversation_id": session_id}
                await self.hub.to_agents("customer_left", event, agent=owner.agent)

    async def _session_of(self, sid: str, data: Any) -> str | None:
        """The conversation of this socket: confirmed by `session_request`, or named in data."""
        session = await self.get_session(sid)
        confirmed = session.get("session_id") if session else None
        named = session_id_of(data)
        if confirmed and named and named != confirmed:
            await self._error(sid, "session_id does not match this connection's session")
            return None
        if confirmed is None and named is not None:
            # Rasa widgets may send messages right after reconnecting, before session_request.
            await self._join(sid, named)
            return named
        if confirmed is None:
            await self._error(sid, "send session_request first")
        return confirmed

    async def _join(self, sid: str, session_id: str) -> None:
        """Bind this socket to the conversation: its room gets every message for it."""
        session = await self.get_session(sid)
        previous = session.get("session_id") if session else None
        if previous and previous != session_id:  # the widget started a new conversation
            await self.leave_room(sid, previous)
        await self.save_session(sid, {"session_id": session_id})
        await self.enter_room(sid, session_id)
        await self.hub.customer_joined(session_id)
