"""The `rasa_events` table: each event Rasa saved, redacted, as its event broker got it.

Written by `reporting.broker.SQLEventStore` (Rasa's event broker, by default) or by
`reporting.consumer` (from RabbitMQ); read by reports, purged by retention and erased per
customer by `privacy`. Plain SQLAlchemy, so that the gateway need not import Rasa.

Rasa's own `SQLEventBroker` keeps `events(id, sender_id, data)`; this table adds the event's
`timestamp` (epoch seconds, also inside `data`) so that retention deletes by an index, and its
name differs so that it may share a database with the tracker store, whose table is `events`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Engine

from bot.rasa_sqlite import keep_connections
from bot.sql_tables import create_tables
from privacy.files import make_private

EVENTS = Table(
    "rasa_events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("timestamp", Float, nullable=False, index=True),
    Column("data", Text, nullable=False),
)


class NotAnEvent(ValueError):
    """A message that is not a Rasa event with a sender id."""


def events_engine(url: str) -> Engine:
    """An engine on the events database; a SQLite file is created owner-only if missing, and
    written with a write-ahead log and its connections kept open (`bot.rasa_sqlite`)."""
    make_private(url)
    return keep_connections(url, future=True)


def create_table(engine: Engine) -> None:
    """Create the table (and its indexes) unless it exists: its writers (every Rasa process)
    call it at start, possibly together (`bot.sql_tables`)."""
    create_tables(engine, EVENTS.metadata)


def row_of(event: Any) -> dict[str, Any]:
    """The row for one broker message (Rasa's event dict with `sender_id`); `NotAnEvent`."""
    if not isinstance(event, dict):
        raise NotAnEvent("not a JSON object")
    sender_id, timestamp = event.get("sender_id"), event.get("timestamp")
    if not isinstance(sender_id, str) or not sender_id or len(sender_id) > 255:
        raise NotAnEvent("no sender_id")
    if not isinstance(event.get("event"), str):
        raise NotAnEvent("no event type")
    if not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool):
        timestamp = time.time()  # every Rasa event has one; else retention counts from now
    return {"sender_id": sender_id, "timestamp": timestamp, "data": json.dumps(event)}


def insert(connection: Connection, events: Iterable[dict[str, Any]]) -> int:
    """Add the events (`row_of` each) in the caller's transaction; returns how many."""
    rows = [row_of(event) for event in events]
    if rows:
        connection.execute(EVENTS.insert(), rows)
    return len(rows)


def _present(engine: Engine) -> bool:
    # Its writers create it; before Rasa's first start there is nothing to purge or erase.
    return inspect(engine).has_table(EVENTS.name)


def events_of(engine: Engine, senders: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """Every recorded event of these conversations, in the order recorded."""
    if not senders or not _present(engine):
        return {}
    query = (
        select(EVENTS.c.sender_id, EVENTS.c.data)
        .where(EVENTS.c.sender_id.in_(sorted(senders)))
        .order_by(EVENTS.c.id)
    )
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for sender_id, data in connection.execute(query):
            found.setdefault(sender_id, []).append(json.loads(data))
    return found


def senders_with_slot(engine: Engine, *, name: str, value: str) -> set[str]:
    """Conversations in which the slot `name` was set to `value` (e.g. customer_id)."""
    if not _present(engine):
        return set()
    # LIKE narrows the rows in the database; the JSON check makes the match exact.
    query = select(EVENTS.c.sender_id, EVENTS.c.data).where(
        EVENTS.c.data.contains(json.dumps(name), autoescape=True),
        EVENTS.c.data.contains(json.dumps(value), autoescape=True),
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    found = set()
    for sender_id, data in rows:
        event = json.loads(data)
        if (
            event.get("event") == "slot"
            and event.get("name") == name
            and event.get("value") == value
        ):
            found.add(sender_id)
    return found


def delete_before(engine: Engine, *, cutoff: float) -> int:
    """Delete events older than `cutoff` (epoch seconds); returns how many."""
    if not _present(engine):
        return 0
    with engine.begin() as connection:
        return connection.execute(delete(EVENTS).where(EVENTS.c.timestamp < cutoff)).rowcount


def delete_senders(engine: Engine, senders: Collection[str]) -> int:
    """Delete every event of these conversations; returns how many."""
    if not senders or not _present(engine):
        return 0
    with engine.begin() as connection:
        statement = delete(EVENTS).where(EVENTS.c.sender_id.in_(sorted(senders)))
        return connection.execute(statement).rowcount
