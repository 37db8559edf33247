"""Conversations, their messages, handovers and tickets."""

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handover.crud.base import NotFoundError, StateChangedError, one_of, save
from handover.models import (
    CONVERSATION_STATES,
    HANDOVER_OUTCOMES,
    SENDERS,
    Conversation,
    ConversationState,
    Handover,
    HandoverOutcome,
    Message,
    Sender,
    Ticket,
    utcnow,
)
from privacy.redaction import redact_message

MAX_MESSAGE_LENGTH = 10_000
CONVERSATION_FIELDS = frozenset(Conversation.__table__.columns.keys()) - {"id", "created_at"}


def ensure_conversation(session: Session, *, conversation_id: str) -> Conversation:
    """The conversation, created in state "bot" if it does not exist yet."""
    return _conversation(session, conversation_id)


def _conversation(session: Session, conversation_id: str) -> Conversation:
    """The conversation, created in state "bot" if it does not exist yet."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is not None:
        return conversation
    # Another gateway may create the same conversation at the same moment: skip, don't fail.
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = (postgresql.insert if postgres else sqlite.insert)(Conversation)
    session.execute(insert.values(id=conversation_id).on_conflict_do_nothing(index_elements=["id"]))
    return session.get(Conversation, conversation_id)


def upsert_conversation(session: Session, *, conversation_id: str, **fields: Any) -> Conversation:
    """Create the conversation if needed and set the given columns (e.g. skill, context)."""
    unknown = fields.keys() - CONVERSATION_FIELDS
    if unknown:
        raise TypeError(f"conversations have no column(s) {', '.join(sorted(unknown))}")
    if "state" in fields:
        one_of("state", fields["state"], CONVERSATION_STATES)
    conversation = _conversation(session, conversation_id)
    for name, value in fields.items():
        setattr(conversation, name, value)
    session.flush()
    return conversation


def get_conversation(session: Session, *, conversation_id: str) -> Conversation | None:
    """The conversation, if it exists."""
    return session.get(Conversation, conversation_id)


_STAMPS = {"queued": "queued_at", "assigned": "assigned_at", "closed": "closed_at"}
# What the conversation forgets when its customer starts a new contact after a close: that
# contact starts again from the bot (its episode keeps what the last one ended with).
FRESH_CONTACT: dict[str, Any] = {
    "skill": None,
    "reason": None,
    "summary": None,
    "vulnerable": False,
    "context": {},
    "queued_at": None,
    "assigned_at": None,
    "closed_at": None,
}


def move_conversation(
    session: Session,
    *,
    conversation_id: str,
    expected: Collection[ConversationState],
    state: ConversationState,
    owned_by: str | None = None,
    agent_username: str | None = None,
    at: datetime | None = None,
    **fields: Any,
) -> Conversation:
    """Record a transition if the conversation is in one of the `expected` states (and, with
    `owned_by`, that agent's), stamp its time (queued_at, assigned_at, closed_at), set `fields`.

    One conditional UPDATE: of two writers racing on the same conversation, one wins and the
    other gets StateChangedError, as when the conversation was not in an expected state.
    """
    for value in (*expected, state):
        one_of("state", value, CONVERSATION_STATES)
    unknown = fields.keys() - CONVERSATION_FIELDS
    if unknown:
        raise TypeError(f"conversations have no column(s) {', '.join(sorted(unknown))}")
    if state == "assigned" and not agent_username:
        raise ValueError("an assigned conversation needs agent_username")
    changes: dict[str, Any] = {**fields, "state": state}
    if state in _STAMPS:
        changes[_STAMPS[state]] = at or utcnow()
    if state in ("bot", "queued"):
        changes["agent_username"] = None
    elif agent_username:  # a closed conversation keeps the agent who had it
        changes["agent_username"] = agent_username
    query = update(Conversation).where(
        Conversation.id == conversation_id, Conversation.state.in_(list(expected))
    )
    if owned_by is not None:
        query = query.where(Conversation.agent_username == owned_by)
    moved = session.execute(query.values(**changes).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise StateChangedError(
            f"conversation {conversation_id!r} is not {' or '.join(expected)}"
            + (f" with {owned_by}" if owned_by else "")
        )
    return session.get(Conversation, conversation_id, populate_existing=True)


def add_message(
    session: Session,
    *,
    conversation_id: str,
    sender: Sender,
    text: str,
    agent_username: str | None = None,
    intent: str | None = None,
    confidence: float | None = None,
    client_message_id: str | None = None,
) -> Message:
    """Append a message, creating the conversation (owned by the bot) if it is new.

    The text is stored redacted (`privacy.redaction`): every writer of messages passes here.
    A `client_message_id` the conversation has already raises IntegrityError (see
    `find_customer_message`).
    """
    one_of("sender", sender, SENDERS)
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValueError(f"message longer than {MAX_MESSAGE_LENGTH} characters")
    _conversation(session, conversation_id)
    question = None
    if sender == "user":  # the answer to "what's your date of birth?" is the secret itself
        last_bot = select(Message.text).where(
            Message.conversation_id == conversation_id, Message.sender == "bot"
        )
        question = session.execute(last_bot.order_by(Message.id.desc()).limit(1)).scalar()
    text = redact_message(text, sender=sender, question=question)
    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        text=text,
        agent_username=agent_username,
        intent=intent,
        confidence=confidence,
        client_message_id=client_message_id,
    )
    return save(session, message)


def find_customer_message(
    session: Session, *, conversation_id: str, client_message_id: str
) -> Message | None:
    """The customer's message of this conversation stored under the id their widget gave it."""
    query = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.client_message_id == client_message_id,
    )
    return session.execute(query).scalar_one_or_none()


def list_messages(
    session: Session, *, conversation_id: str, limit: int = 500, sender: str | None = None
) -> list[Message]:
    """The latest `limit` messages of a conversation (from `sender` only, if given), oldest
    first."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    query = select(Message).where(Message.conversation_id == conversation_id)
    if sender is not None:
        query = query.where(Message.sender == sender)
    query = query.order_by(Message.id.desc()).limit(limit)
    return list(reversed(session.execute(query).scalars().all()))


def conversations_by_id(session: Session, *, ids: Iterable[str]) -> dict[str, Conversation]:
    """The conversations among `ids` that exist, by id, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    query = select(Conversation).where(Conversation.id.in_(wanted))
    return {row.id: row for row in session.execute(query).scalars()}


def latest_customer_messages(session: Session, *, ids: Iterable[str]) -> dict[str, Message]:
    """Each conversation's latest message from its customer, by conversation id, in one query
    (conversations where the customer never wrote are left out)."""
    wanted = set(ids)
    if not wanted:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(wanted), Message.sender == "user")
        .group_by(Message.conversation_id)
    )
    query = select(Message).where(Message.id.in_(latest.scalar_subquery()))
    return {row.conversation_id: row for row in session.execute(query).scalars()}


def _open_handover(session: Session, conversation_id: str) -> Handover | None:
    query = (
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.ended_at.is_(None))
        .order_by(Handover.id.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def open_handover(
    session: Session,
    *,
    conversation_id: str,
    reason: str | None = None,
    skill: str | None = None,
    episode_id: int | None = None,
) -> Handover:
    """Record a request for a person (in the queue for `skill`, during the episode); returns
    the open one if the conversation has one."""
    _conversation(session, conversation_id)
    handover = _open_handover(session, conversation_id)
    if handover is not None:
        return handover
    handover = Handover(
        conversation_id=conversation_id, reason=reason, skill=skill, episode_id=episode_id
    )
    return save(session, handover)


def accept_handover(session: Session, *, conversation_id: str, agent_username: str) -> Handover:
    """Record that `agent_username` took the open handover; `NotFoundError` if none is open."""
    handover = _open_handover(session, conversation_id)
    if handover is None:
        raise NotFoundError(f"no open handover for conversation {conversation_id!r}")
    handover.accepted_by = agent_username
    handover.accepted_at = utcnow()
    session.flush()
    return handover


def end_handover(
    session: Session, *, conversation_id: str, outcome: HandoverOutcome
) -> Handover | None:
    """End the open handover with `outcome`; None if none is open (ending twice is harmless)."""
    one_of("outcome", outcome, HANDOVER_OUTCOMES)
    handover = _open_handover(session, conversation_id)
    if handover is None:
        return None
    handover.outcome = outcome
    handover.ended_at = utcnow()
    session.flush()
    return handover


def add_ticket(
    session: Session,
    *,
    conversation_id: str,
    reference: str,
    reason: str | None = None,
    episode_id: int | None = None,
) -> Ticket:
    """Record the CRM ticket (e.g. TCK-000123) opened for a conversation (and its episode)."""
    _conversation(session, conversation_id)
    ticket = Ticket(
        conversation_id=conversation_id, reference=reference, reason=reason, episode_id=episode_id
    )
    return save(session, ticket)


def list_unfinished_conversations(session: Session) -> list[Conversation]:
    """Queued and assigned conversations, longest waiting first, to restore state at start."""
    query = (
        select(Conversation)
        .where(Conversation.state.in_(("queued", "assigned")))
        .order_by(Conversation.queued_at, Conversation.id)
    )
    return list(session.execute(query).scalars())
