"""Where Rasa's events go: the SQL store by default, RabbitMQ when its URL is set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from rasa.core.brokers.pika import PikaEventBroker

from reporting.settings import (
    DEFAULT_EVENTS_URL,
    ReportingSettings,
    event_broker_endpoint,
    reporting_settings,
)

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture(autouse=True)
def _no_reporting_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPORTING_EVENTS_URL", "REPORTING_RABBITMQ_URL", "REPORTING_RABBITMQ_QUEUE"):
        monkeypatch.delenv(name, raising=False)


def test_by_default_rasa_writes_the_sql_table_itself() -> None:
    settings = ReportingSettings()

    assert settings.rabbitmq_url is None
    assert event_broker_endpoint(settings) == {
        "type": "reporting.broker.SQLEventStore",
        "url": DEFAULT_EVENTS_URL,
    }


def test_rabbitmq_is_chosen_when_its_url_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTING_RABBITMQ_URL", RABBITMQ)
    settings = ReportingSettings()

    assert settings.rabbitmq_url == RABBITMQ
    assert event_broker_endpoint(settings) == {
        "type": "pika",
        "url": RABBITMQ,
        "username": "guest",
        "password": "guest",
        "port": 5672,
        "queues": ["rasa_events"],
    }


def test_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTING_EVENTS_URL", "sqlite:////tmp/from-env.db")
    settings = reporting_settings(
        {
            "REPORTING_EVENTS_URL": "sqlite:////tmp/given.db",
            "REPORTING_RABBITMQ_QUEUE": "kpi",
            "PRIVACY_TRACKER_STORE_URL": "sqlite:////tmp/t.db",  # not ours: ignored
        }
    )

    assert settings.events_url == "sqlite:////tmp/given.db"
    assert settings.rabbitmq_queue == "kpi"


async def test_rasa_connects_to_the_url_as_written_even_with_encoded_characters() -> None:
    # Rasa splices `username:password` into its URL unless it finds them there already.
    url = "amqps://reports:p%40ss%2Fword@mq.example:5671/prod"
    endpoint = event_broker_endpoint(ReportingSettings(rabbitmq_url=url, environment="production"))
    del endpoint["type"]
    broker = PikaEventBroker(endpoint.pop("url"), **endpoint)

    assert broker._configure_url() == url
    assert broker.queues == ["rasa_events"]


@pytest.mark.parametrize(
    "url",
    [
        "http://guest:guest@127.0.0.1:5672/",
        "amqp://127.0.0.1:5672/",
        "amqp://guest@127.0.0.1:5672/",
        "amqp://guest:secret-word@/vhost",
        "amqp://guest:secret-word@127.0.0.1:99999/",
    ],
)
def test_a_rabbitmq_url_without_scheme_host_or_user_is_refused_without_quoting_it(
    url: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        ReportingSettings(rabbitmq_url=url)

    assert "amqp://user:password@host:5672/%2F" in str(refused.value)
    assert "secret-word" not in str(refused.value)


def test_guest_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="real password"):
        ReportingSettings(rabbitmq_url=RABBITMQ, environment="production")
    assert ReportingSettings(rabbitmq_url=RABBITMQ, environment="development").rabbitmq_url


@pytest.mark.parametrize("queue", ["", "a b", "q\n", "x" * 256])
def test_bad_queue_names_are_refused(queue: str) -> None:
    with pytest.raises(ValidationError, match="REPORTING_RABBITMQ_QUEUE"):
        ReportingSettings(rabbitmq_queue=queue)


def test_the_events_url_must_be_a_database_url() -> None:
    with pytest.raises(ValidationError, match="REPORTING_EVENTS_URL"):
        ReportingSettings(events_url="not a url")
