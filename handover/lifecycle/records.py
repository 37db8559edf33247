"""The database side of each transition: every function here runs in one transaction (the
caller's session) and returns the event to publish once it has committed.

Each moves the conversation with one conditional UPDATE (`crud.move_conversation`): a state
that changed since the caller looked raises `crud.StateChangedError`, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from handover import crud
from handover.lifecycle.events import (
    ConversationAssigned,
    ConversationClosed,
    ConversationHandedBack,
    ConversationQueued,
    ConversationRated,
    ConversationReopened,
    ConversationRequeued,
    ConversationStarted,
    ConversationTransferred,
    Outcome,
    State,
    WrapUp,
)
from handover.lifecycle.rules import TARGET, Transition, check
from handover.models import HandoverOutcome

Closed = TypeVar("Closed", bound=ConversationClosed)


@dataclass(frozen=True)
class Status:
    """Where a conversation stands, as the database records it."""

    state: State
    agent: str | None = None  # who has it (assigned) or had it (closed)
    episode: int | None = None  # None until the customer first writes
    outcome: Outcome | None = None  # how the latest episode ended, once closed


def status(session: Session, *, conversation_id: str) -> Status:
    """The conversation's state, agent and episode; an unknown one is with the bot."""
    conversation = crud.get_conversation(session, conversation_id=conversation_id)
    if conversation is None:
        return Status(State.BOT)
    episode = crud.latest_episode(session, conversation_id=conversation_id)
    outcome = episode.outcome if episode is not None and episode.ended_at is not None else None
    return Status(
        state=State(conversation.state),
        agent=conversation.agent_username,
        episode=episode.number if episode is not None else None,
        outcome=Outcome(outcome) if outcome else None,
    )


def _move(
    session: Session,
    transition: Transition,
    conversation_id: str,
    at: datetime,
    *,
    owned_by: str | None = None,
    **fields: Any,
) -> Any:
    """Move the conversation along `transition`, from a state that allows it."""
    conversation = crud.get_conversation(session, conversation_id=conversation_id)
    if conversation is None:
        raise crud.StateChangedError(f"no conversation {conversation_id!r}")
    check(transition, State(conversation.state))
    return crud.move_conversation(
        session,
        conversation_id=conversation_id,
        expected=[conversation.state],
        state=TARGET[transition].value,
        owned_by=owned_by,
        at=at,
        **fields,
    )


def started(session: Session, *, conversation_id: str, at: datetime) -> ConversationStarted:
    """The customer's first message: episode 1 begins, with the bot."""
    crud.ensure_conversation(session, conversation_id=conversation_id)
    if crud.latest_episode(session, conversation_id=conversation_id) is not None:
        raise crud.StateChangedError(f"conversation {conversation_id!r} has begun already")
    crud.open_episode(session, conversation_id=conversation_id, number=1, at=at)
    return ConversationStarted(conversation_id=conversation_id, episode=1, at=at)


def reopened(session: Session, *, conversation_id: str, at: datetime) -> ConversationReopened:
    """closed -> bot: the next episode, with the conversation's per-contact columns cleared."""
    _move(session, Transition.REOPEN, conversation_id, at, **crud.FRESH_CONTACT)
    latest = crud.latest_episode(session, conversation_id=conversation_id)
    previous = latest.number if latest is not None else 0
    episode = crud.open_episode(
        session, conversation_id=conversation_id, number=previous + 1, at=at
    )
    return ConversationReopened(
        conversation_id=conversation_id, episode=episode.number, at=at, previous_episode=previous
    )


def queued(
    session: Session,
    *,
    conversation_id: str,
    at: datetime,
    reason: str,
    skill: str,
    vulnerable: bool,
    summary: str | None,
    **fields: Any,
) -> ConversationQueued:
    """bot -> queued, with the bot's context packet (`fields`: context, language, ...)."""
    _move(
        session,
        Transition.QUEUE,
        conversation_id,
        at,
        reason=reason,
        skill=skill,
        vulnerable=vulnerable,
        summary=summary,
        **fields,
    )
    episode = crud.ensure_episode(session, conversation_id=conversation_id)
    crud.open_handover(
        session, conversation_id=conversation_id, reason=reason, skill=skill, episode_id=episode.id
    )
    return ConversationQueued(
        conversation_id=conversation_id,
        episode=episode.number,
        at=at,
        reason=reason,
        skill=skill,
        vulnerable=vulnerable,
        summary=summary,
    )


def assigned(
    session: Session,
    *,
    conversation_id: str,
    at: datetime,
    agent: str,
    agent_name: str,
    by: str | None = None,
) -> ConversationAssigned:
    """queued -> assigned(agent); the handover is accepted (by the agent, or for them by the
    supervisor `by`)."""
    conversation = _move(session, Transition.ACCEPT, conversation_id, at, agent_username=agent)
    episode = _handover(session, conversation, reason=conversation.reason, accepted_by=agent)
    return ConversationAssigned(
        conversation_id=conversation_id,
        episode=episode.number,
        at=at,
        agent=agent,
        agent_name=agent_name,
        by=by,
    )


def transferred(
    session: Session,
    *,
    conversation_id: str,
    at: datetime,
    from_agent: str,
    to_agent: str | None = None,
    to_agent_name: str | None = None,
    to_skill: str | None = None,
    by: str | None = None,
) -> ConversationTransferred:
    """assigned(from_agent) -> assigned(to_agent), or -> queued for `to_skill`. The handover
    ends and the next begins: accepted at once by the agent named. `by` names the supervisor
    who moved it, when from_agent did not."""
    if (to_agent is None) == (to_skill is None):
        raise ValueError("a transfer goes to an agent or to a skill")
    if to_agent is not None:
        conversation = _move(
            session,
            Transition.TRANSFER_TO_AGENT,
            conversation_id,
            at,
            owned_by=from_agent,
            agent_username=to_agent,
        )
    else:
        conversation = _move(
            session,
            Transition.TRANSFER_TO_SKILL,
            conversation_id,
            at,
            owned_by=from_agent,
            skill=to_skill,
        )
    crud.end_handover(session, conversation_id=conversation_id, outcome="requeued")
    reason = f"transfer to {to_agent or to_skill}" + (f" by {by}" if by else "")
    episode = _handover(session, conversation, reason=reason, accepted_by=to_agent)
    return ConversationTransferred(
        conversation_id=conversation_id,
        episode=episode.number,
        at=at,
        from_agent=from_agent,
        to_agent=to_agent,
        to_agent_name=to_agent_name,
        to_skill=to_skill,
        by=by,
    )


def handed_back(
    session: Session, *, conversation_id: str, at: datetime, agent: str
) -> ConversationHandedBack:
    """assigned(agent) -> bot; the episode goes on with the bot."""
    _move(session, Transition.HAND_BACK, conversation_id, at, owned_by=agent)
    crud.end_handover(session, conversation_id=conversation_id, outcome="handed_back")
    episode = crud.ensure_episode(session, conversation_id=conversation_id)
    return ConversationHandedBack(
        conversation_id=conversation_id, episode=episode.number, at=at, agent=agent
    )


def requeued(
    session: Session, *, conversation_id: str, at: datetime, agent: str
) -> ConversationRequeued:
    """assigned(agent) -> queued, its agent gone: a new handover, for the same skill."""
    conversation = _move(session, Transition.REQUEUE, conversation_id, at, owned_by=agent)
    crud.end_handover(session, conversation_id=conversation_id, outcome="requeued")
    episode = _handover(session, conversation, reason="requeued")
    return ConversationRequeued(
        conversation_id=conversation_id, episode=episode.number, at=at, agent=agent
    )


def closed(
    session: Session,
    *,
    conversation_id: str,
    at: datetime,
    kind: type[Closed],
    transition: Transition,
    outcome: Outcome,
    owned_by: str | None = None,
    agent_name: str | None = None,
    reason: WrapUp | None = None,
    note: str | None = None,
) -> Closed:
    """-> closed: the episode ends with `outcome` (and the agent's reason and note), and so does
    the open handover. The conversation keeps the agent who had it, for them to read it."""
    conversation = crud.get_conversation(session, conversation_id=conversation_id)
    was = State(conversation.state) if conversation is not None else State.BOT
    conversation = _move(session, transition, conversation_id, at, owned_by=owned_by)
    handover_outcome: HandoverOutcome = "ticket" if outcome == Outcome.TICKET else "closed"
    crud.end_handover(session, conversation_id=conversation_id, outcome=handover_outcome)
    episode = crud.end_episode(
        session,
        episode=crud.ensure_episode(session, conversation_id=conversation_id),
        outcome=outcome.value,
        agent_username=conversation.agent_username,
        wrap_up=reason.value if reason is not None else None,
        note=note,
        at=at,
    )
    return kind(
        conversation_id=conversation_id,
        episode=episode.number,
        at=at,
        outcome=outcome,
        was=was,
        agent=conversation.agent_username,
        agent_name=agent_name,
        reason=reason,
        note=episode.note,
    )


def rated(session: Session, *, conversation_id: str, at: datetime, score: int) -> ConversationRated:
    """The customer's rating of the episode that ended; the conversation stays closed."""
    conversation = crud.get_conversation(session, conversation_id=conversation_id)
    check(Transition.RATE, State(conversation.state) if conversation else State.BOT)
    episode = crud.rate_episode(
        session,
        episode=crud.ensure_episode(session, conversation_id=conversation_id),
        score=score,
    )
    return ConversationRated(
        conversation_id=conversation_id,
        episode=episode.number,
        at=at,
        score=score,
        agent=episode.agent_username,
    )


def _handover(
    session: Session, conversation: Any, *, reason: str | None, accepted_by: str | None = None
) -> Any:
    """Open the next handover of the conversation's episode (for its skill); accepted at once
    when `accepted_by` names the agent. Returns the episode."""
    episode = crud.ensure_episode(session, conversation_id=conversation.id)
    crud.open_handover(
        session,
        conversation_id=conversation.id,
        reason=reason,
        skill=conversation.skill,
        episode_id=episode.id,
    )
    if accepted_by is not None:
        crud.accept_handover(session, conversation_id=conversation.id, agent_username=accepted_by)
    return episode
