"""Through the real RabbitMQ (127.0.0.1:5672, guest/guest; .ci/services.sh starts it): the
tracker store publishes with Rasa's own `pika` broker, the consumer fills the events table."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import select

from privacy.tracker_store import RedactingTrackerStore
from reporting import broker_table
from reporting.consumer import consume
from reporting.settings import ReportingSettings, event_broker_endpoint
from tests.privacy.test_tracker_store import SECRETS, verification_turns
from tests.reporting.test_published_events import save_verification

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"
ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30


def rabbitmq_unreachable() -> str | None:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as error:
        return f"RabbitMQ at 127.0.0.1:5672 is unreachable ({error}); .ci/services.sh starts it"
    return None


@pytest.fixture
async def settings(tmp_path: Path) -> AsyncIterator[ReportingSettings]:
    """A queue of this test's own, on an exchange of its own: no other Rasa publishes there."""
    if reason := rabbitmq_unreachable():
        pytest.skip(reason)
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield ReportingSettings(
        rabbitmq_url=RABBITMQ, rabbitmq_queue=name, events_url=f"sqlite:///{tmp_path}/events.db"
    )
    connection = await aio_pika.connect_robust(RABBITMQ)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)
        await channel.exchange_delete(name)


@pytest.fixture
async def pika(settings: ReportingSettings) -> AsyncIterator[PikaEventBroker]:
    """Rasa's RabbitMQ broker, made as Rasa makes it from the stack's `event_broker:` section."""
    section = {**event_broker_endpoint(settings), "exchange_name": settings.rabbitmq_queue}
    broker = await EventBroker.create(EndpointConfig.from_dict(section), asyncio.get_running_loop())
    assert isinstance(broker, PikaEventBroker) and broker.is_ready()
    yield broker
    await broker.close()


async def waiting(settings: ReportingSettings) -> int:
    connection = await aio_pika.connect_robust(RABBITMQ)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(settings.rabbitmq_queue, durable=True, passive=True)
        return queue.declaration_result.message_count or 0


def table(settings: ReportingSettings) -> list[tuple[str, dict]]:
    engine = broker_table.events_engine(settings.events_url)
    try:
        with engine.connect() as connection:
            query = select(broker_table.EVENTS.c.sender_id, broker_table.EVENTS.c.data)
            rows = connection.execute(query.order_by(broker_table.EVENTS.c.id)).all()
    finally:
        engine.dispose()
    return [(sender, json.loads(data)) for sender, data in rows]


async def test_a_verification_goes_through_rabbitmq_into_the_table_redacted(
    settings: ReportingSettings, pika: PikaEventBroker, tmp_path: Path
) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = TrackerStore.create(
        EndpointConfig(
            f"sqlite:///{tmp_path}/t.db", type="privacy.tracker_store.RedactingTrackerStore"
        ),
        domain,
        event_broker=pika,
    )
    assert isinstance(store, RedactingTrackerStore)
    await save_verification(store, domain, sender="jane-mq", channel="socketio")
    expected = sum(len(turn) for turn in verification_turns())

    stored = await asyncio.wait_for(consume(settings, limit=expected), WAIT_SECONDS)

    assert stored == expected
    rows = table(settings)
    assert len(rows) == expected
    assert {(sender, event["sender_id"]) for sender, event in rows} == {("jane-mq", "jane-mq")}
    users = [e for _, e in rows if e["event"] == "user"]
    assert users[2]["text"] == "[date of birth]"
    assert {e["input_channel"] for e in users} == {"socketio"}
    for secret in SECRETS:
        assert secret not in json.dumps(rows), secret
    assert await waiting(settings) == 0
    store.engine.dispose()


async def test_what_is_not_acknowledged_comes_back_and_nothing_is_stored_twice(
    settings: ReportingSettings, pika: PikaEventBroker
) -> None:
    events = [
        {"sender_id": "chat-mq", "event": "user", "timestamp": float(i), "text": f"message {i}"}
        for i in range(3)
    ]
    for event in events:
        pika.publish(event)

    # Stopped after two: the third (sent ahead, not acknowledged) goes back to the queue.
    assert await asyncio.wait_for(consume(settings, limit=2), WAIT_SECONDS) == 2
    assert await asyncio.wait_for(consume(settings, limit=1), WAIT_SECONDS) == 1

    assert [e for _, e in table(settings)] == events
    assert await waiting(settings) == 0


async def test_a_stray_message_is_dropped_and_the_queue_goes_on(
    settings: ReportingSettings, pika: PikaEventBroker
) -> None:
    connection = await aio_pika.connect_robust(RABBITMQ)
    async with connection:
        channel = await connection.channel()
        stray = aio_pika.Message(b"not an event")
        await channel.default_exchange.publish(stray, routing_key=settings.rabbitmq_queue)
    event = {"sender_id": "chat-mq", "event": "bot", "timestamp": 1.0, "text": "Hello!"}
    pika.publish(event)

    assert await asyncio.wait_for(consume(settings, limit=1), WAIT_SECONDS) == 1

    assert table(settings) == [("chat-mq", event)]
    assert await waiting(settings) == 0


async def test_the_command_the_stack_starts_stores_events_and_stops_on_sigterm(
    settings: ReportingSettings, pika: PikaEventBroker
) -> None:
    env = {
        **os.environ,
        "REPORTING_RABBITMQ_URL": RABBITMQ,
        "REPORTING_RABBITMQ_QUEUE": settings.rabbitmq_queue,
        "REPORTING_EVENTS_URL": settings.events_url,
    }
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "reporting", "consume", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert command.stdout is not None
    try:
        # Ready once it says so: it has declared the queue and waits for messages.
        while True:
            line = await asyncio.wait_for(command.stdout.readline(), WAIT_SECONDS)
            assert line, "the consumer stopped"
            if b"storing the events of queue" in line:
                break
        event = {"sender_id": "chat-cmd", "event": "user", "timestamp": 1.0, "text": "hi"}
        pika.publish(event)
        for _ in range(WAIT_SECONDS * 10):
            if table(settings):
                break
            await asyncio.sleep(0.1)
        assert table(settings) == [("chat-cmd", event)]
    finally:
        if command.returncode is None:
            command.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(command.wait(), WAIT_SECONDS) == 0
