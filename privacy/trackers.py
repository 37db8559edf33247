"""The gateway's view of Rasa's SQL tracker store (`events` table), for retention and erasure.

The table is Rasa's (`rasa.core.tracker_store.SQLTrackerStore.SQLEvent`); it is declared here
again so that the gateway need not import Rasa. Each row is one event of one conversation
(`sender_id` is the gateway's conversation id); `data` is the event as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Collection
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
from sqlalchemy.engine import Engine, create_engine

from privacy.files import make_private

EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def tracker_engine(url: str) -> Engine:
    """An engine on the tracker store; a SQLite file is created owner-only if missing."""
    make_private(url)
    return create_engine(url, future=True)


def _present(engine: Engine) -> bool:
    # Rasa creates the table when it starts; until then there is nothing to purge or erase.
    return inspect(engine).has_table("events")


def delete_before(engine: Engine, *, cutoff: float) -> int:
    """Delete events older than `cutoff` (epoch seconds); returns how many."""
    if not _present(engine):
        return 0
    with engine.begin() as connection:
        return connection.execute(delete(EVENTS).where(EVENTS.c.timestamp < cutoff)).rowcount


def senders_with_slot(engine: Engine, *, name: str, value: str) -> set[str]:
    """Conversations in which the slot `name` was ever set to `value` (e.g. customer_id)."""
    if not _present(engine):
        return set()
    # LIKE narrows the rows in the database; the JSON check makes the match exact.
    query = select(EVENTS.c.sender_id, EVENTS.c.data).where(
        EVENTS.c.type_name == "slot",
        EVENTS.c.data.contains(json.dumps(name), autoescape=True),
        EVENTS.c.data.contains(json.dumps(value), autoescape=True),
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    found = set()
    for sender_id, data in rows:
        event = json.loads(data)
        if event.get("name") == name and event.get("value") == value:
            found.add(sender_id)
    return found


def events_of(engine: Engine, senders: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """Every stored event of these conversations, oldest first."""
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


def delete_senders(engine: Engine, senders: Collection[str]) -> int:
    """Delete every event of these conversations; returns how many."""
    if not senders or not _present(engine):
        return 0
    with engine.begin() as connection:
        statement = delete(EVENTS).where(EVENTS.c.sender_id.in_(sorted(senders)))
        return connection.execute(statement).rowcount
