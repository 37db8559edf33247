"""The reports' rollup of Rasa's sessions (`session_facts`, `misunderstood_texts`) under
retention and erasure, on SQLite and PostgreSQL (the gateway's database; Rasa's published
events in a SQLite file of their own)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from handover.db import session_scope
from privacy import erasure, retention
from privacy.erasure import PrivacyStores
from reporting import broker_table
from reporting.session_facts import refresh
from reporting.session_tables import MISUNDERSTOOD_TEXTS, SESSION_FACTS

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
JANE, KHAN = "CUS-00001", "CUS-00002"


@pytest.fixture
def rasa_events(tmp_path: Path) -> Iterator[Engine]:
    made = broker_table.events_engine(f"sqlite:///{tmp_path / 'events.db'}")
    broker_table.create_table(made)
    yield made
    made.dispose()


def publish(engine: Engine, sender: str, days: float, customer: str | None) -> None:
    """A session `days` before NOW: a misunderstood message, then a request."""
    at = (NOW - timedelta(days=days)).timestamp()
    events: list[dict[str, Any]] = [
        {"event": "session_started", "timestamp": at},
        {"event": "user", "timestamp": at + 1, "text": "zzz", "input_channel": "rest",
         "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "user", "timestamp": at + 2, "text": "my bill", "input_channel": "rest",
         "parse_data": {"intent": {"name": "check_bill_balance"}}},
    ]  # fmt: skip
    if customer:
        events.append({"event": "slot", "timestamp": at + 3, "name": "customer_id",
                       "value": customer})  # fmt: skip
    with engine.begin() as connection:
        broker_table.insert(connection, [{"sender_id": sender, **e} for e in events])


def folded(sessions: sessionmaker, events: Engine) -> list[tuple[str, str | None]]:
    """The sessions in the rollup after a refresh, with their customer."""
    with session_scope(sessions) as session:
        refresh(session, events)
        query = select(SESSION_FACTS.c.sender_id, SESSION_FACTS.c.customer_id)
        return [tuple(row) for row in session.execute(query.order_by(SESSION_FACTS.c.sender_id))]


def texts(sessions: sessionmaker) -> list[str]:
    with session_scope(sessions) as session:
        query = select(MISUNDERSTOOD_TEXTS.c.sender_id).order_by(MISUNDERSTOOD_TEXTS.c.sender_id)
        return list(session.execute(query).scalars())


def test_retention_deletes_the_sessions_begun_before_the_cutoff(
    sessions: sessionmaker, rasa_events: Engine
) -> None:
    publish(rasa_events, "old", 100, JANE)
    publish(rasa_events, "recent", 1, KHAN)
    assert folded(sessions, rasa_events) == [("old", JANE), ("recent", KHAN)]

    report = retention.purge(sessions, None, now=NOW, days=90, rasa_events=rasa_events)

    assert report.session_facts == 1 and report.removed_anything
    assert folded(sessions, rasa_events) == [("recent", KHAN)]
    assert texts(sessions) == ["recent"]
    again = retention.purge(sessions, None, now=NOW, days=90, rasa_events=rasa_events)
    assert again.session_facts == 0 and not again.removed_anything


async def test_erasure_deletes_the_customers_sessions_and_later_events_are_still_folded(
    sessions: sessionmaker, rasa_events: Engine
) -> None:
    publish(rasa_events, "khan-chat", 2, KHAN)
    publish(rasa_events, "jane-chat", 1, JANE)  # the highest event ids are Jane's
    assert folded(sessions, rasa_events) == [("jane-chat", JANE), ("khan-chat", KHAN)]

    receipt = await erasure.erase(
        PrivacyStores(sessions, rasa_events=rasa_events), customer_id=JANE
    )

    assert receipt["conversations"] == ["jane-chat"]
    assert receipt["stores"]["gateway_database"]["session_facts"] == 1
    assert texts(sessions) == ["khan-chat"]
    # SQLite hands Jane's deleted ids to the next rows: the rollup must still read them.
    publish(rasa_events, "new-chat", 0, None)
    assert folded(sessions, rasa_events) == [("khan-chat", KHAN), ("new-chat", None)]


async def test_erasure_finds_the_sessions_by_customer_without_the_events(
    sessions: sessionmaker, rasa_events: Engine
) -> None:
    # The rollup outlives the events store (not reachable from this process).
    publish(rasa_events, "jane-rest", 1, JANE)
    folded(sessions, rasa_events)

    receipt = await erasure.erase(PrivacyStores(sessions), customer_id=JANE)

    assert receipt["conversations"] == ["jane-rest"]
    assert receipt["stores"]["gateway_database"]["session_facts"] == 1
    with session_scope(sessions) as session:
        assert session.execute(select(func.count()).select_from(SESSION_FACTS)).scalar() == 0
