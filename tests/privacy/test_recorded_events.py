"""The events recorded for reports (`conversation_events`) under retention, erasure and export,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from handover import crud
from handover.db import session_scope
from handover.models import Conversation, RecordedEvent
from privacy import erasure, retention
from privacy.erasure import PrivacyStores

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
JANE, KHAN = "CUS-00001", "CUS-00002"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def record(session, cid: str, kind: str, days: float, customer_id: str | None = None) -> None:
    session.add(RecordedEvent(conversation_id=cid, episode=1, kind=kind, at=ago(days),
                              customer_id=customer_id, skill="billing"))  # fmt: skip


def left(sessions: sessionmaker) -> list[tuple[str, str]]:
    with session_scope(sessions) as session:
        query = select(RecordedEvent.conversation_id, RecordedEvent.kind)
        return [tuple(row) for row in session.execute(query.order_by(RecordedEvent.id))]


def test_retention_deletes_events_older_than_the_period_and_those_of_conversations_deleted(
    sessions: sessionmaker,
) -> None:
    with session_scope(sessions) as session:
        session.add(Conversation(id="old-closed", state="closed", created_at=ago(101),
                                 closed_at=ago(100)))  # fmt: skip
        session.add(Conversation(id="long-bot", state="bot", created_at=ago(200)))
        session.add(Conversation(id="recent", state="closed", created_at=ago(11),
                                 closed_at=ago(10)))  # fmt: skip
        session.flush()
        crud.add_message(session, conversation_id="long-bot", sender="user", text="hi")
        record(session, "old-closed", "queued", 101)
        record(session, "old-closed", "closed", 100)
        record(session, "old-closed", "rated", 89)  # newer, but its conversation goes
        record(session, "long-bot", "started", 200)
        record(session, "long-bot", "reopened", 5)
        record(session, "recent", "queued", 11)
        record(session, "recent", "closed", 10)

    report = retention.purge(sessions, None, now=NOW, days=90)

    assert report.conversation_events == 3  # older than 90 days
    assert report.conversations == 1 and report.removed_anything
    assert left(sessions) == [("long-bot", "reopened"), ("recent", "queued"), ("recent", "closed")]
    again = retention.purge(sessions, None, now=NOW, days=90)
    assert again.conversation_events == 0 and not again.removed_anything


@pytest.fixture
def recorded(sessions: sessionmaker) -> PrivacyStores:
    """Jane's events in two conversations (one linked to her only by its events), Khan's in
    another."""
    with session_scope(sessions) as session:
        crud.upsert_conversation(session, conversation_id="jane-chat", customer_id=JANE)
        crud.upsert_conversation(session, conversation_id="jane-earlier")
        crud.upsert_conversation(session, conversation_id="khan-chat", customer_id=KHAN)
        for kind in ("started", "queued", "assigned"):
            record(session, "jane-chat", kind, 1, JANE)
        record(session, "jane-earlier", "closed", 30, JANE)
        record(session, "khan-chat", "started", 1, KHAN)
    return PrivacyStores(sessions)


async def test_export_holds_the_customers_events(recorded: PrivacyStores) -> None:
    data = await erasure.export(recorded, customer_id=JANE)

    assert data["conversations"] == ["jane-chat", "jane-earlier"]
    by_id = {c["id"]: c for c in data["gateway_database"]}
    assert [e["kind"] for e in by_id["jane-chat"]["events"]] == ["started", "queued", "assigned"]
    (earlier,) = by_id["jane-earlier"]["events"]
    assert (earlier["kind"], earlier["customer_id"], earlier["at"]) == (
        "closed", JANE, ago(30).isoformat(),
    )  # fmt: skip
    json.dumps(data)


async def test_erasure_deletes_the_customers_events_and_counts_them(
    recorded: PrivacyStores, sessions: sessionmaker
) -> None:
    receipt = await erasure.erase(recorded, customer_id=JANE)

    assert receipt["conversations"] == ["jane-chat", "jane-earlier"]
    assert receipt["stores"]["gateway_database"]["conversation_events"] == 4
    assert left(sessions) == [("khan-chat", "started")]
    again = await erasure.erase(recorded, customer_id=JANE)
    assert again["conversations"] == []
    assert again["stores"]["gateway_database"]["conversation_events"] == 0
