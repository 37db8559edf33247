"""Episodes: the contacts of a conversation, numbered from 1, each ended with an outcome."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handover.crud.base import one_of, save
from handover.models import (
    EPISODE_OUTCOMES,
    MAX_NOTE_LENGTH,
    WRAP_UP_REASONS,
    Conversation,
    Episode,
    EpisodeOutcome,
    WrapUpReason,
    utcnow,
)
from privacy.redaction import redact


def latest_episode(session: Session, *, conversation_id: str) -> Episode | None:
    """The conversation's current (or, once closed, its last) episode; None before the first."""
    query = (
        select(Episode)
        .where(Episode.conversation_id == conversation_id)
        .order_by(Episode.number.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def list_episodes(session: Session, *, conversation_id: str) -> list[Episode]:
    """Every episode of the conversation, the first first."""
    query = (
        select(Episode).where(Episode.conversation_id == conversation_id).order_by(Episode.number)
    )
    return list(session.execute(query).scalars())


def closed_by(
    session: Session, *, agent_username: str, since: datetime, limit: int = 20
) -> list[tuple[Episode, Conversation]]:
    """The episodes `agent_username` closed (or had when they ended) since `since`, the latest
    first, each with its conversation."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    query = (
        select(Episode, Conversation)
        .join(Conversation, Conversation.id == Episode.conversation_id)
        .where(Episode.agent_username == agent_username, Episode.ended_at >= since)
        .order_by(Episode.ended_at.desc(), Episode.id.desc())
        .limit(limit)
    )
    return [(episode, conversation) for episode, conversation in session.execute(query).all()]


def open_episode(
    session: Session, *, conversation_id: str, number: int, at: datetime | None = None
) -> Episode:
    """Start episode `number`; a second writer of the same number fails (IntegrityError)."""
    if number < 1:
        raise ValueError("episodes are numbered from 1")
    episode = Episode(conversation_id=conversation_id, number=number, started_at=at or utcnow())
    return save(session, episode)


def ensure_episode(session: Session, *, conversation_id: str) -> Episode:
    """The latest episode, or episode 1 when the conversation has none yet."""
    return latest_episode(session, conversation_id=conversation_id) or open_episode(
        session, conversation_id=conversation_id, number=1
    )


def end_episode(
    session: Session,
    *,
    episode: Episode,
    outcome: EpisodeOutcome,
    agent_username: str | None = None,
    wrap_up: WrapUpReason | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> Episode:
    """End the episode with its outcome and, from an agent, their reason and note.

    The note is stored redacted (`privacy.redaction`), in the conversation's language: agents
    may copy a customer's details into it.
    """
    one_of("outcome", outcome, EPISODE_OUTCOMES)
    if wrap_up is not None:
        one_of("wrap-up reason", wrap_up, WRAP_UP_REASONS)
    if episode.ended_at is not None:
        raise ValueError(f"episode {episode.number} has already ended")
    if note is not None:
        if len(note) > MAX_NOTE_LENGTH:
            raise ValueError(f"note longer than {MAX_NOTE_LENGTH} characters")
        conversation = session.get(Conversation, episode.conversation_id)
        note = redact(note, (conversation and conversation.language) or "en")
    episode.outcome = outcome
    episode.agent_username = agent_username
    episode.wrap_up = wrap_up
    episode.note = note
    episode.ended_at = at or utcnow()
    session.flush()
    return episode


def rate_episode(session: Session, *, episode: Episode, score: int) -> Episode:
    """The customer's 1-5 satisfaction with the episode (a second answer replaces it)."""
    if type(score) is not int or not 1 <= score <= 5:
        raise ValueError("score must be a whole number from 1 to 5")
    episode.satisfaction = score
    session.flush()
    return episode
