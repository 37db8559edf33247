"""Retention with an explicit clock: what is older than the period goes, in every store."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from handover import crud
from handover.db import session_scope
from handover.models import (
    Conversation,
    ConversationLabel,
    ConversationNote,
    Handover,
    Message,
    Ticket,
)
from privacy import retention, trackers
from privacy.settings import PrivacySettings
from tests.privacy.conftest import add_events

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _conversation(session, cid: str, *, state: str, created: float, closed: float | None = None,
                  messages: tuple[float, ...] = ()) -> None:  # fmt: skip
    closed_at = ago(closed) if closed is not None else None
    session.add(Conversation(id=cid, state=state, created_at=ago(created), closed_at=closed_at))
    for days in messages:
        session.add(Message(conversation_id=cid, sender="user", text="hi", created_at=ago(days)))
    session.flush()


def _count(session, table, cid: str | None = None) -> int:
    query = select(func.count()).select_from(table)
    if cid is not None:
        column = table.id if table is Conversation else table.conversation_id
        query = query.where(column == cid)
    return session.execute(query).scalar_one()


@pytest.fixture
def history(sessions: sessionmaker, tracker_store: Engine) -> None:
    with session_scope(sessions) as session:
        _conversation(session, "old-closed", state="closed", created=101, closed=100,
                      messages=(101, 100))  # fmt: skip
        crud.open_handover(session, conversation_id="old-closed", reason="customer_request")
        crud.add_ticket(session, conversation_id="old-closed", reference="TCK-1", reason="x")
        _conversation(session, "recent-closed", state="closed", created=11, closed=10,
                      messages=(11,))  # fmt: skip
        _conversation(session, "long-bot", state="bot", created=200, messages=(200, 5))
        _conversation(session, "abandoned", state="bot", created=120, messages=(120,))
        _conversation(session, "old-queued", state="queued", created=120, messages=(120,))
    add_events(
        tracker_store,
        "old-closed",
        [{"event": "user", "text": "hi", "timestamp": ago(100).timestamp()}],
    )
    add_events(tracker_store, "long-bot", [
        {"event": "user", "text": "hi", "timestamp": ago(200).timestamp()},
        {"event": "user", "text": "again", "timestamp": ago(5).timestamp()},
    ])  # fmt: skip


def test_what_is_older_than_the_period_is_deleted(history, sessions, tracker_store) -> None:
    report = retention.purge(sessions, tracker_store, now=NOW, days=90)

    assert (report.messages, report.conversations, report.tracker_events) == (5, 2, 2)
    assert report.cutoff == ago(90)
    with session_scope(sessions) as session:
        remaining = set(session.execute(select(Conversation.id)).scalars())
        assert remaining == {"recent-closed", "long-bot", "old-queued"}
        assert _count(session, Message, "recent-closed") == 1
        assert _count(session, Message, "long-bot") == 1  # the message of 5 days ago
        assert _count(session, Message, "old-queued") == 0  # in progress: the row stays
        assert _count(session, Handover) == 0 and _count(session, Ticket) == 0
    assert [e["text"] for e in trackers.events_of(tracker_store, ["long-bot"])["long-bot"]] == [
        "again"
    ]
    assert trackers.events_of(tracker_store, ["old-closed"]) == {}


def test_old_notes_go_and_a_deleted_conversation_takes_its_notes_and_labels(
    history, sessions, tracker_store
) -> None:
    with session_scope(sessions) as session:
        written = [("long-bot", 100), ("long-bot", 5), ("old-closed", 100), ("old-queued", 95)]
        for cid, days in written:
            note = ConversationNote(
                conversation_id=cid, agent_username="ada", text=f"{days} days ago",
                created_at=ago(days),
            )  # fmt: skip
            session.add(note)
        for cid in ("old-closed", "long-bot"):
            crud.set_labels(session, conversation_id=cid, labels=["refund"], added_by="ada")

    report = retention.purge(sessions, tracker_store, now=NOW, days=90)

    assert report.notes == 3  # the two in conversations kept, and the closed one's
    with session_scope(sessions) as session:
        notes = session.execute(select(ConversationNote.conversation_id, ConversationNote.text))
        assert [tuple(row) for row in notes] == [("long-bot", "5 days ago")]
        labels = session.execute(select(ConversationLabel.conversation_id)).scalars().all()
        assert labels == ["long-bot"], "labels stay with a conversation kept"


def test_a_second_purge_finds_nothing(history, sessions, tracker_store) -> None:
    retention.purge(sessions, tracker_store, now=NOW, days=90)
    again = retention.purge(sessions, tracker_store, now=NOW, days=90)
    assert not again.removed_anything


def test_a_longer_period_keeps_more(history, sessions, tracker_store) -> None:
    report = retention.purge(sessions, tracker_store, now=NOW, days=365)
    assert not report.removed_anything


def test_bad_arguments_are_refused(sessions) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        retention.purge(sessions, None, now=datetime(2026, 11, 28), days=90)
    with pytest.raises(ValueError, match="at least 1"):
        retention.purge(sessions, None, now=NOW, days=0)


def test_the_default_period_is_90_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIVACY_RETENTION_DAYS", raising=False)
    assert PrivacySettings().retention_days == 90
    monkeypatch.setenv("PRIVACY_RETENTION_DAYS", "0")
    with pytest.raises(ValueError):
        PrivacySettings()


async def test_the_job_survives_a_failed_round(monkeypatch: pytest.MonkeyPatch, sessions) -> None:
    calls: list[datetime] = []
    second = threading.Event()

    def purge(*args, now: datetime, days: int, **stores) -> retention.RetentionReport:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database away")
        second.set()
        return retention.RetentionReport(now, 0, 0, 0)

    monkeypatch.setattr(retention, "purge", purge)
    job = asyncio.create_task(retention.keep_purging(sessions, None, days=90, every_seconds=0.01))
    try:
        assert await asyncio.to_thread(second.wait, 10)
    finally:
        job.cancel()
    assert len(calls) >= 2 and all(at.tzinfo is not None for at in calls)
