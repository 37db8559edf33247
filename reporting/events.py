"""The row of `conversation_events` (`handover.models.RecordedEvent`) for each lifecycle event.

One flat row per event: `conversation_id`, `episode`, `kind`, `at` (UTC), and what reports
filter or group by. The event gives what it knows; the conversation's row gives the rest:

- `customer_id`, `language`: the conversation's, when the event is recorded;
- `channel`: where the customer wrote: `socketio`, the gateway's socket, as Rasa's events name
  it (the only channel that reaches the gateway for now);
- `skill`, `reason`: the queue, and why the bot asked for a person (`queued` carries its own;
  a transfer to a skill names the new queue);
- `agent`: who accepted, was given, passed on, handed back, lost, closed or replied; or who
  had the contact that ended or was rated;
- `to_agent`: who received a transfer between agents;
- `outcome`, `wrap_up`: how a contact ended (`closed`, `ended`, `expired`), the agent's reason;
- `score`: the customer's 1-5 rating (`rated`);
- `supervisor`: who assigned or moved it, when not the agent (`assigned`, `transferred`).

No free text, by construction: no summary, wrap-up note or message is copied, and `skill` and
`reason` are kept only when they are slugs like the bot's own (`customer_request`); anything
else a caller sent becomes `other`. The rows hold no personal text, so they need no
redaction; the customer id is personal data, so retention and erasure delete them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handover.lifecycle import (
    ConversationAssigned,
    ConversationClosed,
    ConversationEnded,
    ConversationEvent,
    ConversationExpired,
    ConversationHandedBack,
    ConversationQueued,
    ConversationRated,
    ConversationReopened,
    ConversationRequeued,
    ConversationStarted,
    ConversationTransferred,
)
from handover.models import EventKind

WIDGET = "socketio"  # the gateway's own customer socket: Rasa's `input_channel` for it
OTHER = "other"
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# By exact class: an ended or expired contact is a ConversationClosed too, but not "closed".
KINDS: dict[type[ConversationEvent], EventKind] = {
    ConversationStarted: "started",
    ConversationQueued: "queued",
    ConversationAssigned: "assigned",
    ConversationTransferred: "transferred",
    ConversationHandedBack: "handed_back",
    ConversationRequeued: "requeued",
    ConversationClosed: "closed",
    ConversationEnded: "ended",
    ConversationExpired: "expired",
    ConversationReopened: "reopened",
    ConversationRated: "rated",
}


@dataclass(frozen=True)
class Known:
    """What the conversation's row adds to an event."""

    customer_id: str | None = None
    language: str | None = None
    skill: str | None = None
    reason: str | None = None


def slug(value: str | None) -> str | None:
    """`value` if it is a short lowercase slug, else `other`; None stays None."""
    if value is None:
        return None
    return value if SLUG.fullmatch(value) else OTHER


def row_of(event: ConversationEvent, known: Known, *, channel: str = WIDGET) -> dict[str, Any]:
    """The columns of the event's row; KeyError for an event class it does not know."""
    row: dict[str, Any] = {
        "conversation_id": event.conversation_id,
        "episode": event.episode,
        "kind": KINDS[type(event)],
        "at": event.at,
        "customer_id": known.customer_id,
        "language": known.language,
        "channel": channel,
        "skill": known.skill,
        "reason": known.reason,
    }
    match event:
        case ConversationQueued():
            row.update(skill=event.skill, reason=event.reason)
        case ConversationAssigned():
            row.update(agent=event.agent, supervisor=event.by)
        case ConversationTransferred():
            row.update(agent=event.from_agent, to_agent=event.to_agent, supervisor=event.by)
            if event.to_skill is not None:
                row["skill"] = event.to_skill
        case ConversationHandedBack() | ConversationRequeued():
            row["agent"] = event.agent
        case ConversationClosed():
            row.update(agent=event.agent, outcome=event.outcome.value)
            row["wrap_up"] = event.reason.value if event.reason is not None else None
        case ConversationRated():
            row.update(agent=event.agent, score=event.score)
    row.update(skill=slug(row["skill"]), reason=slug(row["reason"]))
    return row


def reply_row(
    conversation_id: str,
    episode: int,
    agent: str,
    at: datetime,
    known: Known,
    *,
    channel: str = WIDGET,
) -> dict[str, Any]:
    """The columns of an agent's first reply since the conversation became theirs."""
    return {
        "conversation_id": conversation_id,
        "episode": episode,
        "kind": "agent_replied",
        "at": at,
        "customer_id": known.customer_id,
        "language": known.language,
        "channel": channel,
        "skill": slug(known.skill),
        "reason": slug(known.reason),
        "agent": agent,
    }
