"""What the stack gives Rasa for reports: an `event_broker:` section, and with RabbitMQ the
consumer as one more process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rasa.utils.endpoints import read_endpoint_config

from bot.settings import BotSettings
from bot.stack import ROOT, Process, Stack

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture(autouse=True)
def _no_reporting_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPORTING_EVENTS_URL", "REPORTING_RABBITMQ_URL", "REPORTING_RABBITMQ_QUEUE"):
        monkeypatch.delenv(name, raising=False)


def made(env: dict[str, str]) -> Iterator[Stack]:
    stack = Stack(BotSettings(environment="development"), env=env)
    yield stack
    stack.stop()


@pytest.fixture
def sql_stack(tmp_path: Path) -> Iterator[Stack]:
    yield from made({"REPORTING_EVENTS_URL": f"sqlite:///{tmp_path}/events.db"})


@pytest.fixture
def rabbitmq_stack(tmp_path: Path) -> Iterator[Stack]:
    yield from made({
        "REPORTING_EVENTS_URL": f"sqlite:///{tmp_path}/events.db",
        "REPORTING_RABBITMQ_URL": RABBITMQ,
        "REPORTING_RABBITMQ_QUEUE": "kpi_events",
    })  # fmt: skip


def broker_section(stack: Stack) -> dict:
    rasa = next(p for p in stack.processes if p.name == "rasa")
    endpoints = rasa.argv[rasa.argv.index("--endpoints") + 1]
    config = read_endpoint_config(endpoints, "event_broker")  # as Rasa reads it
    assert config is not None
    return {"type": config.type, "url": config.url, **config.kwargs}


def names(stack: Stack) -> list[str]:
    return [p.name for p in stack.processes]


def test_rasa_writes_the_events_table_by_default(sql_stack: Stack, tmp_path: Path) -> None:
    assert broker_section(sql_stack) == {
        "type": "reporting.broker.SQLEventStore",
        "url": f"sqlite:///{tmp_path}/events.db",
    }
    assert "reporting" not in names(sql_stack)
    gateway = next(p for p in sql_stack.processes if p.name == "gateway")
    assert gateway.env["REPORTING_EVENTS_URL"] == f"sqlite:///{tmp_path}/events.db"


def test_with_rabbitmq_rasa_publishes_there_and_the_consumer_fills_the_table(
    rabbitmq_stack: Stack, tmp_path: Path
) -> None:
    assert broker_section(rabbitmq_stack) == {
        "type": "pika",
        "url": RABBITMQ,
        "username": "guest",
        "password": "guest",
        "port": 5672,
        "queues": ["kpi_events"],
    }
    consumer = next(p for p in rabbitmq_stack.processes if p.name == "reporting")
    assert consumer.argv == [sys.executable, "-m", "reporting", "consume"]
    assert consumer.env["REPORTING_RABBITMQ_URL"] == RABBITMQ
    assert consumer.env["REPORTING_RABBITMQ_QUEUE"] == "kpi_events"
    assert consumer.env["REPORTING_EVENTS_URL"] == f"sqlite:///{tmp_path}/events.db"
    assert consumer.env["RASA_TELEMETRY_ENABLED"] == "false"


def test_a_process_that_serves_nothing_is_ready_while_it_runs() -> None:
    running = Process("sleeper", [sys.executable, "-c", "import time; time.sleep(30)"], None)
    finished = Process("quick", [sys.executable, "-c", "pass"], None)
    with open("/dev/null", "w") as out:
        running.start(out)
        finished.start(out)
    assert finished.popen is not None and finished.popen.wait(timeout=30) == 0
    try:
        assert running.is_ready()
        assert not finished.is_ready()
    finally:
        assert running.popen is not None
        running.popen.kill()
        running.popen.wait(timeout=10)


def test_a_hand_run_rasa_gets_the_sql_default() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["event_broker"] == {
        "type": "reporting.broker.SQLEventStore",
        "url": "sqlite:///var/rasa-events.db",
    }
