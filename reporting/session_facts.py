"""Keeps the bot's facts (`reporting.session_tables`) up to date with Rasa's events.

`refresh` folds the `rasa_events` rows added since the last call (an id watermark kept in
the gateway's database) into one `session_facts` row per Rasa session and the
`misunderstood_texts` of those sessions. A new row can change any session of its sender (it
may continue the last one), so each sender a batch touches has all its sessions recomputed
from all its events, with `bot_facts.split_sessions`: the facts are what `bot_sessions` would
read from the raw events, by construction. Rows are replaced per sender and the watermark moves
in the same transaction, so a batch is done once or not at all, and running it again changes
nothing. Two refreshes at once take turns (the watermark's row, `fact_watermarks`
"session_facts", locked until the batch commits; and a lock in the process for its threads).

What a session takes from beyond its events (the gateway's queueing, the customer's next
session) is kept by `reporting.session_links`, in the same transactions.

The delete functions are erasure's and retention's: the facts hold customer ids and words.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from reporting.bot_facts import SessionFacts, normalised, redacted, split_sessions
from reporting.broker_table import EVENTS
from reporting.contact_facts import lock_watermark, move_watermark
from reporting.session_links import (
    GATEWAY,
    committed_ceiling,
    customers_of,
    fold_gateway,
    link,
    lower_watermark,
)
from reporting.session_links import NAME as GATEWAY_NAME
from reporting.session_tables import (
    CHANNEL,
    CUSTOMER,
    INTENT,
    LANGUAGE,
    MISUNDERSTOOD_TEXTS,
    QUARTER,
    REQUEST,
    SENDER,
    SESSION_FACTS,
)
from reporting.settings import ReportingSettings

Db = Session | Connection
# Rasa events folded per transaction: bounded memory and lock time on a first build.
BATCH = 20_000
CHUNK = 500  # ids per IN (...): well under SQLite's limit on bound parameters
NAME = "session_facts"  # this rollup's row in fact_watermarks
_THREADS = threading.Lock()


def refresh(
    gateway_db: Engine | Db,
    events_engine: Engine,
    *,
    batch: int = BATCH,
    low_confidence: float | None = None,
) -> int:
    """Fold the new `rasa_events` rows into the facts, then the gateway's new rows into their
    sessions (`reporting.session_links`); returns how many `rasa_events` rows were folded.
    `low_confidence`: which doubtful messages to keep (`reporting.nlu_misses`; None: the
    setting, `REPORTING_LOW_CONFIDENCE`)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    if low_confidence is None:
        low_confidence = ReportingSettings().low_confidence
    engine = _engine_of(gateway_db)
    if not inspect(events_engine).has_table(EVENTS.name):
        with _THREADS:
            fold_gateway(engine, batch)
        return 0  # Rasa has not started with a broker yet
    folded = 0
    with _THREADS:
        while True:
            count = _fold_batch(engine, events_engine, batch, low_confidence)
            folded += count
            if count < batch:
                break
        fold_gateway(engine, batch)
    return folded


def delete_senders(db: Db, senders: Collection[str]) -> int:
    """Delete the facts of these Rasa senders (conversation ids); returns the sessions deleted.

    In the caller's transaction."""
    removed = 0
    for chunk in _chunks(sorted(senders)):
        db.execute(delete(MISUNDERSTOOD_TEXTS).where(MISUNDERSTOOD_TEXTS.c.sender_id.in_(chunk)))
        removed += db.execute(
            delete(SESSION_FACTS).where(SESSION_FACTS.c.sender_id.in_(chunk))
        ).rowcount
    return removed


def delete_before(db: Db, cutoff: datetime) -> int:
    """Delete the sessions that started before `cutoff` with their texts; returns how many
    sessions. In the caller's transaction."""
    before = cutoff.timestamp()
    db.execute(delete(MISUNDERSTOOD_TEXTS).where(MISUNDERSTOOD_TEXTS.c.started < before))
    return db.execute(delete(SESSION_FACTS).where(SESSION_FACTS.c.started < before)).rowcount


def senders_of_customer(db: Db, customer_id: str) -> set[str]:
    """The Rasa senders with a session of this customer (their `customer_id` slot)."""
    query = select(SESSION_FACTS.c.sender_id).where(SESSION_FACTS.c.customer_id == customer_id)
    return set(db.execute(query.distinct()).scalars())


def forget_deleted_events(db: Db, events_engine: Engine | None = None) -> None:
    """After deleting events (erasure, retention): bring the watermarks down to the last rows
    left, of `conversation_events` (the gateway's, in `db`) and of `rasa_events` (if given).
    SQLite gives a new row the highest id + 1, so the ids of deleted rows come back, and a
    watermark above them would skip those new rows. In the caller's transaction."""
    lower_watermark(db, GATEWAY_NAME, db.execute(select(func.max(GATEWAY.c.id))).scalar() or 0)
    if events_engine is not None and inspect(events_engine).has_table(EVENTS.name):
        with events_engine.connect() as events:
            highest = events.execute(select(func.max(EVENTS.c.id))).scalar() or 0
        lower_watermark(db, NAME, highest)


def _engine_of(db: Engine | Db) -> Engine:
    if isinstance(db, Engine):
        return db
    bind = db.get_bind() if isinstance(db, Session) else db.engine
    if not isinstance(bind, Engine):
        raise TypeError("the gateway database must be bound to an engine")
    return bind


def _fold_batch(engine: Engine, events_engine: Engine, batch: int, low_confidence: float) -> int:
    with engine.begin() as connection:
        low = lock_watermark(connection, NAME)
        with events_engine.connect() as events:
            newest = committed_ceiling(events, EVENTS)
            if newest < low:
                low = 0  # the events' table was emptied and started again: fold it all
            rows = events.execute(
                select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data)
                .where(EVENTS.c.id > low, EVENTS.c.id <= newest)
                .order_by(EVENTS.c.id)
                .limit(batch)
            ).all()
            if not rows:
                return 0
            senders = sorted({row.sender_id for row in rows})
            older = _older_rows(events, senders, low)
        sessions = split_sessions(_decoded(_by_sender(older, rows)), low_confidence=low_confidence)
        customers = customers_of(connection, senders)
        customers.update(s.customer_id for s in sessions if s.customer_id is not None)
        for chunk in _chunks(senders):
            connection.execute(
                delete(MISUNDERSTOOD_TEXTS).where(MISUNDERSTOOD_TEXTS.c.sender_id.in_(chunk))
            )
            connection.execute(delete(SESSION_FACTS).where(SESSION_FACTS.c.sender_id.in_(chunk)))
        if sessions:
            connection.execute(SESSION_FACTS.insert(), [_fact_row(s) for s in sessions])
        if texts := [row for s in sessions for row in _text_rows(s)]:
            connection.execute(MISUNDERSTOOD_TEXTS.insert(), texts)
        link(connection, senders, customers)
        move_watermark(connection, NAME, rows[-1].id)
        return len(rows)


def _older_rows(events: Connection, senders: list[str], low: int) -> list[Any]:
    """The events already folded of these senders: their sessions may go on in this batch."""
    found: list[Any] = []
    for chunk in _chunks(senders):
        found.extend(
            events.execute(
                # Unordered (`_by_sender` sorts): ordered by id, PostgreSQL would walk the
                # primary key up to `low` instead of looking the senders up.
                select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data).where(
                    EVENTS.c.sender_id.in_(chunk), EVENTS.c.id <= low
                )
            )
        )
    return found


def _by_sender(older: Sequence[Any], rows: Sequence[Any]) -> list[Any]:
    """Every row, each sender's in the order recorded (ids), senders one after another."""
    return sorted([*older, *rows], key=lambda row: (row.sender_id, row.id))


def _decoded(rows: Iterable[Any]) -> Iterator[tuple[str, float, dict[str, Any]]]:
    for row in rows:
        event = json.loads(row.data)
        if isinstance(event, dict):
            yield row.sender_id, row.timestamp, event


def _fact_row(session: SessionFacts) -> dict[str, Any]:
    return {
        "sender_id": session.sender_id[:SENDER],
        "started": session.started.timestamp(),
        "quarter": int(session.started.timestamp() // QUARTER),
        "first_message": (session.first_message or session.started).timestamp(),
        "ended": session.ended.timestamp(),
        "channel": _cut(session.channel, CHANNEL),
        "language": _cut(session.language, LANGUAGE),
        "customer_id": _cut(session.customer_id, CUSTOMER),
        "first_request": _cut(session.first_request, REQUEST),
        "requests": " ".join(session.requests),
        "user_messages": session.user_messages,
        "fallbacks": session.fallbacks,
        "asked_for_person": session.asked_for_person,
        "bot_ticket": session.bot_ticket,
        "verified": session.verified,
        "unanswered": session.unanswered,
        "gateway_queued": False,  # reporting.session_links sets these
        "gateway_expired": False,
    }


def _text_rows(session: SessionFacts) -> Iterator[dict[str, Any]]:
    for miss in session.misses:
        # The tracker store redacted it; again, with today's rules, before managers read it.
        clean = redacted(miss.text)
        yield {
            "sender_id": session.sender_id[:SENDER],
            "started": session.started.timestamp(),
            "at": miss.at.timestamp(),
            "channel": _cut(session.channel, CHANNEL),
            "language": _cut(session.language, LANGUAGE),
            "text": clean,
            "folded": normalised(clean),
            "source": miss.source,
            "intent": _cut(miss.intent, INTENT),
            "confidence": miss.confidence,
        }


def _cut(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for index in range(0, len(values), CHUNK):
        yield values[index : index + CHUNK]
