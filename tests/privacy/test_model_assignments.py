"""The model each conversation was given in a canary (`model_assignments`) under erasure and
retention, on SQLite and PostgreSQL: it names the conversation, so it goes with it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from handover import crud
from handover.db import session_scope
from privacy import erasure, retention
from privacy.erasure import PrivacyStores
from tests.trainer.rollout_rows import add_model
from trainer import rollout
from trainer.tables import MODEL_ASSIGNMENTS

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
JANE, KHAN = "CUS-00001", "CUS-00002"


def assigned(sessions: sessionmaker, cid: str, customer: str, days: float) -> None:
    """A conversation of `customer`, `days` old, with a message and the live model."""
    at = NOW - timedelta(days=days)
    with session_scope(sessions) as session:
        if rollout.current(session) is None:
            add_model(session, "live-1")
            rollout.ensure_initial(session, "live-1", by="test", now=at)
        conversation = crud.upsert_conversation(session, conversation_id=cid, customer_id=customer)
        conversation.created_at = at
        message = crud.add_message(session, conversation_id=cid, sender="user", text="hello")
        message.created_at = at
        rollout.assign(session, cid, now=at, idle_minutes=60)


def assigned_ids(sessions: sessionmaker) -> list[str]:
    with session_scope(sessions) as session:
        query = select(MODEL_ASSIGNMENTS.c.conversation_id).order_by("conversation_id")
        return list(session.execute(query).scalars())


async def test_erasure_deletes_the_assignments_of_the_customers_chats(
    sessions: sessionmaker,
) -> None:
    assigned(sessions, "jane-chat", JANE, 1)
    assigned(sessions, "khan-chat", KHAN, 1)

    receipt = await erasure.erase(PrivacyStores(sessions), customer_id=JANE)

    assert receipt["stores"]["gateway_database"]["model_assignments"] == 1
    assert assigned_ids(sessions) == ["khan-chat"]


def test_retention_deletes_the_assignments_of_the_conversations_it_deletes(
    sessions: sessionmaker,
) -> None:
    assigned(sessions, "old-chat", JANE, 120)
    assigned(sessions, "new-chat", KHAN, 10)

    retention.purge(sessions, None, now=NOW, days=30)

    assert assigned_ids(sessions) == ["new-chat"]
