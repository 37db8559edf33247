"""Rasa's event broker writing straight into the `rasa_events` table (`reporting.broker_table`).

Rasa builds it from endpoints.yml (`bot/stack.py` writes the section, see
`reporting.settings.event_broker_endpoint`):

    event_broker:
      type: reporting.broker.SQLEventStore
      url: "sqlite:///var/rasa-events.db"    # or postgresql://user@host/db

It gets what `privacy.tracker_store.RedactingTrackerStore` publishes: the events as stored,
redacted. Not Rasa's `SQLEventBroker`, whose table has no timestamp for retention to use,
no index on the sender for erasure, and whose SQLite file would be readable by all.
"""

from __future__ import annotations

from asyncio import AbstractEventLoop
from collections.abc import Sequence
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from reporting import broker_table
from reporting.settings import DEFAULT_EVENTS_URL


class SQLEventStore(EventBroker):
    """Each published event becomes one row, committed before `publish` returns; a turn's
    events given to `publish_all` are committed together."""

    def __init__(self, url: str = DEFAULT_EVENTS_URL) -> None:
        self.engine = broker_table.events_engine(url)
        broker_table.create_table(self.engine)

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> SQLEventStore:
        """The store at the section's `url` (Rasa's factory calls this)."""
        return cls(broker_config.url or DEFAULT_EVENTS_URL)

    def publish(self, event: dict[str, Any]) -> None:
        """Store one event (Rasa's dict with `sender_id`); raises when the database fails."""
        self.publish_all([event])

    def publish_all(self, events: Sequence[dict[str, Any]]) -> None:
        """Store the events in one transaction (the tracker store's turn: one commit rather
        than one per event, see docs/benchmarks.md); all or none, and raises when the database
        fails or one is not an event."""
        with self.engine.begin() as connection:
            broker_table.insert(connection, events)

    async def close(self) -> None:
        self.engine.dispose()
