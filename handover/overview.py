"""What supervisors see: every conversation waiting, in serving order, and every agent with
their status, their load and the chats they have now.

Ownership and load come from the state store (what routing itself uses); why each customer
came, the bot's summary and the customer's name (once verified) from the database, in one
query for the lot. Customers appear by name only: the rest of their profile stays in the
conversation's packet, which supervisors open like any agent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import crud
from handover.models import NO_CHAT_ROLES, Conversation
from handover.service import Hub
from handover.state import Ownership


def conversation_facts(session: Session, *, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per conversation id: its reason, summary, priority, customer's name (once verified),
    and when its agent got it (the store keeps the first agent's time through moves)."""
    if not ids:
        return {}
    rows = session.execute(select(Conversation).where(Conversation.id.in_(ids))).scalars()
    facts = {}
    for row in rows:
        context = row.context if isinstance(row.context, dict) else {}
        profile = context.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        facts[row.id] = {
            "reason": row.reason,
            "summary": row.summary,
            "priority": context.get("priority") or "normal",
            "customer": name if isinstance(name, str) and name else None,
            "assigned_at": row.assigned_at.timestamp() if row.assigned_at else None,
        }
    return facts


def _seconds_since(moment: float | None, now: float) -> int | None:
    return max(0, round(now - moment)) if moment else None


async def build_overview(hub: Hub) -> dict[str, Any]:
    """The queue, the agents and the totals, as `GET /api/supervisor/overview` answers."""
    now = hub.lifecycle.clock()
    queued = await hub.store.queue()
    # Managers take no chats: not part of the team on the floor.
    agents = [a for a in await hub.db(crud.list_agents) if a.role not in NO_CHAT_ROLES]
    held = {agent.username: await hub.store.assigned_to(agent.username) for agent in agents}
    ids = [owner.conversation_id for owner in queued]
    ids += [owner.conversation_id for chats in held.values() for owner in chats]
    facts = await hub.db(conversation_facts, ids=ids)

    def known(owner: Ownership) -> dict[str, Any]:
        return facts.get(owner.conversation_id) or {
            "reason": None, "summary": None, "priority": "normal", "customer": None,
            "assigned_at": None,
        }  # fmt: skip

    def held_since(owner: Ownership) -> float | None:
        return known(owner)["assigned_at"] or owner.assigned_at

    queue = [
        {
            **{key: known(owner)[key] for key in ("reason", "summary", "priority", "customer")},
            "conversation_id": owner.conversation_id,
            "position": position,
            "skill": owner.skill,
            "vulnerable": owner.vulnerable,
            "waiting_seconds": _seconds_since(owner.queued_at, now),
        }
        for position, owner in enumerate(queued, start=1)
    ]
    team = [
        {
            "username": agent.username,
            "display_name": agent.display_name,
            "role": agent.role,
            "status": agent.status,
            "skills": crud.agent_skills(agent),
            "capacity": agent.capacity,
            "load": len(held[agent.username]),
            "conversations": [
                {
                    "conversation_id": owner.conversation_id,
                    "skill": owner.skill,
                    "customer": known(owner)["customer"],
                    "assigned_at": held_since(owner),
                    "held_seconds": _seconds_since(held_since(owner), now),
                }
                for owner in held[agent.username]
            ],
        }
        for agent in agents
    ]
    return {"queue": queue, "agents": team, "totals": _totals(queue, team)}


def _totals(queue: list[dict[str, Any]], team: list[dict[str, Any]]) -> dict[str, Any]:
    online = [agent for agent in team if agent["status"] == "online"]
    waits = [item["waiting_seconds"] for item in queue if item["waiting_seconds"] is not None]
    return {
        "waiting": len(queue),
        "assigned": sum(agent["load"] for agent in team),
        "agents_online": len(online),
        "agents_away": sum(agent["status"] == "away" for agent in team),
        "agents_offline": sum(agent["status"] == "offline" for agent in team),
        # Chats the online agents could still take: what the queue may expect soon.
        "free_seats": sum(max(0, agent["capacity"] - agent["load"]) for agent in online),
        "longest_wait_seconds": max(waits, default=None),
    }
