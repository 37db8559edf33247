"""Agents, their passwords and their signed-in sessions.

Managers sign in like agents but take no chats (`NO_CHAT_ROLES`): their status stays offline,
so routing, transfers, reassigning and the count of agents online never see them.
"""

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handover.crud.base import AgentExistsError, NotFoundError, one_of, save
from handover.models import (
    AGENT_ROLES,
    AGENT_STATUSES,
    NO_CHAT_ROLES,
    Agent,
    AgentRole,
    AgentSession,
    AgentStatus,
    utcnow,
)
from handover.security import hash_password, needs_rehash, new_session_id, verify_password

USERNAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MIN_PASSWORD_LENGTH = 8


def create_agent(
    session: Session,
    *,
    username: str,
    password: str,
    skills: Iterable[str],
    capacity: int,
    display_name: str | None = None,
    role: AgentRole = "agent",
) -> Agent:
    """Add an agent (offline); raises `AgentExistsError` or `ValueError` for bad input."""
    one_of("role", role, AGENT_ROLES)
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
        role=role,
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


def sign_in(
    session: Session, *, username: str, password: str, lifetime_seconds: int
) -> tuple[Agent, AgentSession] | None:
    """Check the password, set the agent online (managers stay offline) and open a session;
    None for a wrong pair."""
    agent = authenticate(session, username=username, password=password)
    if agent is None:
        return None
    if agent.role not in NO_CHAT_ROLES:
        agent.status = "online"
    return agent, open_agent_session(session, agent=agent, lifetime_seconds=lifetime_seconds)


def sign_out(session: Session, *, session_id: str, username: str) -> None:
    """Revoke the session and set its agent offline."""
    revoke_agent_session(session, session_id=session_id)
    set_agent_status(session, username=username, status="offline")


def get_agent(session: Session, *, username: str) -> Agent | None:
    """The agent called `username`, if any."""
    return session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()


def set_agent_status(session: Session, *, username: str, status: AgentStatus) -> Agent:
    """Set an agent online, away or offline (a manager only offline: they take no chats)."""
    one_of("status", status, AGENT_STATUSES)
    agent = get_agent(session, username=username)
    if agent is None:
        raise NotFoundError(f"no agent {username!r}")
    if agent.role in NO_CHAT_ROLES and status != "offline":
        raise ValueError(f"a {agent.role} takes no chats, so is never {status}")
    agent.status = status
    return agent


def open_agent_session(
    session: Session, *, agent: Agent, lifetime_seconds: int, now: datetime | None = None
) -> AgentSession:
    """Start a sign-in session for `agent` that ends at the latest `lifetime_seconds` from now."""
    if lifetime_seconds <= 0:
        raise ValueError("lifetime_seconds must be positive")
    started = now or utcnow()
    # The agent's ended sessions are of no more use: clear them as a new one starts.
    session.execute(
        delete(AgentSession).where(
            AgentSession.agent_id == agent.id,
            or_(AgentSession.expires_at <= started, AgentSession.revoked_at.is_not(None)),
        )
    )
    row = AgentSession(
        id=new_session_id(),
        agent_id=agent.id,
        created_at=started,
        refreshed_at=started,
        expires_at=started + timedelta(seconds=lifetime_seconds),
    )
    return save(session, row)


def live_session_agent(
    session: Session, *, session_id: str, username: str, now: datetime | None = None
) -> tuple[Agent, AgentSession] | None:
    """The agent and their session if `session_id` is theirs, not revoked and not past its end."""
    query = (
        select(Agent, AgentSession)
        .join(AgentSession, AgentSession.agent_id == Agent.id)
        .where(
            AgentSession.id == session_id,
            Agent.username == username,
            AgentSession.revoked_at.is_(None),
            AgentSession.expires_at > (now or utcnow()),
        )
    )
    found = session.execute(query).one_or_none()
    return (found[0], found[1]) if found else None


def touch_agent_session(session: Session, *, session_id: str) -> None:
    """Record that the session's tokens were refreshed (for audits; the end does not move)."""
    row = session.get(AgentSession, session_id)
    if row is None:
        raise NotFoundError(f"no session {session_id!r}")
    row.refreshed_at = utcnow()


def revoke_agent_session(session: Session, *, session_id: str) -> None:
    """End the session now: every token that carries its id is refused from here on."""
    row = session.get(AgentSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def agent_skills(agent: Agent) -> list[str]:
    """The skills an agent serves (lowercase names such as "billing")."""
    return list(agent.skills or [])


def list_online_agents(session: Session) -> list[Agent]:
    """Agents whose status is online, by username (never a manager, whatever the row says)."""
    query = (
        select(Agent)
        .where(Agent.status == "online", Agent.role.not_in(NO_CHAT_ROLES))
        .order_by(Agent.username)
    )
    return list(session.execute(query).scalars())


def list_agents(session: Session) -> list[Agent]:
    """Every agent, by username."""
    return list(session.execute(select(Agent).order_by(Agent.username)).scalars())
