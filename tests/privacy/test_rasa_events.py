"""Rasa's events published for reports (`rasa_events`): retention, erasure and export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from privacy import erasure, retention
from privacy.erasure import PrivacyStores
from reporting import broker_table

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
JANE, JANE_ACCOUNT, KHAN = "CUS-00001", "30000001", "CUS-00002"


def at(days_ago: float) -> float:
    return (NOW - timedelta(days=days_ago)).timestamp()


def event(sender: str, days_ago: float, kind: str = "user", **fields: object) -> dict:
    return {"sender_id": sender, "event": kind, "timestamp": at(days_ago), **fields}


@pytest.fixture
def rasa_events(tmp_path: Path) -> Iterator[Engine]:
    """The events table with Jane's two conversations and Khan's, as the broker wrote them."""
    engine = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")
    broker_table.create_table(engine)
    with engine.begin() as connection:
        broker_table.insert(connection, [
            event("jane-verified", 100, text="my bill", input_channel="socketio"),
            event("jane-verified", 100, "slot", name="customer_id", value=JANE),
            event("jane-verified", 2, text="thanks", input_channel="socketio"),
            event("jane-tried", 1, "slot", name="account_number", value=JANE_ACCOUNT),
            event("khan-chat", 1, "slot", name="customer_id", value=KHAN),
            event("khan-chat", 120, text="hello", input_channel="rest"),
        ])  # fmt: skip
    yield engine
    engine.dispose()


def senders(engine: Engine) -> dict[str, int]:
    found = broker_table.events_of(engine, ["jane-verified", "jane-tried", "khan-chat"])
    return {sender: len(events) for sender, events in found.items()}


def test_retention_deletes_the_events_older_than_the_period(
    sessions: sessionmaker, rasa_events: Engine
) -> None:
    report = retention.purge(sessions, None, now=NOW, days=90, rasa_events=rasa_events)

    assert report.rasa_events == 3 and report.removed_anything
    assert senders(rasa_events) == {"jane-verified": 1, "jane-tried": 1, "khan-chat": 1}
    again = retention.purge(sessions, None, now=NOW, days=90, rasa_events=rasa_events)
    assert again.rasa_events == 0


async def test_erase_removes_the_customers_events_and_counts_them(
    sessions: sessionmaker, rasa_events: Engine
) -> None:
    stores = PrivacyStores(sessions, rasa_events=rasa_events)
    exported = await erasure.export(stores, customer_id=JANE)
    assert exported["conversations"] == ["jane-verified"]
    assert [e["text"] for e in exported["rasa_events"]["jane-verified"] if "text" in e] == [
        "my bill",
        "thanks",
    ]

    receipt = await erasure.erase(stores, customer_id=JANE)

    assert receipt["stores"]["rasa_events"] == {"events": 3}
    assert receipt["stores"]["tracker_store"] == "not configured"
    assert senders(rasa_events) == {"jane-tried": 1, "khan-chat": 2}
    left = await erasure.export(stores, customer_id=JANE)
    assert left["conversations"] == [] and left["rasa_events"] == {}


async def test_an_account_finds_its_conversations_in_the_events(
    sessions: sessionmaker, rasa_events: Engine
) -> None:
    receipt = await erasure.erase(PrivacyStores(sessions, rasa_events=rasa_events),
                                  account=JANE_ACCOUNT)  # fmt: skip

    assert receipt["conversations"] == ["jane-tried"]
    assert receipt["stores"]["rasa_events"] == {"events": 1}


async def test_a_process_without_the_table_says_so(sessions: sessionmaker) -> None:
    receipt = await erasure.erase(PrivacyStores(sessions), customer_id=JANE)
    assert receipt["stores"]["rasa_events"] == "not configured"
    assert (await erasure.export(PrivacyStores(sessions), customer_id=JANE))["rasa_events"] is None


def test_before_rasa_created_the_table_there_is_nothing_to_delete(tmp_path: Path) -> None:
    engine = broker_table.events_engine(f"sqlite:///{tmp_path}/none-yet.db")
    assert broker_table.delete_before(engine, cutoff=at(0)) == 0
    assert broker_table.delete_senders(engine, ["x"]) == 0
    assert broker_table.events_of(engine, ["x"]) == {}
    engine.dispose()
