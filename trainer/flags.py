"""Customer messages an agent flagged for the trainer from the console (`message_flags`).

A flag names a customer's message of a conversation, who flagged it and when; never its words,
which stay in `messages` (redacted there). Flagging is idempotent: a message flagged twice
keeps its first flag. The trainer's inbox reads the flags (`trainer.inbox_sources`); erasure
and retention delete them with their messages (`privacy.retention`, `privacy.erasure`), here
explicitly rather than by the foreign keys' cascade, so that their receipts count them.

Who may flag is the API's decision (`handover.api.routes.flags`): these functions check only
that the message is a customer's message of that conversation.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handover.models import Message, utcnow
from trainer.tables import MESSAGE_FLAGS

CHUNK = 500  # ids per IN (...): well under any database's limit on bound parameters


@dataclass(frozen=True)
class Flag:
    message_id: int
    conversation_id: str
    flagged_by: str
    at: datetime


class FlagRefused(Exception):
    """The message cannot be flagged: "not_found" (no such message in that conversation) or
    "not_customer" (the bot's, an agent's or the system's)."""

    def __init__(self, code: Literal["not_found", "not_customer"], message: str) -> None:
        super().__init__(message)
        self.code = code


def flag(
    db: Session, *, conversation_id: str, message_id: int, by: str, now: datetime | None = None
) -> Flag:
    """Flag the customer's message (its flag as it stands when it was flagged already)."""
    _check(db, conversation_id, message_id)
    row = {"message_id": message_id, "conversation_id": conversation_id, "flagged_by": by,
           "at": now or utcnow()}  # fmt: skip
    # One statement, whoever flags it at the same moment: the first flag stays.
    db.execute(_insert(db).values(**row).on_conflict_do_nothing(index_elements=["message_id"]))
    found = _flags(db, MESSAGE_FLAGS.c.message_id == message_id)
    return found[0]


def unflag(db: Session, *, conversation_id: str, message_id: int) -> bool:
    """Remove the message's flag; whether it had one (a customer's message of the
    conversation either way, else `FlagRefused`)."""
    _check(db, conversation_id, message_id)
    statement = delete(MESSAGE_FLAGS).where(MESSAGE_FLAGS.c.message_id == message_id)
    return bool(db.execute(statement).rowcount)


def flags_of(db: Session, *, conversation_id: str) -> list[Flag]:
    """The conversation's flags, by message."""
    return _flags(db, MESSAGE_FLAGS.c.conversation_id == conversation_id)


def delete_for_conversations(db: Session, conversation_ids: Collection[str]) -> int:
    """Delete the flags of these conversations; how many. In the caller's transaction."""
    deleted = 0
    ids = sorted(conversation_ids)
    for index in range(0, len(ids), CHUNK):
        chunk = ids[index : index + CHUNK]
        statement = delete(MESSAGE_FLAGS).where(MESSAGE_FLAGS.c.conversation_id.in_(chunk))
        deleted += db.execute(statement).rowcount
    return deleted


def delete_before(db: Session, cutoff: datetime) -> int:
    """Delete the flags of the messages written before `cutoff` (retention deletes those
    messages); how many. In the caller's transaction."""
    old = select(Message.id).where(Message.created_at < cutoff)
    return db.execute(delete(MESSAGE_FLAGS).where(MESSAGE_FLAGS.c.message_id.in_(old))).rowcount


def _check(db: Session, conversation_id: str, message_id: int) -> None:
    query = select(Message.sender).where(
        Message.id == message_id, Message.conversation_id == conversation_id
    )
    sender = db.execute(query).scalar()
    if sender is None:
        raise FlagRefused("not_found", "no such message in this conversation")
    if sender != "user":
        raise FlagRefused("not_customer", "only a customer's message can be flagged")


def _insert(db: Session) -> Any:
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(MESSAGE_FLAGS)


def _flags(db: Session, condition: Any) -> list[Flag]:
    flags = MESSAGE_FLAGS.c
    query = select(flags.message_id, flags.conversation_id, flags.flagged_by, flags.at)
    return [Flag(*row) for row in db.execute(query.where(condition).order_by(flags.message_id))]
