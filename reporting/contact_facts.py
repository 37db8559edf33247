"""The contact facts rollup: `conversation_events` folded into `contact_facts`, `wait_facts` and
`assignment_facts` (docs/kpis.md, "Speed"), so the KPIs read one row per measure.

`refresh` reads the events above the watermark (`fact_watermarks`, row "contact_facts"), takes
the conversations they touch, walks every event of those conversations with the definitions
of `reporting.kpis_contacts` (`waits`, `assignments`, `Contact.opening`...), replaces their
facts, batch by batch, and moves the watermark with the last batch. Running it again folds
nothing; two running at once take turns on the watermark row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from handover.models import utcnow
from handover.models_reporting import AssignmentFact, ContactFact, FactWatermark, WaitFact
from reporting.kpis_contacts import (
    EVENTS,
    Contact,
    Db,
    Row,
    assignments,
    contacts_of,
    seconds,
    waits,
)

NAME = "contact_facts"  # this rollup's row in fact_watermarks
BATCH = 2_000  # conversations per transaction: a short hold of the write lock
CHUNK = 2_000  # conversation ids per IN (...) list, well under SQLite's variable limit
CONTACTS = ContactFact.__table__
WAITS = WaitFact.__table__
ASSIGNMENTS = AssignmentFact.__table__
WATERMARKS = FactWatermark.__table__
HANDLED = ("closed", "ended")  # the agent's own close, or the customer leaving them


def refresh(db: Db, *, batch: int = BATCH) -> int:
    """Fold the events recorded since the last refresh; the number of contacts recomputed.

    Commits `db` (once per `batch` conversations), so call it outside other work. The
    conversations touched since the watermark are listed first, then recomputed batch after
    batch, each conversation once however many of its events are new (a history in time
    order interleaves them: batches of events would recompute each conversation many times).
    The last batch moves the watermark; if the run stops before, the next redoes its work.
    """
    if not _anything_new(db):
        return 0
    ceiling = _ceiling(db)
    last = lock_watermark(db, NAME)
    events = EVENTS.c
    touched = select(events.conversation_id).where(events.id > last, events.id <= ceiling)
    conversations = sorted(db.execute(touched.distinct()).scalars())
    db.commit()
    recomputed = 0
    for start in range(0, len(conversations), batch):
        lock_watermark(db, NAME)  # one refresh writes at a time
        recomputed += replace_facts(db, conversations[start : start + batch])
        if start + batch >= len(conversations):
            move_watermark(db, NAME, ceiling)
        db.commit()
    return recomputed


def _anything_new(db: Db) -> bool:
    """Whether an event above the watermark has committed: a report's usual answer is no, and
    then it needs no lock (`_ceiling` never lets the watermark pass an uncommitted id)."""
    last = db.execute(select(WATERMARKS.c.last_id).where(WATERMARKS.c.name == NAME)).scalar()
    highest = db.execute(select(func.max(EVENTS.c.id))).scalar()  # the end of the id index
    db.commit()  # as every refresh does: ends the read, keeps what the caller wrote
    return highest is not None and highest > (last or 0)


def _ceiling(db: Db) -> int:
    """The highest event id whose writer has committed, and below which all have.

    PostgreSQL hands out ids before commit, so a row with a lower id can appear after a higher
    one was folded; a SHARE lock waits for the transactions writing the table to finish and
    is released at once. SQLite writes one transaction at a time: ids commit in order.
    """
    if dialect_name(db) == "postgresql":
        db.execute(text(f"LOCK TABLE {EVENTS.name} IN SHARE MODE"))
    ceiling = db.execute(select(func.max(EVENTS.c.id))).scalar()
    db.commit()
    return ceiling or 0


def lock_watermark(db: Db, name: str) -> int:
    """Begin the transaction that owns rollup `name`: its watermark, held until commit.

    The insert comes first so that SQLite takes its write lock before reading anything (a
    reader that later writes could be refused); on PostgreSQL the row lock makes a second
    refresh wait, then read the watermark the first one left.
    """
    values = {"name": name, "last_id": 0, "updated_at": utcnow()}
    module: Any = postgresql if dialect_name(db) == "postgresql" else sqlite
    db.execute(module.insert(WATERMARKS).values(**values).on_conflict_do_nothing())
    query = select(WATERMARKS.c.last_id).where(WATERMARKS.c.name == name).with_for_update()
    return db.execute(query).scalar_one()


def move_watermark(db: Db, name: str, last_id: int) -> None:
    """Raise rollup `name`'s watermark to `last_id` (never lower it: a slower refresh that
    read less must not undo a faster one)."""
    db.execute(
        update(WATERMARKS)
        .where(WATERMARKS.c.name == name, WATERMARKS.c.last_id < last_id)
        .values(last_id=last_id, updated_at=utcnow())
    )


def replace_facts(db: Db, conversations: Sequence[str]) -> int:
    """Recompute every contact of these conversations from all their events; how many."""
    contacts: list[Contact] = []
    for start in range(0, len(conversations), CHUNK):
        chunk = conversations[start : start + CHUNK]
        events = EVENTS.c
        query = (
            select(EVENTS)
            .where(events.conversation_id.in_(chunk))
            .order_by(events.conversation_id, events.episode, events.at, events.id)
        )
        contacts.extend(contacts_of(db.execute(query).mappings()))
        for table in (CONTACTS, WAITS, ASSIGNMENTS):
            db.execute(delete(table).where(table.c.conversation_id.in_(chunk)))
    rows: dict[Any, list[dict[str, Any]]] = {CONTACTS: [], WAITS: [], ASSIGNMENTS: []}
    for contact in contacts:
        rows[CONTACTS].append(contact_fact(contact))
        rows[WAITS].extend(wait_facts(contact))
        rows[ASSIGNMENTS].extend(assignment_facts(contact))
    for table, values in rows.items():
        if values:
            db.execute(insert(table), values)
    return len(contacts)


def _key(contact: Contact) -> dict[str, Any]:
    return {
        "conversation_id": contact.conversation_id,
        "episode": contact.episode,
        "language": contact.language,
        "channel": contact.channel,
    }


def _stamp(row: Row | None) -> float | None:
    """The row's time in Unix seconds (how the fact tables keep times)."""
    return row.at.timestamp() if row else None


def contact_fact(contact: Contact) -> dict[str, Any]:
    """The contact's row: its opening, first queueing, ending and rating."""
    opening, queued, ending = contact.opening, contact.first("queued"), contact.ending
    return {
        **_key(contact),
        "customer_id": contact.customer_id,
        "first_at": contact.rows[0].at.timestamp(),
        "last_at": contact.rows[-1].at.timestamp(),
        "opened_at": _stamp(opening),
        "queued_at": _stamp(queued),
        "queued_skill": queued.skill if queued else None,
        "queued_reason": queued.reason if queued else None,
        "queue_seconds": seconds(opening, queued) if opening and queued else None,
        "ended_at": _stamp(ending),
        "ending_kind": ending.kind if ending else None,
        "outcome": ending.outcome if ending else None,
        "ended_skill": ending.skill if ending else None,
        "ended_agent": ending.agent if ending else None,
        "score": contact.score,
    }


def wait_facts(contact: Contact) -> Iterable[dict[str, Any]]:
    for number, wait in enumerate(waits(contact), start=1):
        end = wait.end
        yield {
            **_key(contact),
            "number": number,
            "began_at": wait.begin.at.timestamp(),
            "begin_kind": wait.begin.kind,
            "skill": wait.begin.skill,
            "ended_at": _stamp(end),
            "end_kind": end.kind if end else None,
            "seconds": seconds(wait.begin, end) if end else None,
        }


def assignment_facts(contact: Contact) -> Iterable[dict[str, Any]]:
    for number, held in enumerate(assignments(contact), start=1):
        end, reply = held.end, held.first_reply
        handled = end is not None and end.kind in HANDLED and end.agent == held.agent
        yield {
            **_key(contact),
            "number": number,
            "agent": held.agent,
            "began_at": held.begin.at.timestamp(),
            "skill": held.begin.skill,
            "ended_at": _stamp(end),
            "end_kind": end.kind if end else None,
            "end_agent": end.agent if end else None,
            "reply_seconds": seconds(held.begin, reply) if reply else None,
            "handle_seconds": seconds(held.begin, end) if end and handled else None,
        }


def dialect_name(db: Db) -> str:
    return db.dialect.name if isinstance(db, Connection) else db.get_bind().dialect.name


def forget_deleted_events(db: Db) -> None:
    """After deleting events (erasure, retention): bring the watermark down to the last event
    left. SQLite gives a new row the highest id + 1, so ids of deleted rows come back, and a
    watermark above them would skip those new rows. Runs in the caller's transaction."""
    highest = db.execute(select(func.max(EVENTS.c.id))).scalar() or 0
    db.execute(
        update(WATERMARKS)
        .where(WATERMARKS.c.name == NAME, WATERMARKS.c.last_id > highest)
        .values(last_id=highest, updated_at=utcnow())
    )


def delete_facts(db: Db, conversations: Iterable[str]) -> int:
    """Delete the facts of these conversations (erasure); the number of contacts deleted."""
    listed = sorted(set(conversations))
    deleted = 0
    for start in range(0, len(listed), CHUNK):
        chunk = listed[start : start + CHUNK]
        for table in (WAITS, ASSIGNMENTS, CONTACTS):
            result = db.execute(delete(table).where(table.c.conversation_id.in_(chunk)))
        deleted += result.rowcount or 0
    return deleted


def delete_facts_before(db: Db, cutoff: datetime) -> int:
    """Delete the facts of contacts whose every event is older than `cutoff` (retention);
    the number of contacts deleted. A contact with newer events keeps its row until then."""
    before = cutoff.timestamp()
    old = select(CONTACTS.c.conversation_id, CONTACTS.c.episode).where(CONTACTS.c.last_at < before)
    for table in (WAITS, ASSIGNMENTS):
        key = tuple_(table.c.conversation_id, table.c.episode)
        db.execute(delete(table).where(key.in_(old)))
    return db.execute(delete(CONTACTS).where(CONTACTS.c.last_at < before)).rowcount or 0
