"""The tracker store publishes to the event broker exactly what it stored: redacted events."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from privacy.settings import tracker_store_endpoint
from privacy.tracker_store import RedactingTrackerStore
from tests.privacy.test_tracker_store import SECRETS, verification_turns

ROOT = Path(__file__).resolve().parents[2]


class CollectingBroker(EventBroker):
    """Keeps what is published; `failing` makes every publish raise, as a database down does."""

    def __init__(self, failing: bool = False) -> None:
        self.published: list[dict[str, Any]] = []
        self.failing = failing

    def publish(self, event: dict[str, Any]) -> None:
        if self.failing:
            raise ConnectionError("broker down, holding chat-secret-sender")
        self.published.append(event)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def broker() -> CollectingBroker:
    return CollectingBroker()


@pytest.fixture
def store(tmp_path: Path, domain: Domain, broker: CollectingBroker) -> Iterator[TrackerStore]:
    # Built as Rasa builds it from endpoints.yml, with the broker Rasa made first.
    section = tracker_store_endpoint({"PRIVACY_TRACKER_STORE_URL": f"sqlite:///{tmp_path}/t.db"})
    made = TrackerStore.create(EndpointConfig.from_dict(section), domain, event_broker=broker)
    assert isinstance(made, RedactingTrackerStore) and made.event_broker is broker
    yield made
    made.engine.dispose()


async def save_verification(
    store: TrackerStore, domain: Domain, sender: str = "jane", channel: str = "socketio"
) -> None:
    # As Rasa does: each turn reads the stored tracker, adds the new events, saves it.
    for turn in verification_turns():
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
        for event in turn:
            if isinstance(event, UserUttered):
                event.input_channel = channel
            tracker.update(event)
        await store.save(tracker)


def stored_rows(store: RedactingTrackerStore) -> list[dict[str, Any]]:
    with store.engine.connect() as connection:
        query = sa.text("SELECT sender_id, data FROM events ORDER BY id")
        return [{"sender_id": s, **json.loads(d)} for s, d in connection.execute(query)]


async def test_the_broker_gets_the_stored_events_and_no_secret(store, domain, broker) -> None:
    await save_verification(store, domain)

    assert broker.published == stored_rows(store)
    published = json.dumps(broker.published)
    for secret in SECRETS:
        assert secret not in published, secret
    # The date of birth, typed while the form asked for it, is replaced whole.
    users = [e for e in broker.published if e["event"] == "user"]
    assert [e["text"] for e in users] == [
        "how much do I owe",
        "30000001",
        "[date of birth]",
        "send the code [code] to [email]",
    ]
    assert {e["input_channel"] for e in users} == {"socketio"}
    assert {e["sender_id"] for e in broker.published} == {"jane"}


async def test_each_event_is_published_once(store, domain, broker) -> None:
    await save_verification(store, domain)
    count = len(broker.published)
    tracker = await store.retrieve("jane")

    await store.save(tracker)

    assert len(broker.published) == count


async def test_rasa_streaming_is_off(store, domain, broker) -> None:
    # Rasa's own path would publish the tracker's events as typed.
    tracker = DialogueStateTracker("jane", domain.slots)
    tracker.update(UserUttered("born 14/03/1985", input_channel="rest"))

    await store.stream_events(tracker)

    assert broker.published == []


async def test_a_failing_broker_loses_no_save_and_logs_no_sender(
    tmp_path: Path, domain: Domain, caplog: pytest.LogCaptureFixture
) -> None:
    failing = CollectingBroker(failing=True)
    store = RedactingTrackerStore(domain, f"sqlite:///{tmp_path}/t.db", event_broker=failing)
    caplog.set_level(logging.ERROR, logger="privacy.tracker_store")

    await save_verification(store, domain, sender="chat-secret-sender", channel="rest")

    tracker = await store.retrieve("chat-secret-sender")
    assert tracker is not None and tracker.get_slot("customer_id") == "CUS-00001"
    assert len(stored_rows(store)) == sum(len(turn) for turn in verification_turns())
    assert "event broker failed (ConnectionError)" in caplog.text
    assert "chat-secret-sender" not in caplog.text
    store.engine.dispose()


class TurnBroker(CollectingBroker):
    """A broker that takes a turn's events at once, as the SQL event store does."""

    def __init__(self, failing: bool = False) -> None:
        super().__init__(failing)
        self.turns: list[list[dict[str, Any]]] = []

    def publish(self, event: dict[str, Any]) -> None:
        raise AssertionError("a broker with publish_all gets a turn's events at once")

    def publish_all(self, events: list[dict[str, Any]]) -> None:
        if self.failing:
            raise ConnectionError("broker down, holding chat-secret-sender")
        self.turns.append(events)
        self.published.extend(events)


async def test_a_broker_that_takes_a_turn_at_once_gets_each_saves_events_together(
    tmp_path: Path, domain: Domain
) -> None:
    broker = TurnBroker()
    store = RedactingTrackerStore(domain, f"sqlite:///{tmp_path}/t.db", event_broker=broker)

    await save_verification(store, domain)
    await store.save(await store.retrieve("jane"))  # nothing new: nothing published

    assert [len(turn) for turn in broker.turns] == [len(t) for t in verification_turns()]
    assert broker.published == stored_rows(store)
    assert "30000001" in json.dumps(broker.published)  # the account number is not a secret
    assert "14/03/1985" not in json.dumps(broker.published)
    store.engine.dispose()


async def test_a_failing_turn_broker_loses_no_save_and_logs_no_sender(
    tmp_path: Path, domain: Domain, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedactingTrackerStore(
        domain, f"sqlite:///{tmp_path}/t.db", event_broker=TurnBroker(failing=True)
    )
    caplog.set_level(logging.ERROR, logger="privacy.tracker_store")

    await save_verification(store, domain, sender="chat-secret-sender")

    assert len(stored_rows(store)) == sum(len(turn) for turn in verification_turns())
    assert "event broker failed (ConnectionError): 8 events of conversation" in caplog.text
    assert "chat-secret-sender" not in caplog.text
    store.engine.dispose()
