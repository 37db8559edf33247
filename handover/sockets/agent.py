"""Namespace `/agent`: live events for authenticated agents only; supervisors', admins' and
managers' sockets also join the room `supervisors` (`overview_changed`, sockets/notify.py).

A manager's socket (a dashboard's) joins only that room and its session's: nothing about any
one chat reaches it, it never counts as a console at work (presence), and its chat events
(typing, closing) are refused with `not_allowed`.
"""

from __future__ import annotations

from typing import Any

import socketio

from handover import crud
from handover.agent_sessions import signed_in_with
from handover.customer_input import Refused
from handover.ids import is_session_id
from handover.lifecycle import wrap_up_note, wrap_up_reason
from handover.models import NO_CHAT_ROLES, REPORTING_ROLES
from handover.service import Hub
from handover.sockets.base import GuardedNamespace
from handover.sockets.notify import SUPERVISORS, nudge_supervisors

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
    """Pushes queue changes and customer messages; agents send typing indicators and may
    close their conversations."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(NAMESPACE)
        self.hub = hub

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        found = await signed_in_with(self.hub, bearer(auth, environ))
        if found is None:  # a bad token, or a session ended by logout
            raise socketio.exceptions.ConnectionRefusedError("authentication failed")
        agent, claims = found.agent, found.claims
        # A role changed later counts from the next connect.
        takes_chats = agent.role not in NO_CHAT_ROLES
        await self.save_session(
            sid, {"agent": agent.username, "role": agent.role, "takes_chats": takes_chats}
        )
        await self.enter_room(sid, session_room(claims.session_id))
        if agent.role in REPORTING_ROLES:  # the dashboard and the supervisors' view
            await self.enter_room(sid, SUPERVISORS)
        if not takes_chats:
            return
        await self.enter_room(sid, "agents")
        await self.enter_room(sid, f"agent:{agent.username}")
        self.hub.presence.connected(agent.username)
        await nudge_supervisors(self.hub.outbox)  # signing in set them online

    async def _chat_taker(self, sid: str) -> dict[str, Any]:
        """The socket's session, if its agent takes chats (a manager's or trainer's is refused)."""
        session = await self.get_session(sid) or {}
        if not session.get("takes_chats", False):
            raise Refused("not_allowed", f"{session.get('role', 'manager')}s take no chats")
        return session

    async def on_disconnect(self, sid: str) -> None:
        session = await self.get_session(sid)
        if session and session.get("agent") and session.get("takes_chats"):
            self.hub.presence.disconnected(session["agent"])
            await nudge_supervisors(self.hub.outbox)  # signing out sets them offline

    async def on_typing(self, sid: str, data: Any = None) -> None:
        session = await self._chat_taker(sid)
        conversation_id = data.get("conversation_id") if isinstance(data, dict) else None
        if not session or not isinstance(conversation_id, str):
            await self.emit("error", {"error": "typing needs a conversation_id"}, to=sid)
            return
        owner = await self.hub.store.get(conversation_id)
        if owner.agent != session["agent"]:
            await self.emit("error", {"error": "the conversation is not yours"}, to=sid)
            return
        typing = {"sender": "agent", "typing": bool(data.get("typing"))}
        await self.hub.outbox.to_customer(conversation_id, "typing", typing)

    async def on_close_conversation(self, sid: str, data: Any = None) -> dict[str, Any]:
        """`{conversation_id, reason?, note?}`: close a conversation assigned to this agent.

        The reason (resolved, not_resolved, duplicate, spam) may be left out, for consoles
        that do not ask for one yet: the episode then records none. The REST route needs it.
        """
        session = await self._chat_taker(sid)
        payload = data if isinstance(data, dict) else {}
        conversation_id = payload.get("conversation_id")
        if not is_session_id(conversation_id):
            raise Refused("invalid_payload", "close_conversation needs a conversation_id")
        reason = payload.get("reason")
        wrap_up = wrap_up_reason(reason) if reason is not None else None
        note = wrap_up_note(payload.get("note"))
        agent = await self.hub.db(crud.get_agent, username=(session or {}).get("agent", ""))
        if agent is None:
            raise Refused("not_signed_in", "sign in again")
        closed = await self.hub.lifecycle.close(
            str(conversation_id), agent, reason=wrap_up, note=note
        )
        return {
            "conversation_id": conversation_id,
            "state": "closed",
            "outcome": closed.outcome.value,
            "reason": reason,
        }
