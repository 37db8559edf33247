"""Random but well-formed `conversation_events` histories for the facts tests: each contact
walks the gateway's states (bot, queued, assigned, ended) the way the lifecycle moves them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from handover.models import SKILLS, RecordedEvent

AGENTS = ("ada", "bob", "cy", "dee")
REASONS = ("customer_request", "repeated_fallback", None)


def contact_rows(
    rng: random.Random, cid: str, episode: int, at: datetime, common: dict[str, Any]
) -> list[RecordedEvent]:
    """One contact's events from `at`: an opening, then moves until it ends (or stops open)."""
    rows: list[RecordedEvent] = []

    def add(kind: str, **columns: Any) -> None:
        nonlocal at
        rows.append(RecordedEvent(conversation_id=cid, episode=episode, kind=kind, at=at,
                                  **common, **columns))  # fmt: skip
        # Mostly minutes apart; now and then days (a queue overnight, a rating much later).
        at += timedelta(minutes=rng.choice((0, 0.5, 1, 3, 7, 20, 90, 1500, 2900)))

    add("started" if episode == 1 else "reopened")
    state, agent, skill = "bot", None, None
    for _ in range(rng.randint(0, 9)):
        roll = rng.random()
        if state == "bot":
            if roll < 0.5:
                skill = rng.choice(SKILLS)
                add("queued", skill=skill, reason=rng.choice(REASONS))
                state = "queued"
            else:
                add("ended", outcome=rng.choice(("resolved_by_bot", "abandoned")))
                state = "ended"
        elif state == "queued":
            if roll < 0.6:
                agent = rng.choice(AGENTS)
                add("assigned", agent=agent, skill=skill)
                state = "assigned"
            elif roll < 0.7:
                skill = rng.choice(SKILLS)
                add("transferred", skill=skill)
            elif roll < 0.85:
                add("ended", outcome="abandoned", skill=skill)
                state = "ended"
            else:
                add("expired", outcome="ticket", skill=skill)
                state = "ended"
        elif state == "assigned":
            if roll < 0.35:
                add("agent_replied", agent=agent, skill=skill)
            elif roll < 0.45:
                other = rng.choice(AGENTS)
                add("transferred", agent=agent, to_agent=other, skill=skill)
                agent = other
            elif roll < 0.5:
                add("requeued", agent=agent, skill=skill)
                state = "queued"
            elif roll < 0.55:
                add("handed_back", agent=agent, skill=skill)
                state = "bot"
            elif roll < 0.85:
                # Now and then a supervisor closes someone else's chat.
                closer = agent if rng.random() < 0.85 else "sup"
                add("closed", agent=closer, skill=skill, outcome="resolved_by_agent",
                    wrap_up="resolved")  # fmt: skip
                state = "ended"
            else:
                add("ended", agent=agent, skill=skill, outcome="ended_by_customer")
                state = "ended"
        elif roll < 0.5:
            add("rated", score=rng.randint(1, 5), agent=agent)
        else:
            break
    return rows


def history(rng: random.Random, conversations: int, start: datetime, days: int) -> list[Any]:
    """Events of `conversations` conversations opened over `days` days from `start`, some
    with a second or third contact, customers shared between conversations."""
    events: list[RecordedEvent] = []
    for n in range(conversations):
        known = rng.randrange(conversations // 4 + 2)  # about four conversations each
        customer = f"CUS-{known}" if known else None
        common = {
            "customer_id": customer,
            "language": rng.choice(("en", "fr")),
            "channel": rng.choice(("socketio", "rest")),
        }
        at = start + timedelta(minutes=rng.uniform(0, days * 1440))
        for episode in range(1, rng.choice((1, 1, 1, 2, 3)) + 1):
            rows = contact_rows(rng, f"conv-{n}", episode, at, common)
            events.extend(rows)
            at = rows[-1].at + timedelta(hours=rng.uniform(1, 24 * 5))
    # Recorded in time order, as the gateway writes them.
    events.sort(key=lambda row: row.at)
    return events
