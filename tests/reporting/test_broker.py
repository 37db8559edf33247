"""The SQL event store: Rasa builds it from endpoints.yml; one row per event, read back whole."""

from __future__ import annotations

import json
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import inspect, select

from reporting import broker_table
from reporting.broker import SQLEventStore
from reporting.settings import ReportingSettings, event_broker_endpoint
from tests.handover.conftest import postgres_schema, postgres_unreachable

EVENTS = [
    {"sender_id": "chat-1", "event": "user", "timestamp": 1000.5, "text": "hi",
     "input_channel": "rest"},
    {"sender_id": "chat-1", "event": "bot", "timestamp": 1001.0, "text": "Hello!"},
    {"sender_id": "chat-2", "event": "slot", "timestamp": 1002.0, "name": "customer_id",
     "value": "CUS-00001"},
]  # fmt: skip


async def rasa_builds(url: str) -> EventBroker:
    """The broker as Rasa makes it from the `event_broker:` section the stack writes."""
    section = event_broker_endpoint(ReportingSettings(events_url=url))
    broker = await EventBroker.create(EndpointConfig.from_dict(section))
    assert broker is not None
    return broker


async def test_rasa_builds_the_store_from_the_endpoint_section(tmp_path: Path) -> None:
    path = tmp_path / "var" / "events.db"
    broker = await rasa_builds(f"sqlite:///{path}")

    # Rasa falls back to no broker at all when the class cannot be imported.
    assert isinstance(broker, SQLEventStore)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    indexed = {
        index["column_names"][0] for index in inspect(broker.engine).get_indexes("rasa_events")
    }
    assert indexed == {"sender_id", "timestamp"}
    await broker.close()


async def test_published_events_read_back_whole_in_order(tmp_path: Path) -> None:
    broker = await rasa_builds(f"sqlite:///{tmp_path}/events.db")
    for event in EVENTS:
        broker.publish(event)

    assert broker_table.events_of(broker.engine, ["chat-1", "chat-2"]) == {
        "chat-1": EVENTS[:2],
        "chat-2": EVENTS[2:],
    }
    with broker.engine.connect() as connection:
        rows = connection.execute(select(broker_table.EVENTS)).all()
    assert [(r.sender_id, r.timestamp) for r in rows] == [
        ("chat-1", 1000.5), ("chat-1", 1001.0), ("chat-2", 1002.0)
    ]  # fmt: skip
    assert [json.loads(r.data) for r in rows] == EVENTS
    await broker.close()


async def test_a_failing_database_raises_to_the_publisher(tmp_path: Path) -> None:
    # The tracker store catches it (tests/reporting/test_published_events.py).
    broker = await rasa_builds(f"sqlite:///{tmp_path}/events.db")
    broker_table.EVENTS.drop(broker.engine)

    with pytest.raises(Exception, match="rasa_events"):
        broker.publish(EVENTS[0])
    await broker.close()


@pytest.mark.parametrize(
    "message",
    [
        [],
        "text",
        {"event": "user"},
        {"sender_id": "", "event": "user"},
        {"sender_id": "x" * 256, "event": "user"},
        {"sender_id": "chat-1"},
        {"sender_id": 7, "event": "user"},
    ],
)
def test_what_is_not_a_rasa_event_is_refused(message: object) -> None:
    with pytest.raises(broker_table.NotAnEvent):
        broker_table.row_of(message)


def test_an_event_without_a_time_is_kept_from_when_it_came() -> None:
    row = broker_table.row_of({"sender_id": "chat-1", "event": "user", "timestamp": "soon"})
    assert isinstance(row["timestamp"], float) and row["timestamp"] > 1.7e9


async def test_postgresql_table() -> None:
    if reason := postgres_unreachable():
        pytest.skip(reason)
    with postgres_schema() as url:
        broker = await rasa_builds(url)
        try:
            for event in EVENTS:
                broker.publish(event)
            assert broker_table.events_of(broker.engine, ["chat-2"]) == {"chat-2": EVENTS[2:]}
            assert broker_table.delete_before(broker.engine, cutoff=1001.0) == 1
            assert broker_table.delete_senders(broker.engine, ["chat-1", "chat-2"]) == 2
        finally:
            await broker.close()


@pytest.mark.parametrize("trial", range(5))
def test_rasa_processes_starting_together_share_the_new_table(tmp_path: Path, trial: int) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    barrier = threading.Barrier(4)

    def start() -> None:
        engine = broker_table.events_engine(url)
        barrier.wait()
        try:
            broker_table.create_table(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: start(), range(4)))  # re-raises what a thread raised
    assert inspect(broker_table.events_engine(url)).has_table("rasa_events")


async def test_a_turns_events_are_stored_together_or_not_at_all(tmp_path: Path) -> None:
    broker = await rasa_builds(f"sqlite:///{tmp_path}/events.db")
    assert isinstance(broker, SQLEventStore)
    broker.publish_all(EVENTS[:2])

    with pytest.raises(broker_table.NotAnEvent):
        broker.publish_all([EVENTS[2], {"sender_id": "chat-2"}])

    assert broker_table.events_of(broker.engine, ["chat-1", "chat-2"]) == {"chat-1": EVENTS[:2]}
    broker.publish_all([])
    await broker.close()
