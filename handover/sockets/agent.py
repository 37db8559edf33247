"""Namespace `/agent`: live events for authenticated agents only."""

from __future__ import annotations

from typing import Any

import socketio

from handover.agent_sessions import signed_in_with
from handover.service import Hub
from handover.sockets.base import GuardedNamespace

NAMESPACE = "/agent"


def bearer(auth: Any, environ: dict[str, Any]) -> str | None:
    """The token from the Socket.IO auth payload, or from an Authorization header."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    header = environ.get("HTTP_AUTHORIZATION", "")
    return header[7:] if header.startswith("Bearer ") else None


def session_room(session_id: str) -> str:
    """The room of the sockets opened with one sign-in session's tokens."""
    return f"agent-session:{session_id}"


async def sign_out_sockets(sio: socketio.AsyncServer, session_id: str) -> None:
    """Close the sockets of a revoked session: here at once; other gateway processes' consoles
    hear `signed_out` and close theirs (a socket never outlives the next connect check)."""
    room = session_room(session_id)
    await sio.emit("signed_out", {}, room=room, namespace=NAMESPACE)
    local = [sid for sid, _ in sio.manager.get_participants(NAMESPACE, room)]
    for sid in local:
        await sio.disconnect(sid, namespace=NAMESPACE)


class AgentNamespace(GuardedNamespace):
    """Pushes queue changes and customer messages; agents send typing indicators."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(NAMESPACE)
        self.hub = hub

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        found = await signed_in_with(self.hub, bearer(auth, environ))
        if found is None:  # a bad token, or a session ended by logout
            raise socketio.exceptions.ConnectionRefusedError("authentication failed")
        agent, claims = found.agent, found.claims
        await self.save_session(sid, {"agent": agent.username})
        await self.enter_room(sid, session_room(claims.session_id))
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
