"""Where Rasa's events go for reports, read from `REPORTING_*` environment variables.

Rasa publishes every event its tracker store saves, redacted (`privacy.tracker_store`), to an
event broker: by default straight into the `rasa_events` table at `REPORTING_EVENTS_URL`
(`reporting.broker.SQLEventStore`); with `REPORTING_RABBITMQ_URL` set, to RabbitMQ instead
(Rasa's `pika` broker), from where `python -m reporting consume` writes them into the same
table. Reports read that one table whatever the broker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseSettings, Field, root_validator, validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from reporting.nlu_misses import DEFAULT_LOW_CONFIDENCE

PREFIX = "REPORTING_"
DEFAULT_EVENTS_URL = "sqlite:///var/rasa-events.db"
DEFAULT_QUEUE = "rasa_events"
SQL_STORE_TYPE = "reporting.broker.SQLEventStore"
AMQP_PORTS = {"amqp": 5672, "amqps": 5671}
FROM_OVERRIDES = ("events_url", "rabbitmq_url", "rabbitmq_queue")
_QUEUE = re.compile(r"[A-Za-z0-9_.:-]{1,255}")


class ReportingSettings(BaseSettings):
    """The events table, and RabbitMQ when events travel through it."""

    # One variable for every process of the platform (see handover/config.py).
    environment: str = Field("production", env="SWITCHBOARD_ENVIRONMENT")
    # A SQLAlchemy URL: a SQLite file (relative to the working folder, created 0600) or
    # PostgreSQL. Rasa (or the consumer) writes it; the gateway purges and erases in it.
    events_url: str = DEFAULT_EVENTS_URL
    # amqp://user:password@host:5672/%2F (vhost "/" written %2F); unset: no RabbitMQ.
    rabbitmq_url: str | None = None
    rabbitmq_queue: str = DEFAULT_QUEUE
    # The fold keeps, for the trainer's inbox, the messages the NLU placed with less confidence
    # than this (`reporting.nlu_misses`); the inbox shows those under it. Raised, it applies to
    # the events folded from then on; lowered, at once.
    low_confidence: float = Field(DEFAULT_LOW_CONFIDENCE, gt=0, le=1)

    class Config:
        env_prefix = PREFIX

    @validator("events_url")
    def _sqlalchemy_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "REPORTING_EVENTS_URL must be a database URL, e.g. sqlite:///var/rasa-events.db"
            ) from None
        return value

    @validator("rabbitmq_url")
    def _amqp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _amqp_url_complete(value):
            # Not the value: it holds a password.
            raise ValueError(
                "REPORTING_RABBITMQ_URL must look like amqp://user:password@host:5672/%2F"
            )
        return value

    @validator("rabbitmq_queue")
    def _queue_name(cls, value: str) -> str:
        if not _QUEUE.fullmatch(value):
            raise ValueError("REPORTING_RABBITMQ_QUEUE: 1-255 letters, digits or _.:-")
        return value

    @root_validator(skip_on_failure=True)
    def _no_guest_outside_development(cls, values: dict[str, Any]) -> dict[str, Any]:
        url = values.get("rabbitmq_url")
        if url and values["environment"] != "development" and urlsplit(url).password == "guest":
            raise ValueError(
                "REPORTING_RABBITMQ_URL needs a RabbitMQ user with a real password outside"
                " development (guest/guest is RabbitMQ's default)"
            )
        return values


def _amqp_url_complete(value: str) -> bool:
    url = urlsplit(value)
    try:
        url.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        return False
    return url.scheme in AMQP_PORTS and bool(url.hostname and url.username and url.password)


def reporting_settings(
    overrides: Mapping[str, str] | None = None, *, environment: str | None = None
) -> ReportingSettings:
    """The settings from the environment, with `REPORTING_*` keys of `overrides` (and
    `environment`, when given) beating it."""
    given: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        name = key.removeprefix(PREFIX).lower()
        if key.startswith(PREFIX) and name in FROM_OVERRIDES:
            given[name] = value
    if environment is not None:
        given["environment"] = environment
    return ReportingSettings(**given)


def event_broker_endpoint(settings: ReportingSettings) -> dict[str, Any]:
    """The `event_broker:` section of Rasa's endpoints.yml.

    For RabbitMQ, Rasa's `PikaEventBroker` takes the URL as `url` and wants the user and
    password again: given as written in the URL (percent-encoded), Rasa finds them in it and
    keeps the URL whole (it would otherwise splice them in unencoded).
    """
    if settings.rabbitmq_url is None:
        return {"type": SQL_STORE_TYPE, "url": settings.events_url}
    url = urlsplit(settings.rabbitmq_url)
    return {
        "type": "pika",
        "url": settings.rabbitmq_url,
        "username": url.username,
        "password": url.password,
        "port": url.port or AMQP_PORTS[url.scheme],
        "queues": [settings.rabbitmq_queue],
    }
