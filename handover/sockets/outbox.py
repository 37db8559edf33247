"""What the gateway sends: to a customer's conversation, to agents, and its own lines.

Customers hear on namespace `/` in the room named by their conversation id; agents on
`/agent`, all of them in the room `agents`, one of them in `agent:{username}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import socketio

from handover import crud
from handover.crud.runner import Database
from handover.lifecycle import State, Status, records
from handover.state import StateStore
from handover.texts import LANGUAGES, line
from handover.turns import Turns


@dataclass
class Outbox:
    """Emits to customers and agents; stores and says the gateway's own lines."""

    sio: socketio.AsyncServer
    db: Database
    store: StateStore
    average_handle_seconds: float
    # One step at a time per conversation: a message with the bot's answer, then what follows.
    turns: Turns = field(default_factory=Turns)

    async def to_customer(self, conversation_id: str, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=conversation_id, namespace="/")

    async def to_agents(self, event: str, data: Any, agent: str | None = None) -> None:
        room = f"agent:{agent}" if agent else "agents"
        await self.sio.emit(event, data, room=room, namespace="/agent")

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

    def estimated_wait(self, position: int | None, agents: int) -> int | None:
        """Seconds until a person is free for the customer at `position`."""
        if position is None:
            return None
        return round(position * self.average_handle_seconds / max(1, agents))

    async def queue_changed(self) -> None:
        """Tell agents the new queue and each waiting customer their place."""
        queued = await self.store.queue()
        await self.to_agents("queue_updated", {"size": len(queued)})
        agents = len(await self.db(crud.list_online_agents)) if queued else 0
        for number, owner in enumerate(queued, start=1):
            waiting = {
                "state": "queued",
                "position": number,
                "estimated_wait_seconds": self.estimated_wait(number, agents),
            }
            await self.to_customer(owner.conversation_id, "handover_status", waiting)

    async def status(self, conversation_id: str) -> dict[str, Any]:
        """The `handover_status` of a customer who (re)joins: who has the conversation (the
        agent's name), their place in the queue, or how it ended."""
        where: Status = await self.db(records.status, conversation_id=conversation_id)
        payload: dict[str, Any] = {"state": where.state.value}
        if where.state == State.ASSIGNED and where.agent:
            agent = await self.db(crud.get_agent, username=where.agent)
            payload["agent_name"] = (agent and agent.display_name) or where.agent
        elif where.state == State.QUEUED:
            position = await self.store.position(conversation_id)
            agents = len(await self.db(crud.list_online_agents))
            payload["position"] = position
            payload["estimated_wait_seconds"] = self.estimated_wait(position, agents)
        elif where.state == State.CLOSED and where.outcome is not None:
            payload["outcome"] = where.outcome.value
        return payload
