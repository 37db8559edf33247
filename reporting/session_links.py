"""What a session's facts take from beyond its own events, kept up to date by the refresh.

- **The gateway's part** (`gateway_queued`, `gateway_expired`): whether the gateway queued the
  conversation within the session's window [first event, last event], and whether that
  contact's queue expired (whenever: a queue expires after the bot's last event). Only for
  the channels that reach the gateway (the widget). Recomputed for a conversation when its
  sessions are, and when the gateway records rows for it (`fold_gateway`, an id watermark
  over `conversation_events`, row "session_gateway" of `fact_watermarks`).
- **The next session** (`next_by_sender`, `next_by_customer`, `next_same_request`): when the
  conversation, the customer, or the customer on the same first request started a session
  after this one ended. Recomputed for every session of a conversation or customer whose
  sessions changed.

Stored rather than looked up per report, so that a report reads its period's rows and
nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, false, func, select, text, update
from sqlalchemy.engine import Connection, Engine

from handover.models import RecordedEvent, utcnow
from reporting.contact_facts import WATERMARKS, lock_watermark, move_watermark
from reporting.events import WIDGET
from reporting.session_tables import SESSION_FACTS

# Channels whose hand-overs go through the gateway, where its rows say what happened; on the
# others (Rasa's REST channel) the bot's own events are all there is.
GATEWAY_CHANNELS = (WIDGET,)
GATEWAY = RecordedEvent.__table__
NAME = "session_gateway"  # the gateway's watermark row in fact_watermarks
CHUNK = 500


def link(connection: Connection, senders: Collection[str], customers: Collection[str]) -> None:
    """Recompute the next sessions of these senders' and customers' sessions, and the
    gateway's part of these senders' sessions."""
    later, facts = SESSION_FACTS.alias("later").c, SESSION_FACTS.c

    def first_after(*same: str) -> Any:
        return (
            select(func.min(later.started))
            .where(*(later[name] == facts[name] for name in same), later.started > facts.ended)
            .scalar_subquery()
        )

    for chunk in _chunks(sorted(senders)):
        connection.execute(
            update(SESSION_FACTS)
            .where(facts.sender_id.in_(chunk))
            .values(next_by_sender=first_after("sender_id"))
        )
    for chunk in _chunks(sorted(customers)):
        connection.execute(
            update(SESSION_FACTS)
            .where(facts.customer_id.in_(chunk))
            .values(
                next_by_customer=first_after("customer_id"),
                next_same_request=first_after("customer_id", "first_request"),
            )
        )
    mark_gateway(connection, senders)


def mark_gateway(connection: Connection, senders: Collection[str]) -> None:
    """Set the gateway's part of these conversations' widget sessions from its rows."""
    facts, rows = SESSION_FACTS.c, GATEWAY.c
    for chunk in _chunks(sorted(senders)):
        sessions = connection.execute(
            select(facts.id, facts.sender_id, facts.started, facts.ended).where(
                facts.sender_id.in_(chunk), facts.channel.in_(GATEWAY_CHANNELS)
            )
        ).all()
        if not sessions:
            continue
        queued: dict[str, list[tuple[int, float]]] = defaultdict(list)
        expired: set[tuple[str, int]] = set()
        for cid, episode, kind, at in connection.execute(
            select(rows.conversation_id, rows.episode, rows.kind, rows.at).where(
                rows.conversation_id.in_({s.sender_id for s in sessions}),
                rows.kind.in_(("queued", "expired")),
            )
        ):
            if kind == "queued":
                queued[cid].append((episode, _epoch(at)))
            else:
                expired.add((cid, episode))
        marks = []
        for s in sessions:
            episodes = {e for e, at in queued[s.sender_id] if s.started <= at <= s.ended}
            if episodes:
                hit = any((s.sender_id, e) in expired for e in episodes)
                marks.append({"key": s.id, "queued": True, "expired": hit})
        ids = [s.id for s in sessions]
        connection.execute(
            update(SESSION_FACTS)
            .where(facts.id.in_(ids))
            .values(gateway_queued=false(), gateway_expired=false())
        )
        if marks:
            connection.execute(
                update(SESSION_FACTS)
                .where(facts.id == bindparam("key"))
                .values(gateway_queued=bindparam("queued"), gateway_expired=bindparam("expired")),
                marks,
            )


def fold_gateway(engine: Engine, batch: int) -> int:
    """Mark again the sessions of the conversations with gateway rows recorded since the last
    call, `batch` rows per transaction; returns how many rows were read."""
    with engine.connect() as connection:
        ceiling = committed_ceiling(connection, GATEWAY)
    folded = 0
    while True:
        with engine.begin() as connection:
            low = lock_watermark(connection, NAME)
            found = connection.execute(
                select(GATEWAY.c.id, GATEWAY.c.conversation_id)
                .where(GATEWAY.c.id > low, GATEWAY.c.id <= ceiling)
                .order_by(GATEWAY.c.id)
                .limit(batch)
            ).all()
            if not found:
                return folded
            mark_gateway(connection, {row.conversation_id for row in found})
            move_watermark(connection, NAME, found[-1].id)
        folded += len(found)
        if len(found) < batch:
            return folded


def committed_ceiling(connection: Connection, table: Table) -> int:
    """The highest id of `table` below which every writer has committed (then commits).

    PostgreSQL hands out ids before commit, so a row with a lower id can appear after a higher
    one was folded; a SHARE lock waits for the transactions writing the table to finish and is
    released at once. SQLite writes one transaction at a time: ids commit in order.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"LOCK TABLE {table.name} IN SHARE MODE"))
    highest = connection.execute(select(func.max(table.c.id))).scalar()
    connection.commit()
    return highest or 0


def lower_watermark(db: Any, name: str, highest: int) -> None:
    """Bring watermark `name` down to `highest` if above it (rows were deleted)."""
    db.execute(
        update(WATERMARKS)
        .where(WATERMARKS.c.name == name, WATERMARKS.c.last_id > highest)
        .values(last_id=highest, updated_at=utcnow())
    )


def customers_of(connection: Connection, senders: Sequence[str]) -> set[str]:
    """The customers of these senders' stored sessions."""
    facts = SESSION_FACTS.c
    found: set[str] = set()
    for chunk in _chunks(senders):
        found.update(
            connection.execute(
                select(facts.customer_id)
                .where(and_(facts.sender_id.in_(chunk), facts.customer_id.is_not(None)))
                .distinct()
            ).scalars()
        )
    return found


def _epoch(at: datetime) -> float:
    return at.timestamp()


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for index in range(0, len(values), CHUNK):
        yield values[index : index + CHUNK]
