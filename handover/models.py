"""Tables of the handover service: agents and their sessions, conversations and their episodes
(one per contact), messages, handovers, tickets, and agents' private notes and labels."""

from datetime import datetime, timezone
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base

AgentStatus = Literal["online", "away", "offline"]
AgentRole = Literal["agent", "supervisor", "admin", "manager", "trainer"]
ConversationState = Literal["bot", "queued", "assigned", "closed"]
Sender = Literal["user", "bot", "agent", "system"]
HandoverOutcome = Literal["handed_back", "closed", "ticket", "requeued"]
# How a contact ended (`handover.lifecycle.Outcome`), and the agent's wrap-up reason.
EpisodeOutcome = Literal[
    "resolved_by_bot", "resolved_by_agent", "ended_by_customer", "abandoned", "ticket"
]
WrapUpReason = Literal["resolved", "not_resolved", "duplicate", "spam"]

AGENT_STATUSES: tuple[AgentStatus, ...] = ("online", "away", "offline")
AGENT_ROLES: tuple[AgentRole, ...] = ("agent", "supervisor", "admin", "manager", "trainer")
# Roles that may read every conversation and use the supervisors' API.
SUPERVISING_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})
# Roles that may read the reports and the dashboard (`/api/reports`).
REPORTING_ROLES: frozenset[str] = frozenset({"manager", "supervisor", "admin"})
# Roles that may read the trainer's inbox and label messages into training data
# (`/api/trainer`, the `/trainer` page).
TRAINING_ROLES: frozenset[str] = frozenset({"trainer", "admin"})
# Roles that never take chats: never online for routing, no queue, no conversation.
NO_CHAT_ROLES: frozenset[str] = frozenset({"manager", "trainer"})
CONVERSATION_STATES: tuple[ConversationState, ...] = ("bot", "queued", "assigned", "closed")
SENDERS: tuple[Sender, ...] = ("user", "bot", "agent", "system")
HANDOVER_OUTCOMES: tuple[HandoverOutcome, ...] = ("handed_back", "closed", "ticket", "requeued")
EPISODE_OUTCOMES: tuple[EpisodeOutcome, ...] = (
    "resolved_by_bot", "resolved_by_agent", "ended_by_customer", "abandoned", "ticket",
)  # fmt: skip
WRAP_UP_REASONS: tuple[WrapUpReason, ...] = ("resolved", "not_resolved", "duplicate", "spam")
# The queues agents serve (`Agent.skills` names some of them; none means all).
SKILLS: tuple[str, ...] = ("billing", "network", "orders", "accounts", "general")
# What `conversation_events` records: each lifecycle event, and an agent's first reply.
EventKind = Literal[
    "started", "queued", "assigned", "transferred", "handed_back", "requeued", "closed", "ended",
    "expired", "reopened", "rated", "agent_replied",
]  # fmt: skip
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
MAX_NOTE_LENGTH = 1000
MAX_CLIENT_MESSAGE_ID = 64  # a UUID's 36 characters, with room for other clients' ids
# Agents' labels on a conversation: short lowercase slugs ("billing-dispute"), a few each.
LABEL_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
MAX_LABELS = 10

# Named constraints let later Alembic batch migrations on SQLite find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC and read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        utc = value.astimezone(timezone.utc)
        # SQLite keeps no offset; storing naive UTC keeps its text sortable.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class Agent(Base):
    """A person who answers customers from the agent console."""

    __tablename__ = "agents"
    __table_args__ = (_one_of("status", AGENT_STATUSES), _one_of("role", AGENT_ROLES))

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(128), nullable=False)
    password_hash = Column(String(255), nullable=False)
    skills = Column(JSON, nullable=False, default=list)  # list of skill names
    capacity = Column(Integer, nullable=False)
    status = Column(String(16), nullable=False, default="offline")
    role = Column(String(16), nullable=False, default="agent", server_default="agent")
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class AgentSession(Base):
    """One sign-in of an agent; its id is the `jti` of every access token issued for it."""

    __tablename__ = "agent_sessions"

    id = Column(String(64), primary_key=True)
    agent_id = Column(
        Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    refreshed_at = Column(UtcDateTime, nullable=False, default=utcnow)
    # The absolute end: refreshing never carries a session past it.
    expires_at = Column(UtcDateTime, nullable=False)
    revoked_at = Column(UtcDateTime)


class Conversation(Base):
    """One customer's chat; its id is the customer's socket session id (and Rasa's sender id).

    Its columns describe the current contact (`Episode`); a customer who writes after a close
    starts the next contact in the same row, which then starts again from the bot.
    """

    __tablename__ = "conversations"
    __table_args__ = (_one_of("state", CONVERSATION_STATES),)

    id = Column(String(128), primary_key=True)
    state = Column(String(16), nullable=False, default="bot")
    agent_username = Column(String(64))
    skill = Column(String(32))
    reason = Column(Text)
    language = Column(String(16))
    customer_id = Column(String(64))
    vulnerable = Column(Boolean, nullable=False, default=False)
    summary = Column(Text)
    # The context packet shown to the agent (slots, intents, profile...). Assign a new dict to
    # change it: in-place edits of a JSON value are not tracked.
    context = Column(JSON, nullable=False, default=dict)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)
    queued_at = Column(UtcDateTime)
    assigned_at = Column(UtcDateTime)
    closed_at = Column(UtcDateTime)


class Episode(Base):
    """One contact within a conversation: from the customer's first message (or their first
    after a close) until it closes. Numbered 1, 2, ... per conversation: number n > 1 means the
    customer came back after contact n - 1 closed."""

    __tablename__ = "episodes"
    __table_args__ = (
        UniqueConstraint("conversation_id", "number", name="uq_episodes_conversation_id_number"),
        # NULL passes a CHECK: an open episode has neither outcome nor reason yet.
        _one_of("outcome", EPISODE_OUTCOMES),
        _one_of("wrap_up", WRAP_UP_REASONS),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction"),
    )

    id = Column(Integer, primary_key=True)
    # Deleting a conversation (retention, erasure) deletes its episodes with it.
    conversation_id = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    number = Column(Integer, nullable=False)
    started_at = Column(UtcDateTime, nullable=False, default=utcnow)
    ended_at = Column(UtcDateTime)
    outcome = Column(String(24))  # set when the episode ends
    agent_username = Column(String(64))  # who had it when it closed, if anyone
    wrap_up = Column(String(16))  # the agent's reason when they closed it
    note = Column(Text)  # the agent's wrap-up note, redacted
    satisfaction = Column(Integer)  # the customer's 1-5 rating, given after the end


class Message(Base):
    """One message of a conversation, from the customer, the bot, an agent or the system."""

    __tablename__ = "messages"
    __table_args__ = (
        _one_of("sender", SENDERS),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # The gateways' look for unanswered messages reads the last hour only.
        Index("ix_messages_created_at", "created_at"),
        # A customer's message id is theirs within their conversation only.
        Index(
            "uq_messages_conversation_id_client_message_id",
            "conversation_id",
            "client_message_id",
            unique=True,
        ),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(128), ForeignKey("conversations.id"), nullable=False)
    sender = Column(String(16), nullable=False)
    text = Column(Text, nullable=False)
    agent_username = Column(String(64))
    intent = Column(String(128))
    confidence = Column(Float)
    # The id the customer's widget gave the message (`user_uttered`'s `message_id`): a message
    # sent again with it is recognised, never stored or answered twice. None from the others.
    client_message_id = Column(String(MAX_CLIENT_MESSAGE_ID))
    # A customer's message the bot has answered (or that a gateway took on again after a
    # restart: `handover.recovery`); None while the answer may still be on its way.
    answered_at = Column(UtcDateTime)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class Handover(Base):
    """One request for a person, from the bot asking until the conversation leaves the agent."""

    __tablename__ = "handovers"
    __table_args__ = (_one_of("outcome", HANDOVER_OUTCOMES),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(128), ForeignKey("conversations.id"), nullable=False, index=True
    )
    episode_id = Column(Integer, ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    reason = Column(Text)
    skill = Column(String(32))  # the queue it waited in
    requested_at = Column(UtcDateTime, nullable=False, default=utcnow)
    accepted_at = Column(UtcDateTime)
    accepted_by = Column(String(64))
    ended_at = Column(UtcDateTime)
    outcome = Column(String(16))


class Ticket(Base):
    """A CRM ticket opened when no agent could take the conversation."""

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(128), ForeignKey("conversations.id"), nullable=False, index=True
    )
    episode_id = Column(Integer, ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    reference = Column(String(64), nullable=False)  # the CRM's, e.g. TCK-000123
    reason = Column(Text)
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class ConversationNote(Base):
    """An agent's private note on a conversation: agents and supervisors read it, the customer
    never does (nor do tickets)."""

    __tablename__ = "conversation_notes"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    episode = Column(Integer)  # the number of the contact it was written in; None before any
    agent_username = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)  # redacted
    created_at = Column(UtcDateTime, nullable=False, default=utcnow)


class ConversationLabel(Base):
    """One label an agent put on a conversation (what reporting counts conversations by)."""

    __tablename__ = "conversation_labels"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id", "label", name="uq_conversation_labels_conversation_id_label"
        ),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(128), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    )
    label = Column(String(32), nullable=False, index=True)
    added_by = Column(String(64), nullable=False)
    added_at = Column(UtcDateTime, nullable=False, default=utcnow)


class RecordedEvent(Base):
    """One lifecycle event of a conversation, or an agent's first reply, as reports count it
    (`reporting.recorder` writes them; `reporting.events` says what each column holds).

    Flat and free of text: identifiers, slugs, times and numbers only, so nothing here needs
    redacting. `conversation_id` is not a foreign key: this append-only history is deleted
    by age and by customer (retention, erasure) on its own terms, and its writes never wait
    on the conversation's row.
    """

    __tablename__ = "conversation_events"
    __table_args__ = (
        _one_of("kind", EVENT_KINDS),
        _one_of("outcome", EPISODE_OUTCOMES),
        _one_of("wrap_up", WRAP_UP_REASONS),
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        # Reports select a period, often of one kind, and follow a conversation or a customer.
        Index("ix_conversation_events_at", "at"),
        Index("ix_conversation_events_kind_at", "kind", "at"),
        Index("ix_conversation_events_conversation_id_at", "conversation_id", "at"),
        Index("ix_conversation_events_customer_id_at", "customer_id", "at"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False)
    episode = Column(Integer, nullable=False)
    kind = Column(String(16), nullable=False)
    at = Column(UtcDateTime, nullable=False)
    customer_id = Column(String(64))
    language = Column(String(16))
    channel = Column(String(16), nullable=False, default="socketio", server_default="socketio")
    skill = Column(String(32))
    reason = Column(String(32))  # why the bot asked for a person (a slug)
    agent = Column(String(64))
    to_agent = Column(String(64))  # a transfer's receiving agent
    outcome = Column(String(24))
    wrap_up = Column(String(16))
    score = Column(Integer)
    supervisor = Column(String(64))  # who assigned or moved it, when not the agent


# The reports' rollup tables, here so that every user of the metadata (alembic too) has them.
from handover import models_reporting  # noqa: E402, F401
from reporting import session_tables  # noqa: E402, F401  (Rasa sessions: the bot's facts)

# The trainer's: what was dealt with in the inbox; models, trainings, roll-out, audit, flags.
from trainer import states, tables  # noqa: E402, F401
