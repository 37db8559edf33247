"""Namespace `/agent`: live events for authenticated agents only."""

from __future__ import annotations

from typing import Any

import socketio

from handover import crud
from handover.security import read_token
from handover.service import Hub


def bearer(auth: Any, environ: dict[str, Any]) -> str | None:
    """The token from the Socket.IO auth payload, or from an Authorization header."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    header = environ.get("HTTP_AUTHORIZATION", "")
    return header[7:] if header.startswith("Bearer ") else None


class AgentNamespace(socketio.AsyncNamespace):
    """Pushes queue changes and customer messages; agents send typing indicators."""

    def __init__(self, hub: Hub) -> None:
        super().__init__("/agent")
        self.hub = hub

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = bearer(auth, environ)
        username = read_token(token, self.hub.settings.secret_key) if token else None
        agent = await self.hub.db(crud.get_agent, username=username) if username else None
        if agent is None:
            raise socketio.exceptions.ConnectionRefusedError("authentication failed")
        await self.save_session(sid, {"agent": agent.username})
        await self.enter_room(sid, "agents")
        await self.enter_room(sid, f"agent:{agent.username}")
        await self.hub.agent_connected(agent.username)

    async def on_disconnect(self, sid: str) -> None:
        session = await self.get_session(sid)
        if session and session.get("agent"):
            await self.hub.agent_disconnected(session["agent"])

    async def on_typing(self, sid: str, data: Any = None) -> None:
        session = await self.get_session(sid)
        conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
        if not session or not isinstance(conversation_id, str):
            await self.emit("error", {"error": "typing needs a conversation_id"}, to=sid)
            return
        owner = await self.hub.store.get(conversation_id)
        if owner.agent != session["agent"]:
            await self.emit("error", {"error": "the conversation is not yours"}, to=sid)
            return
        typing = {"sender": "agent", "typing": bool(data.get("typing"))}
        await self.hub.to_customer(conversation_id, "typing", typing)
