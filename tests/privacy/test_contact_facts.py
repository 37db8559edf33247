"""The reports' rollup of recorded events (`contact_facts`, `wait_facts`, `assignment_facts`)
under retention and erasure, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from handover import crud
from handover.db import session_scope
from handover.models import RecordedEvent
from handover.models_reporting import AssignmentFact, ContactFact, WaitFact
from privacy import erasure, retention
from privacy.erasure import PrivacyStores
from reporting.contact_facts import refresh

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
JANE, KHAN = "CUS-00001", "CUS-00002"


def record(session: Session, cid: str, kind: str, days: float, customer: str | None) -> None:
    columns = {"agent": "ada"} if kind in ("assigned", "closed") else {}
    session.add(RecordedEvent(conversation_id=cid, episode=1, kind=kind, customer_id=customer,
                              at=NOW - timedelta(days=days), **columns))  # fmt: skip


def folded(sessions: sessionmaker) -> list[tuple[str, str | None]]:
    """The contacts in the rollup after a refresh, with their customer."""
    with session_scope(sessions) as session:
        refresh(session)
        query = select(ContactFact.conversation_id, ContactFact.customer_id)
        return [tuple(row) for row in session.execute(query.order_by(ContactFact.conversation_id))]


def rows(sessions: sessionmaker, table: type) -> int:
    with session_scope(sessions) as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_retention_deletes_the_facts_of_contacts_whose_events_are_all_gone(
    sessions: sessionmaker,
) -> None:
    with session_scope(sessions) as session:
        for kind, days in (("queued", 101), ("assigned", 100.9), ("closed", 100)):
            record(session, "old", kind, days, JANE)  # every event past 90 days
        record(session, "straddling", "queued", 95, JANE)
        record(session, "straddling", "assigned", 10, JANE)  # an event within the 90 days
        record(session, "recent", "queued", 1, KHAN)
    assert folded(sessions) == [("old", JANE), ("recent", KHAN), ("straddling", JANE)]
    # Waits: old, straddling, recent = 3; assignments: old, straddling = 2.
    assert (rows(sessions, WaitFact), rows(sessions, AssignmentFact)) == (3, 2)

    report = retention.purge(sessions, None, now=NOW, days=90)

    assert report.contact_facts == 1 and report.removed_anything
    assert folded(sessions) == [("recent", KHAN), ("straddling", JANE)]
    assert (rows(sessions, WaitFact), rows(sessions, AssignmentFact)) == (2, 1)
    again = retention.purge(sessions, None, now=NOW, days=90)
    assert again.contact_facts == 0 and not again.removed_anything


async def test_erasure_deletes_the_customers_facts_and_later_events_are_still_folded(
    sessions: sessionmaker,
) -> None:
    with session_scope(sessions) as session:
        crud.upsert_conversation(session, conversation_id="khan-chat", customer_id=KHAN)
        record(session, "khan-chat", "queued", 2, KHAN)
        record(session, "jane-chat", "queued", 1, JANE)  # the highest event ids are Jane's
        record(session, "jane-chat", "assigned", 1, JANE)
    assert folded(sessions) == [("jane-chat", JANE), ("khan-chat", KHAN)]

    receipt = await erasure.erase(PrivacyStores(sessions), customer_id=JANE)

    assert receipt["conversations"] == ["jane-chat"]
    assert receipt["stores"]["gateway_database"]["contact_facts"] == 1
    assert (rows(sessions, WaitFact), rows(sessions, AssignmentFact)) == (1, 0)
    # SQLite hands Jane's deleted ids to the next rows: the rollup must still read them.
    with session_scope(sessions) as session:
        record(session, "khan-chat", "assigned", 0, KHAN)
        record(session, "new-chat", "queued", 0, None)
    assert folded(sessions) == [("khan-chat", KHAN), ("new-chat", None)]
    assert rows(sessions, AssignmentFact) == 1  # Khan's, folded after the erasure
