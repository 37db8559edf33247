"""Whether the bot answered each customer message: marked once answered, so that a message a
stopped gateway stored but never answered is found after a restart, and taken on once."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from handover.models import Conversation, Message

MAX_UNANSWERED = 100  # per look: the rest wait for the next


def mark_answered(session: Session, *, message_id: int, at: datetime) -> None:
    """The bot has answered (or refused to answer) this customer message."""
    query = update(Message).where(Message.id == message_id).values(answered_at=at)
    session.execute(query.execution_options(synchronize_session=False))


def unanswered_messages(
    session: Session,
    *,
    stored_after: datetime,
    stored_before: datetime,
    conversation_id: str | None = None,
) -> list[Message]:
    """Customer messages stored in the window, never marked answered, in conversations the bot
    owns and where nothing but the customer's own messages came after them; oldest first.

    The last condition leaves out messages stored before answers were marked (migration 0013).
    """
    later = aliased(Message)
    followed = (
        select(later.id)
        .where(
            later.conversation_id == Message.conversation_id,
            later.id > Message.id,
            later.sender != "user",
        )
        .exists()
    )
    query = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.sender == "user",
            Message.answered_at.is_(None),
            Message.created_at >= stored_after,
            Message.created_at < stored_before,
            Conversation.state == "bot",
            ~followed,
        )
        .order_by(Message.id)
        .limit(MAX_UNANSWERED)
    )
    if conversation_id is not None:
        query = query.where(Message.conversation_id == conversation_id)
    return list(session.execute(query).scalars())


def claim_unanswered(session: Session, *, message_id: int, at: datetime) -> bool:
    """Take on an unanswered message: True for the one gateway whose conditional update won."""
    query = (
        update(Message)
        .where(Message.id == message_id, Message.answered_at.is_(None))
        .values(answered_at=at)
        .execution_options(synchronize_session=False)
    )
    return session.execute(query).rowcount == 1


def release_claim(session: Session, *, message_id: int) -> None:
    """Give a claimed message back (the bot had no room for it): the next look takes it."""
    query = update(Message).where(Message.id == message_id).values(answered_at=None)
    session.execute(query.execution_options(synchronize_session=False))
