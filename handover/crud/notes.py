"""Agents' private notes and labels on a conversation. Nothing here reaches the customer: the
customer's history, status and tickets read messages, never these tables."""

import re
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handover.crud.base import NotFoundError, save
from handover.crud.episodes import latest_episode
from handover.models import (
    LABEL_PATTERN,
    MAX_LABELS,
    MAX_NOTE_LENGTH,
    Conversation,
    ConversationLabel,
    ConversationNote,
)
from privacy.redaction import redact

_LABEL = re.compile(LABEL_PATTERN)


def _conversation(session: Session, conversation_id: str, *, lock: bool = False) -> Conversation:
    # Locked (PostgreSQL) while its labels change: two agents saving at once take turns, so
    # neither can push the set past MAX_LABELS.
    found = session.get(Conversation, conversation_id, with_for_update=lock or None)
    if found is None:
        raise NotFoundError(f"no conversation {conversation_id!r}")
    return found


def add_note(
    session: Session, *, conversation_id: str, agent_username: str, text: str
) -> ConversationNote:
    """Add an agent's note to the conversation, in its current contact (episode).

    The text is stored stripped and redacted (`privacy.redaction`), in the conversation's
    language: agents may copy a customer's details into it. `ValueError` when it is blank or
    longer than MAX_NOTE_LENGTH; `NotFoundError` when the conversation does not exist.
    """
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(f"note longer than {MAX_NOTE_LENGTH} characters")
    if not text.strip():
        raise ValueError("note must not be blank")
    conversation = _conversation(session, conversation_id)
    episode = latest_episode(session, conversation_id=conversation_id)
    note = ConversationNote(
        conversation_id=conversation_id,
        episode=episode.number if episode else None,
        agent_username=agent_username,
        text=redact(text.strip(), conversation.language or "en"),
    )
    return save(session, note)


def list_notes(session: Session, *, conversation_id: str) -> list[ConversationNote]:
    """The conversation's notes, the first written first."""
    query = (
        select(ConversationNote)
        .where(ConversationNote.conversation_id == conversation_id)
        .order_by(ConversationNote.id)
    )
    return list(session.execute(query).scalars())


def list_labels(session: Session, *, conversation_id: str) -> list[str]:
    """The conversation's labels, sorted."""
    query = (
        select(ConversationLabel.label)
        .where(ConversationLabel.conversation_id == conversation_id)
        .order_by(ConversationLabel.label)
    )
    return list(session.execute(query).scalars())


def check_labels(labels: Iterable[str]) -> list[str]:
    """The labels sorted without repeats; `ValueError` for one that is not a lowercase slug
    (`LABEL_PATTERN`) or for more than MAX_LABELS."""
    unique = sorted(set(labels))
    for label in unique:
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise ValueError(
                f"label {label!r} must be 1-32 lowercase letters, digits or hyphens, not"
                " starting with a hyphen"
            )
    if len(unique) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} labels per conversation")
    return unique


def set_labels(
    session: Session, *, conversation_id: str, labels: Iterable[str], added_by: str
) -> list[str]:
    """Make `labels` the conversation's labels (repeats dropped); returns them sorted.

    Labels kept keep who added them and when. `ValueError` as `check_labels`; `NotFoundError`
    when the conversation does not exist.
    """
    wanted = check_labels(labels)
    _conversation(session, conversation_id, lock=True)
    session.execute(
        delete(ConversationLabel).where(
            ConversationLabel.conversation_id == conversation_id,
            ConversationLabel.label.not_in(wanted),
        )
    )
    if wanted:
        # SQLite takes no row lock: a writer racing this one must skip, not fail, on a label
        # both add.
        postgres = session.get_bind().dialect.name == "postgresql"
        insert = (postgresql.insert if postgres else sqlite.insert)(ConversationLabel)
        rows = [
            {"conversation_id": conversation_id, "label": label, "added_by": added_by}
            for label in wanted
        ]
        session.execute(insert.values(rows).on_conflict_do_nothing())
    return list_labels(session, conversation_id=conversation_id)


def label_counts(session: Session, *, limit: int = 200) -> list[tuple[str, int]]:
    """The labels in use, each with how many conversations have it, most used first."""
    count = func.count(ConversationLabel.id)
    query = (
        select(ConversationLabel.label, count)
        .group_by(ConversationLabel.label)
        .order_by(count.desc(), ConversationLabel.label)
        .limit(limit)
    )
    return [(label, number) for label, number in session.execute(query)]
