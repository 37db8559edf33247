"""The consumer's handling of one message: acknowledged only once its row is committed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from reporting import broker_table, consumer
from reporting.__main__ import main

EVENT = {"sender_id": "chat-1", "event": "user", "timestamp": 5.0, "text": "hi",
         "input_channel": "socketio"}  # fmt: skip


class Delivery:
    """A message as aio-pika delivers it: a body, and what the consumer answered."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.answers: list[str] = []

    async def ack(self) -> None:
        self.answers.append("ack")

    async def reject(self, requeue: bool = False) -> None:
        self.answers.append(f"reject requeue={requeue}")

    async def nack(self, requeue: bool = True) -> None:
        self.answers.append(f"nack requeue={requeue}")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")
    broker_table.create_table(made)
    yield made
    made.dispose()


async def test_an_event_is_stored_then_acknowledged(engine: Engine) -> None:
    delivery = Delivery(json.dumps(EVENT).encode())

    assert await consumer._handle(engine, delivery)  # type: ignore[arg-type]

    assert delivery.answers == ["ack"]
    assert broker_table.events_of(engine, ["chat-1"]) == {"chat-1": [EVENT]}


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[1, 2]", b'{"event": "user"}'])
async def test_what_is_not_an_event_is_dropped_not_requeued(
    engine: Engine, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = Delivery(body)

    assert not await consumer._handle(engine, delivery)  # type: ignore[arg-type]

    assert delivery.answers == ["reject requeue=False"]
    assert f"dropped a message of {len(body)} bytes" in caplog.text


async def test_a_database_failure_puts_the_message_back_unacknowledged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(consumer, "DATABASE_RETRY_SECONDS", 0)
    broker_table.EVENTS.drop(engine)
    delivery = Delivery(json.dumps(EVENT).encode())

    assert not await consumer._handle(engine, delivery)  # type: ignore[arg-type]

    assert delivery.answers == ["nack requeue=True"]
    assert "events database failed (OperationalError)" in caplog.text
    assert "INSERT" not in caplog.text and "chat-1" not in caplog.text  # nor the row


def test_the_command_needs_rabbitmq(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("REPORTING_RABBITMQ_URL", raising=False)

    assert main(["consume"]) == 2
    assert "set REPORTING_RABBITMQ_URL" in capsys.readouterr().err


def test_unreachable_rabbitmq_exits_1_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path
) -> None:
    # Port 9 (discard) is closed here: the connection is refused at once.
    monkeypatch.setenv("REPORTING_RABBITMQ_URL", "amqp://kpi:s3cret-pw@127.0.0.1:9/%2F")
    monkeypatch.setenv("REPORTING_EVENTS_URL", f"sqlite:///{tmp_path}/events.db")

    assert main(["consume"]) == 1
    err = capsys.readouterr().err
    assert "RabbitMQ at 127.0.0.1:9 could not be reached" in err
    assert "s3cret-pw" not in err
