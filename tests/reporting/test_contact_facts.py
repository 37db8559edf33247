"""`reporting.contact_facts.refresh`: folds only what is new, recomputes the contacts new
events touch, gives the same rows when run again or twice at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import session_factory
from handover.models import RecordedEvent
from handover.models_reporting import AssignmentFact, ContactFact, FactWatermark, WaitFact
from reporting.contact_facts import refresh
from reporting.facts import Queueing, load_contact_facts, queueings
from tests.handover.conftest import (  # noqa: F401  (database fixtures)
    db_url,
    engine,
    fast_password_hashes,
    session,
)

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)


def stamp(minute: float) -> float:
    """A minute of the day in Unix seconds, as the facts keep times."""
    return (T0 + timedelta(minutes=minute)).timestamp()


def add(db: Session, cid: str, minute: float, kind: str, **columns: Any) -> None:
    db.add(RecordedEvent(conversation_id=cid, episode=columns.pop("episode", 1), kind=kind,
                         at=T0 + timedelta(minutes=minute), customer_id="CUS-1", **columns))  # fmt: skip
    db.commit()


def last_event(db: Session) -> int:
    return db.execute(select(func.max(RecordedEvent.id))).scalar_one()


def snapshot(db: Session) -> list[list[tuple]]:
    """Every fact row, in key order, and the watermark."""
    tables = (ContactFact, WaitFact, AssignmentFact, FactWatermark)
    found = []
    for table in tables:
        key = table.__table__.primary_key.columns
        rows = db.execute(select(table.__table__).order_by(*key)).all()
        found.append([tuple(r) for r in rows if table is not FactWatermark] or
                     [(r.name, r.last_id) for r in rows])  # fmt: skip
    return found


def test_refresh_folds_new_events_and_recomputes_the_contacts_they_touch(session: Session) -> None:  # noqa: F811
    assert refresh(session) == 0  # nothing recorded yet
    add(session, "a", 0, "started")
    add(session, "a", 1, "queued", skill="billing", reason="customer_request")
    add(session, "b", 2, "started")
    assert refresh(session) == 2
    a = session.get(ContactFact, ("a", 1))
    assert (a.queued_at, a.queued_skill, a.ended_at) == (stamp(1), "billing", None)
    wait = session.get(WaitFact, ("a", 1, 1))
    assert (wait.end_kind, wait.seconds) == (None, None)  # still waiting
    before = snapshot(session)
    assert refresh(session) == 0 and snapshot(session) == before  # nothing new, nothing redone

    # Contact a is answered, closed and rated; b is untouched; a's second contact opens.
    add(session, "a", 3, "assigned", agent="ada", skill="billing")
    add(session, "a", 5, "closed", agent="ada", skill="billing", outcome="resolved_by_agent")
    add(session, "a", 6, "rated", agent="ada", score=4)
    add(session, "a", 90, "reopened", episode=2)
    assert refresh(session) == 2  # a's two contacts (b's events are all old)
    session.expire_all()
    a = session.get(ContactFact, ("a", 1))
    assert (a.ended_at, a.outcome, a.ended_agent, a.score) == (
        stamp(5), "resolved_by_agent", "ada", 4,
    )  # fmt: skip
    wait = session.get(WaitFact, ("a", 1, 1))
    assert (wait.end_kind, wait.seconds) == ("assigned", 120.0)  # minute 1 to minute 3
    held = session.get(AssignmentFact, ("a", 1, 1))
    assert (held.agent, held.handle_seconds, held.reply_seconds) == ("ada", 120.0, None)
    assert session.get(ContactFact, ("a", 2)).opened_at == stamp(90)
    after = snapshot(session)
    assert after[3] == [("contact_facts", last_event(session))]
    assert refresh(session) == 0 and snapshot(session) == after


def test_two_refreshes_at_once_give_the_rows_of_one(session: Session, engine: Engine) -> None:  # noqa: F811
    for n in range(60):
        add(session, f"c{n}", n, "queued", skill="orders")
        add(session, f"c{n}", n + 2, "assigned", agent="bob", skill="orders")
    counts: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with session_factory(engine)() as other:
                counts.append(refresh(other, batch=7))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    together = snapshot(session)
    assert len(together[0]) == 60 and len(together[2]) == 60
    assert together[3] == [("contact_facts", last_event(session))]
    # Each batch of 7 events touches at most 7 conversations; between them every contact was
    # recomputed at least once, and a single refresh from scratch gives the same rows.
    assert sum(counts) >= 60
    session.execute(FactWatermark.__table__.delete())
    session.commit()
    assert refresh(session) == 60
    assert snapshot(session) == together


def test_queueings_and_contacts_by_conversation_for_containment(session: Session) -> None:  # noqa: F811
    add(session, "a", 0, "started")
    add(session, "a", 1, "queued", skill="billing")
    add(session, "a", 61, "expired", skill="billing", outcome="ticket")
    add(session, "b", 2, "started")
    add(session, "b", 3, "queued", skill="orders")
    add(session, "b", 4, "assigned", agent="ada", skill="orders")
    add(session, "b", 5, "handed_back", agent="ada", skill="orders")
    add(session, "b", 9, "queued", skill="orders")  # the bot queues it a second time
    add(session, "c", 200, "started")
    refresh(session)
    day = (T0, T0 + timedelta(days=1))

    # Every `queued` of the period, with whether its contact ended by expiry (a's did, later).
    assert queueings(session, *day) == [
        Queueing("a", 1, T0 + timedelta(minutes=1), True),
        Queueing("b", 1, T0 + timedelta(minutes=3), False),
        Queueing("b", 1, T0 + timedelta(minutes=9), False),
    ]
    assert queueings(session, *day, conversation_ids={"b"})[0].conversation_id == "b"
    assert queueings(session, T0 + timedelta(minutes=2), T0 + timedelta(minutes=9)) == [
        Queueing("b", 1, T0 + timedelta(minutes=3), False)
    ]
    assert queueings(session, *day, conversation_ids=set()) == []
    # Contacts whose first to last event meets the window: a (0-61) and b (2-9), not c (200).
    found = load_contact_facts(
        session, start=T0 + timedelta(minutes=5), end=T0 + timedelta(minutes=100)
    )
    assert [(c.conversation_id, c.ending_kind) for c in found] == [("a", "expired"), ("b", None)]
    assert [c.conversation_id for c in load_contact_facts(session, conversation_ids=["c"])] == ["c"]
