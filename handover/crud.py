"""Reads and writes of the handover tables; the caller owns the session and commits.

Errors: `ValueError` for bad input (`AgentExistsError` for a taken username), `NotFoundError`.
"""

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handover.models import (
    AGENT_STATUSES,
    CONVERSATION_STATES,
    HANDOVER_OUTCOMES,
    SENDERS,
    Agent,
    AgentStatus,
    Conversation,
    ConversationState,
    Handover,
    HandoverOutcome,
    Message,
    Sender,
    Ticket,
    utcnow,
)
from handover.security import hash_password, needs_rehash, verify_password

USERNAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MIN_PASSWORD_LENGTH = 8
MAX_MESSAGE_LENGTH = 10_000
CONVERSATION_FIELDS = frozenset(Conversation.__table__.columns.keys()) - {"id", "created_at"}
Row = TypeVar("Row")


class AgentExistsError(ValueError):
    """The username is already taken."""


class NotFoundError(LookupError):
    """A row that the operation needs does not exist."""


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _save(session: Session, row: Row) -> Row:
    session.add(row)
    session.flush()  # assigns ids and defaults, and reports constraint errors here
    return row


def create_agent(
    session: Session,
    *,
    username: str,
    password: str,
    skills: Iterable[str],
    capacity: int,
    display_name: str | None = None,
) -> Agent:
    """Add an agent (offline); raises `AgentExistsError` or `ValueError` for bad input."""
    if not USERNAME.fullmatch(username):
        raise ValueError("username must be 1 to 64 characters of letters, digits, '_', '.', '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    if get_agent(session, username=username) is not None:
        raise AgentExistsError(f"agent {username!r} already exists")
    agent = Agent(
        username=username,
        display_name=(display_name or "").strip() or username,
        password_hash=hash_password(password),
        skills=list(dict.fromkeys(s.strip().lower() for s in skills if s.strip())),
        capacity=capacity,
        status="offline",
    )
    session.add(agent)
    try:
        session.flush()
    except IntegrityError as exc:  # created by someone else since the check above
        raise AgentExistsError(f"agent {username!r} already exists") from exc
    return agent


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("not-a-real-password")


def authenticate(session: Session, *, username: str, password: str) -> Agent | None:
    """The agent if `password` is theirs, else None; upgrades an outdated hash in place."""
    agent = get_agent(session, username=username)
    if agent is None:
        # Spend the same time as for a real agent, so timing does not reveal usernames.
        verify_password(password, _decoy_hash())
        return None
    if not verify_password(password, agent.password_hash):
        return None
    if needs_rehash(agent.password_hash):
        agent.password_hash = hash_password(password)
    return agent


def get_agent(session: Session, *, username: str) -> Agent | None:
    """The agent called `username`, if any."""
    return session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()


def set_agent_status(session: Session, *, username: str, status: AgentStatus) -> Agent:
    """Set an agent online, away or offline."""
    _one_of("status", status, AGENT_STATUSES)
    agent = get_agent(session, username=username)
    if agent is None:
        raise NotFoundError(f"no agent {username!r}")
    agent.status = status
    return agent


def agent_skills(agent: Agent) -> list[str]:
    """The skills an agent serves (lowercase names such as "billing")."""
    return list(agent.skills or [])


def list_online_agents(session: Session) -> list[Agent]:
    """Agents whose status is online, by username."""
    query = select(Agent).where(Agent.status == "online").order_by(Agent.username)
    return list(session.execute(query).scalars())


def list_agents(session: Session) -> list[Agent]:
    """Every agent, by username."""
    return list(session.execute(select(Agent).order_by(Agent.username)).scalars())


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
        _one_of("state", fields["state"], CONVERSATION_STATES)
    conversation = _conversation(session, conversation_id)
    for name, value in fields.items():
        setattr(conversation, name, value)
    session.flush()
    return conversation


def get_conversation(session: Session, *, conversation_id: str) -> Conversation | None:
    """The conversation, if it exists."""
    return session.get(Conversation, conversation_id)


_STAMPS = {"queued": "queued_at", "assigned": "assigned_at", "closed": "closed_at"}


def set_conversation_state(
    session: Session,
    *,
    conversation_id: str,
    state: ConversationState,
    agent_username: str | None = None,
    at: datetime | None = None,
    **fields: Any,
) -> Conversation:
    """Record a transition, stamp its time (queued_at, assigned_at, closed_at), set `fields`."""
    if state == "assigned" and not agent_username:
        raise ValueError("an assigned conversation needs agent_username")
    changes: dict[str, Any] = {"state": state}
    if state in _STAMPS:
        changes[_STAMPS[state]] = at or utcnow()
    if state in ("bot", "queued"):
        changes["agent_username"] = None
    elif agent_username:  # a closed conversation keeps the agent who had it
        changes["agent_username"] = agent_username
    return upsert_conversation(session, conversation_id=conversation_id, **changes, **fields)


def add_message(
    session: Session,
    *,
    conversation_id: str,
    sender: Sender,
    text: str,
    agent_username: str | None = None,
    intent: str | None = None,
    confidence: float | None = None,
) -> Message:
    """Append a message, creating the conversation (owned by the bot) if it is new."""
    _one_of("sender", sender, SENDERS)
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValueError(f"message longer than {MAX_MESSAGE_LENGTH} characters")
    _conversation(session, conversation_id)
    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        text=text,
        agent_username=agent_username,
        intent=intent,
        confidence=confidence,
    )
    return _save(session, message)


def list_messages(session: Session, *, conversation_id: str, limit: int = 500) -> list[Message]:
    """The latest `limit` messages of a conversation, oldest first."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(session.execute(query).scalars().all()))


def _open_handover(session: Session, conversation_id: str) -> Handover | None:
    query = (
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.ended_at.is_(None))
        .order_by(Handover.id.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def open_handover(session: Session, *, conversation_id: str, reason: str | None = None) -> Handover:
    """Record a request for a person; returns the open one if the conversation has one."""
    _conversation(session, conversation_id)
    handover = _open_handover(session, conversation_id)
    if handover is not None:
        return handover
    return _save(session, Handover(conversation_id=conversation_id, reason=reason))


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
    _one_of("outcome", outcome, HANDOVER_OUTCOMES)
    handover = _open_handover(session, conversation_id)
    if handover is None:
        return None
    handover.outcome = outcome
    handover.ended_at = utcnow()
    session.flush()
    return handover


def add_ticket(
    session: Session, *, conversation_id: str, reference: str, reason: str | None = None
) -> Ticket:
    """Record the CRM ticket (e.g. TCK-000123) opened for a conversation."""
    _conversation(session, conversation_id)
    return _save(
        session, Ticket(conversation_id=conversation_id, reference=reference, reason=reason)
    )


def list_unfinished_conversations(session: Session) -> list[Conversation]:
    """Queued and assigned conversations, longest waiting first, to restore state at start."""
    query = (
        select(Conversation)
        .where(Conversation.state.in_(("queued", "assigned")))
        .order_by(Conversation.queued_at, Conversation.id)
    )
    return list(session.execute(query).scalars())


def record_accept(session: Session, *, conversation_id: str, agent: str) -> None:
    """Record the accept; the queue may announce a conversation a moment before its handover
    row is written, so an accept can come first and opens the row itself."""
    conversation = get_conversation(session, conversation_id=conversation_id)
    open_handover(
        session, conversation_id=conversation_id, reason=conversation and conversation.reason
    )
    accept_handover(session, conversation_id=conversation_id, agent_username=agent)


def record_transfer(
    session: Session,
    *,
    conversation_id: str,
    to_agent: str | None = None,
    to_skill: str | None = None,
) -> None:
    """A transfer ends one handover and starts the next: accepted at once by a named agent."""
    end_handover(session, conversation_id=conversation_id, outcome="requeued")
    reason = f"transfer to {to_agent or to_skill}"
    open_handover(session, conversation_id=conversation_id, reason=reason)
    if to_agent:
        set_conversation_state(
            session, conversation_id=conversation_id, state="assigned", agent_username=to_agent
        )
        accept_handover(session, conversation_id=conversation_id, agent_username=to_agent)
    else:
        set_conversation_state(
            session, conversation_id=conversation_id, state="queued", skill=to_skill
        )
