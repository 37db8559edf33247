"""Agents' flags on customer messages for the trainer (`message_flags`) under export, erasure
and retention, on SQLite and PostgreSQL: they go with their messages, deleted explicitly (the
receipts count them) rather than left to the foreign keys' cascade."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from handover import crud
from handover.db import session_scope
from privacy import erasure, retention
from privacy.erasure import PrivacyStores
from trainer import flags
from trainer.tables import MESSAGE_FLAGS

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
JANE, KHAN = "CUS-00001", "CUS-00002"


def flagged(sessions: sessionmaker, cid: str, customer: str, days: float) -> int:
    """A conversation of `customer` with a customer message `days` old, flagged by ada."""
    with session_scope(sessions) as session:
        crud.upsert_conversation(session, conversation_id=cid, customer_id=customer)
        message = crud.add_message(session, conversation_id=cid, sender="user", text="my box")
        message.created_at = NOW - timedelta(days=days)
        session.flush()
        flags.flag(session, conversation_id=cid, message_id=message.id, by="ada",
                   now=NOW - timedelta(days=days))  # fmt: skip
        return message.id


def flag_rows(sessions: sessionmaker) -> list[tuple[str, str]]:
    with session_scope(sessions) as session:
        query = select(MESSAGE_FLAGS.c.conversation_id, MESSAGE_FLAGS.c.flagged_by)
        return [tuple(row) for row in session.execute(query.order_by("conversation_id"))]


async def test_export_lists_and_erasure_deletes_the_flags_of_the_customers_chats(
    sessions: sessionmaker,
) -> None:
    jane = flagged(sessions, "jane-chat", JANE, 1)
    flagged(sessions, "khan-chat", KHAN, 1)
    stores = PrivacyStores(sessions)

    exported = await erasure.export(stores, customer_id=JANE)
    (chat,) = exported["gateway_database"]
    assert chat["message_flags"] == [{"message_id": jane, "conversation_id": "jane-chat",
                                      "flagged_by": "ada", "at": (NOW - timedelta(days=1)).isoformat()}]  # fmt: skip

    receipt = await erasure.erase(stores, customer_id=JANE)

    assert receipt["stores"]["gateway_database"]["message_flags"] == 1
    assert flag_rows(sessions) == [("khan-chat", "ada")]
    assert (await erasure.export(stores, customer_id=JANE))["gateway_database"] == []


@pytest.mark.parametrize("days", [30, 200])
def test_retention_deletes_the_flags_of_the_messages_it_deletes(
    sessions: sessionmaker, days: int
) -> None:
    flagged(sessions, "old-chat", JANE, 120)
    flagged(sessions, "new-chat", KHAN, 10)

    report = retention.purge(sessions, None, now=NOW, days=days)

    expected = 1 if days == 30 else 0
    assert (report.messages, report.message_flags) == (expected, expected)
    assert report.removed_anything == bool(expected)
    left = [("new-chat", "ada")] if days == 30 else [("new-chat", "ada"), ("old-chat", "ada")]
    assert flag_rows(sessions) == left


def test_deleting_conversations_counts_their_flags(sessions: sessionmaker) -> None:
    flagged(sessions, "jane-chat", JANE, 1)
    with session_scope(sessions) as session:
        counts = retention.delete_conversations(session, ["jane-chat", "nobody"])
        assert (counts["message_flags"], counts["messages"], counts["conversations"]) == (1, 1, 1)
        assert session.execute(select(func.count()).select_from(MESSAGE_FLAGS)).scalar() == 0
