"""Records what happens to conversations in `conversation_events`, for reports.

`Recorder(db).subscribe(bus)` writes one row per lifecycle event (`reporting.events` says which
columns), and the hub calls `agent_replied` after each agent message: the first reply of each
assignment is recorded (first response time is counted from it), later ones are not.

Each row is written in its own short transaction after the transition committed, so a failed
write is logged and lost, never raised: the conversation has moved on either way and its
customer and agent must not hear of reporting. Nothing is recorded for a conversation whose row
is gone (erased or purged meanwhile): an erased customer must not come back as a stray row.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover import crud
from handover.crud.runner import Database
from handover.lifecycle import ConversationEvent, EventBus
from handover.models import Conversation, RecordedEvent
from reporting.events import WIDGET, Known, reply_row, row_of

logger = logging.getLogger(__name__)
# The rows after which an agent's next reply is the first of their assignment.
ASSIGNMENT_STARTS = ("assigned", "transferred")


class Recorder:
    """Writes each lifecycle event, and each assignment's first agent reply, as one row."""

    def __init__(self, db: Database, *, channel: str = WIDGET) -> None:
        self.db = db
        self.channel = channel

    def subscribe(self, bus: EventBus) -> None:
        """Record every event published on `bus`."""
        bus.subscribe(ConversationEvent, self.record)

    async def record(self, event: ConversationEvent) -> None:
        """One row for `event`; a failure is logged, not raised."""
        try:
            await self.db(_write_event, event=event, channel=self.channel)
        except Exception:  # the transition is done: reporting must not undo or refuse it
            logger.exception(
                "recording %s of %s failed", type(event).__name__, event.conversation_id
            )

    async def agent_replied(self, conversation_id: str, agent: str, *, at: datetime) -> None:
        """One row if this is `agent`'s first reply since the conversation became theirs; a
        failure is logged, not raised."""
        try:
            await self.db(
                _write_reply,
                conversation_id=conversation_id,
                agent=agent,
                at=at,
                channel=self.channel,
            )
        except Exception:  # the message is stored and sent: reporting must not refuse it
            logger.exception("recording a reply of %s to %s failed", agent, conversation_id)


def _known(conversation: Conversation) -> Known:
    return Known(
        customer_id=conversation.customer_id,
        language=conversation.language,
        skill=conversation.skill,
        reason=conversation.reason,
    )


def _write_event(session: Session, *, event: ConversationEvent, channel: str) -> None:
    conversation = crud.get_conversation(session, conversation_id=event.conversation_id)
    if conversation is None:
        logger.info("not recording %s: %s is gone", type(event).__name__, event.conversation_id)
        return
    session.add(RecordedEvent(**row_of(event, _known(conversation), channel=channel)))


def _write_reply(
    session: Session, *, conversation_id: str, agent: str, at: datetime, channel: str
) -> None:
    conversation = crud.get_conversation(session, conversation_id=conversation_id)
    episode = crud.latest_episode(session, conversation_id=conversation_id)
    if conversation is None or episode is None:
        return
    # The latest row that starts an assignment or records a reply: ids follow insertion.
    latest = session.execute(
        select(RecordedEvent.kind, RecordedEvent.agent)
        .where(
            RecordedEvent.conversation_id == conversation_id,
            RecordedEvent.kind.in_((*ASSIGNMENT_STARTS, "agent_replied")),
        )
        .order_by(RecordedEvent.id.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.kind == "agent_replied" and latest.agent == agent:
        return  # not their first reply of this assignment
    row = reply_row(
        conversation_id, episode.number, agent, at, _known(conversation), channel=channel
    )
    session.add(RecordedEvent(**row))
