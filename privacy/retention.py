"""Retention: what is older than `PRIVACY_RETENTION_DAYS` (default 90) is deleted.

- gateway messages, and agents' notes, created before the cutoff;
- conversations closed before the cutoff, and conversations the bot kept that started before
  it and have no message left, with their handovers, ticket records, notes and labels;
- Rasa tracker events recorded before the cutoff, and their copies published for reports
  (`rasa_events`, `reporting.broker_table`);
- lifecycle events recorded for reports (`conversation_events`) before the cutoff, and those
  of the conversations deleted: KPIs cover the retention period, no longer; with them their
  rollup (`contact_facts`, `reporting.contact_facts`) of contacts with no event left.
- the bot's sessions rolled up for reports (`session_facts`, `reporting.session_facts`) begun
  before the cutoff, and those of the conversations deleted;
- what the trainer made of misunderstood texts (`inbox_states`, `trainer.states`), set before
  the cutoff;
- agents' flags on customer messages for the trainer (`message_flags`, `trainer.flags`), with
  their messages: deleted explicitly, not left to the foreign keys' cascade, and counted;
- the model each deleted conversation was given in a canary (`model_assignments`).

The gateway runs `keep_purging` in the background (every `PRIVACY_RETENTION_CHECK_SECONDS`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from handover.db import session_scope
from handover.models import (
    Conversation,
    ConversationLabel,
    ConversationNote,
    Episode,
    Handover,
    Message,
    RecordedEvent,
    Ticket,
    utcnow,
)
from privacy import trackers
from reporting import broker_table, session_facts
from reporting.contact_facts import delete_facts, delete_facts_before, forget_deleted_events
from trainer import flags as trainer_flags
from trainer import states as trainer_states
from trainer.tables import MODEL_ASSIGNMENTS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    """What one purge deleted."""

    cutoff: datetime
    messages: int
    conversations: int
    tracker_events: int
    notes: int = 0
    conversation_events: int = 0  # recorded for reports, before the cutoff
    rasa_events: int = 0  # Rasa's events published for reports
    contact_facts: int = 0  # contacts of the reports' rollup whose events are all gone
    session_facts: int = 0  # Rasa sessions of the reports' rollup begun before the cutoff
    inbox_states: int = 0  # the trainer's done and ignored marks set before the cutoff
    message_flags: int = 0  # agents' flags on the messages deleted

    @property
    def removed_anything(self) -> bool:
        return bool(
            self.messages
            or self.conversations
            or self.tracker_events
            or self.notes
            or self.conversation_events
            or self.rasa_events
            or self.contact_facts
            or self.session_facts
            or self.inbox_states
            or self.message_flags
        )


def purge_gateway(session: Session, *, cutoff: datetime) -> tuple[int, int, int]:
    """Delete old messages and notes, and finished conversations; returns (messages,
    conversations, notes), the notes counted apart from those of the conversations deleted."""
    messages = session.execute(delete(Message).where(Message.created_at < cutoff)).rowcount
    old_notes = delete(ConversationNote).where(ConversationNote.created_at < cutoff)
    notes = session.execute(old_notes).rowcount
    has_messages = exists().where(Message.conversation_id == Conversation.id)
    finished = select(Conversation.id).where(
        or_(
            and_(Conversation.state == "closed", Conversation.closed_at < cutoff),
            and_(Conversation.state == "bot", Conversation.created_at < cutoff, ~has_messages),
        )
    )
    ids = list(session.execute(finished).scalars())
    delete_conversations(session, ids)
    return messages, len(ids), notes


def delete_conversations(session: Session, ids: list[str]) -> dict[str, int]:
    """Delete conversations with their messages, handovers, ticket records, episodes (the
    wrap-up notes and ratings), agents' notes, labels and flags, the events recorded for
    reports, and the model each was given in a canary; counts by table."""
    counts = {}
    # Deleted here rather than by ON DELETE CASCADE so that the receipt counts them too.
    # Handovers and tickets point at episodes, so episodes go after them.
    tables = (Message, Handover, Ticket, Episode, ConversationNote, ConversationLabel)
    # Flags name messages: they go first.
    counts["message_flags"] = trainer_flags.delete_for_conversations(session, ids)
    for table in (*tables, RecordedEvent):
        statement = delete(table).where(table.conversation_id.in_(ids))
        counts[table.__tablename__] = session.execute(statement).rowcount if ids else 0
    counts["contact_facts"] = delete_facts(session, ids)
    forget_deleted_events(session)
    counts["session_facts"] = session_facts.delete_senders(session, ids)
    session_facts.forget_deleted_events(session)
    # The model each was given for a canary (`trainer.assignment`): it names the conversation.
    statement = delete(MODEL_ASSIGNMENTS).where(MODEL_ASSIGNMENTS.c.conversation_id.in_(ids))
    counts["model_assignments"] = session.execute(statement).rowcount if ids else 0
    statement = delete(Conversation).where(Conversation.id.in_(ids))
    counts["conversations"] = session.execute(statement).rowcount if ids else 0
    return counts


def purge(
    sessions: sessionmaker,
    tracker_store: Engine | None,
    *,
    now: datetime,
    days: int,
    rasa_events: Engine | None = None,
) -> RetentionReport:
    """Delete what is older than `days` before `now` (timezone-aware) in every store."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(timezone.utc)")
    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = now - timedelta(days=days)
    with session_scope(sessions) as session:
        old_events = delete(RecordedEvent).where(RecordedEvent.at < cutoff)
        recorded = session.execute(old_events).rowcount
        facts = delete_facts_before(session, cutoff)
        sessions_before = session_facts.delete_before(session, cutoff)
        marks = trainer_states.delete_before(session, cutoff)
        flags = trainer_flags.delete_before(session, cutoff)  # before their messages
        messages, conversations, notes = purge_gateway(session, cutoff=cutoff)
    events = 0
    if tracker_store is not None:
        events = trackers.delete_before(tracker_store, cutoff=cutoff.timestamp())
    published = 0
    if rasa_events is not None:
        published = broker_table.delete_before(rasa_events, cutoff=cutoff.timestamp())
        with session_scope(sessions) as session:
            session_facts.forget_deleted_events(session, rasa_events)
    return RetentionReport(
        cutoff,
        messages,
        conversations,
        events,
        notes,
        conversation_events=recorded,
        rasa_events=published,
        contact_facts=facts,
        session_facts=sessions_before,
        inbox_states=marks,
        message_flags=flags,
    )


async def keep_purging(
    sessions: sessionmaker,
    tracker_store: Engine | None,
    *,
    days: int,
    every_seconds: float,
    rasa_events: Engine | None = None,
) -> None:
    """Purge now, then every `every_seconds`, until cancelled."""
    while True:
        try:
            report = await asyncio.to_thread(
                purge, sessions, tracker_store, now=utcnow(), days=days, rasa_events=rasa_events
            )
        except Exception:  # a failed round must not end the job; the next one retries
            logger.exception("retention purge failed")
        else:
            if report.removed_anything:
                logger.info("retention purge: %s", report)
        await asyncio.sleep(every_seconds)
