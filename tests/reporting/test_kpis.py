"""The gateway's KPIs, each from a hand-built `conversation_events` history whose answer is
worked out here (SQLite and PostgreSQL), read from the contact facts that `refresh` folds after
each contact is recorded. The period is the day of 5 January 2026; a time is a minute of that
day (1440 is the next midnight, negative ones are the day before)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from handover.models import RecordedEvent
from reporting.contact_facts import refresh
from reporting.kpis import (
    Percentiles,
    Ratio,
    Satisfaction,
    csat,
    first_response_time,
    handle_time,
    queue_abandonment,
    time_to_queue,
    transfer_rate,
    waiting_time,
)
from reporting.kpis_agents import AgentRow, agent_table, first_contact_resolution
from reporting.kpis_contacts import Scope
from tests.handover.conftest import (  # noqa: F401  (database fixtures)
    db_url,
    engine,
    fast_password_hashes,
    session,
)

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
DAY = (T0, T0 + timedelta(days=1))
NEXT_DAY = (T0 + timedelta(days=1), T0 + timedelta(days=2))
LATER = (T0 + timedelta(days=100), T0 + timedelta(days=101))
Step = tuple[float, str] | tuple[float, str, dict[str, Any]]


def within(period: tuple[datetime, datetime], **filters: str) -> Scope:
    return Scope(*period, **filters)


def minute(value: float) -> datetime:
    return T0 + timedelta(minutes=value)


def record(
    db: Session,
    cid: str,
    *steps: Step,
    episode: int = 1,
    customer: str | None = "CUS-1",
    language: str = "en",
    channel: str = "socketio",
) -> None:
    """The rows of one contact: (minute, kind) or (minute, kind, other columns)."""
    for step in steps:
        columns = step[2] if len(step) == 3 else {}
        db.add(
            RecordedEvent(
                conversation_id=cid,
                episode=episode,
                kind=step[1],
                at=minute(step[0]),
                customer_id=customer,
                language=language,
                channel=channel,
                **columns,
            )  # fmt: skip
        )
    db.commit()
    refresh(db)


def test_transfer_rate_by_reason_counts_contacts_opened_in_the_period(session: Session) -> None:  # noqa: F811
    cr, rf = {"reason": "customer_request"}, {"reason": "repeated_fallback"}
    record(session, "c1", (10, "started"), (12, "queued", cr))
    record(session, "c2", (20, "started"), (21, "queued", rf))
    record(session, "c3", (30, "started"))  # with the bot, never ended
    record(session, "c4", (40, "started"), (45, "ended", {"outcome": "resolved_by_bot"}))
    record(session, "c5", (50, "reopened"), (60, "queued", cr), episode=2)  # a new contact
    record(session, "c6", (-10, "started"), (5, "queued", cr))  # opened the day before
    record(session, "c7", (1439, "started"), (1441, "queued", cr))  # queued after midnight
    record(session, "c8", (70, "started"), language="fr")
    record(session, "c9", (80, "started"), (81, "queued", cr), channel="rest")

    # Opened: c1 c2 c3 c4 c5 c7 c8 c9 = 8; queued: c1 c2 c5 c7 c9 = 5, of which
    # customer_request c1 c5 c7 c9 = 4 and repeated_fallback c2 = 1.
    rate = transfer_rate(session, within(DAY))
    assert rate.overall == Ratio(5, 8, 5 / 8)
    assert rate.by_reason == {
        "customer_request": Ratio(4, 8, 4 / 8),
        "repeated_fallback": Ratio(1, 8, 1 / 8),
    }
    # French: c8 only, not queued: 0 / 1. The REST channel: c9 only, queued: 1 / 1.
    assert transfer_rate(session, within(DAY, language="fr")).overall == Ratio(0, 1, 0.0)
    assert transfer_rate(session, within(DAY, channel="rest")).overall == Ratio(1, 1, 1.0)
    # The next day opened nothing (c7's queueing after midnight belongs to 5 January).
    assert transfer_rate(session, within(NEXT_DAY)).overall == Ratio(0, 0, None)
    assert transfer_rate(session, within(NEXT_DAY)).by_reason == {}


def test_queue_abandonment_follows_contacts_queued_in_the_period(session: Session) -> None:  # noqa: F811
    billing, orders = {"skill": "billing"}, {"skill": "orders"}
    record(session, "a", (1, "queued", billing), (5, "assigned", {"agent": "ada"}),
           (20, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}))  # fmt: skip
    record(session, "b", (2, "queued", billing), (4, "ended", {"outcome": "abandoned"}))
    record(session, "c", (3, "queued", orders), (63, "expired", {"outcome": "ticket"}))
    record(session, "d", (1430, "queued", billing), (1445, "ended", {"outcome": "abandoned"}))
    record(session, "e", (100, "queued", billing))  # still waiting
    record(session, "f", (-5, "queued", billing), (3, "ended", {"outcome": "abandoned"}))

    # Queued in the day: a b c d e = 5 (f the day before); abandoned b d (d after midnight);
    # expired c; still open e.
    result = queue_abandonment(session, within(DAY))
    assert (result.abandoned, result.expired, result.still_open) == (
        Ratio(2, 5, 2 / 5), Ratio(1, 5, 1 / 5), 1,
    )  # fmt: skip
    # Billing: a b d e = 4, abandoned b d.
    billing_only = queue_abandonment(session, within(DAY, skill="billing"))
    assert (billing_only.abandoned, billing_only.expired) == (Ratio(2, 4, 0.5), Ratio(0, 4, 0.0))
    assert queue_abandonment(session, within(LATER)).abandoned == Ratio(0, 0, None)


def test_time_to_queue_from_the_opening_to_the_first_queueing(session: Session) -> None:  # noqa: F811
    q = {"skill": "billing"}
    record(session, "a", (0, "started"), (1, "queued", q))  # 60 s
    record(session, "b", (10, "started"), (13, "queued", q))  # 180 s
    record(session, "c", (20, "reopened"), (30, "queued", q), episode=3)  # 600 s
    record(session, "d", (40, "started"), (41.5, "queued", {"skill": "orders"}))  # 90 s
    record(session, "e", (-2, "started"), (1, "queued", q))  # 180 s, opened the day before
    record(session, "f", (50, "queued", q))  # its opening was purged: no duration
    record(session, "g", (60, "started"), (61, "queued", q), (70, "handed_back"),
           (75, "queued", q))  # fmt: skip  # 60 s: only the first queueing counts

    # 60 60 90 180 180 600: p50 = 3rd of 6 (ceil 3.0) = 90; p90 = 6th (ceil 5.4) = 600.
    assert time_to_queue(session, within(DAY)) == Percentiles(6, 90.0, 600.0)
    # Billing: 60 60 180 180 600: p50 = 3rd of 5 (ceil 2.5) = 180; p90 = 5th (ceil 4.5) = 600.
    assert time_to_queue(session, within(DAY, skill="billing")) == Percentiles(5, 180.0, 600.0)
    assert time_to_queue(session, within(LATER)) == Percentiles(0, None, None)


def test_waiting_time_splits_answered_abandoned_and_expired_waits(session: Session) -> None:  # noqa: F811
    ada, bob = {"agent": "ada"}, {"agent": "bob"}
    record(session, "w1", (0, "queued"), (2, "assigned", ada))  # 120 s
    record(session, "w2", (10, "queued"), (11, "assigned", ada), (20, "requeued", ada),
           (25, "assigned", bob))  # fmt: skip  # 60 s, then 300 s
    record(session, "w3", (40, "queued"), (45, "transferred", {"skill": "orders"}),
           (50, "assigned", ada))  # fmt: skip  # moved between queues: one wait of 600 s
    record(session, "w4", (60, "queued"), (61.5, "ended", {"outcome": "abandoned"}))  # 90 s
    record(session, "w5", (70, "queued"), (130, "expired", {"outcome": "ticket"}))  # 3600 s
    record(session, "w6", (1435, "queued"), (1445, "assigned", ada))  # 600 s, past midnight
    record(session, "w7", (-10, "queued"), (5, "assigned", ada))  # began the day before
    record(session, "w8", (200, "queued"))  # still waiting

    # Answered 60 120 300 600 600: p50 = 3rd of 5 = 300, p90 = 5th = 600.
    assert waiting_time(session, within(DAY)).answered == Percentiles(5, 300.0, 600.0)
    assert waiting_time(session, within(DAY)).abandoned == Percentiles(1, 90.0, 90.0)
    assert waiting_time(session, within(DAY)).expired == Percentiles(1, 3600.0, 3600.0)
    assert waiting_time(session, within(DAY)).still_waiting == 1
    empty = waiting_time(session, within(LATER))
    assert (empty.answered, empty.still_waiting) == (Percentiles(0, None, None), 0)


def test_first_response_time_per_assignment_and_agent(session: Session) -> None:  # noqa: F811
    ada, bob = {"agent": "ada"}, {"agent": "bob"}
    record(session, "r1", (0, "assigned", ada), (0.5, "agent_replied", ada),
           (10, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}))  # fmt: skip  # 30 s
    record(session, "r2", (20, "assigned", bob), (22, "agent_replied", bob),  # 120 s
           (25, "transferred", {"agent": "bob", "to_agent": "ada"}),
           (26, "agent_replied", ada),  # 60 s after the transfer gave it to Ada
           (30, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}))  # fmt: skip
    record(session, "r3", (40, "assigned", ada),
           (45, "ended", {"agent": "ada", "outcome": "ended_by_customer"}))  # fmt: skip  # no reply
    record(session, "r4", (1438, "assigned", bob), (1442, "agent_replied", bob))  # 240 s
    record(session, "r5", (100, "assigned", ada))  # no reply yet, still hers: not counted

    # 30 60 120 240: p50 = 2nd of 4 = 60; p90 = 4th (ceil 3.6) = 240.
    every = first_response_time(session, within(DAY))
    assert (every.replied, every.ended_without_reply) == (Percentiles(4, 60.0, 240.0), 1)
    # Ada: 30 60, p50 = 1st, p90 = 2nd (ceil 1.8); r3 ended before she wrote.
    only_ada = first_response_time(session, within(DAY, agent="ada"))
    assert (only_ada.replied, only_ada.ended_without_reply) == (Percentiles(2, 30.0, 60.0), 1)
    only_bob = first_response_time(session, within(DAY, agent="bob"))
    assert (only_bob.replied, only_bob.ended_without_reply) == (Percentiles(2, 120.0, 240.0), 0)
    assert first_response_time(session, within(LATER)).replied == Percentiles(0, None, None)


def test_handle_time_counts_assignments_their_agent_finished(session: Session) -> None:  # noqa: F811
    ada, bob = {"agent": "ada"}, {"agent": "bob"}
    closed_by = lambda name: {"agent": name, "outcome": "resolved_by_agent"}  # noqa: E731
    record(session, "h1", (0, "assigned", ada), (10, "closed", closed_by("ada")))  # ada 600 s
    record(session, "h2", (20, "assigned", bob),
           (30, "transferred", {"agent": "bob", "to_agent": "ada"}),
           (50, "closed", closed_by("ada")))  # fmt: skip  # ada 1200 s; Bob passed it on
    record(session, "h3", (60, "assigned", bob),
           (65, "ended", {"agent": "bob", "outcome": "ended_by_customer"}))  # fmt: skip  # 300 s
    record(session, "h4", (100, "assigned", ada), (105, "requeued", ada),
           (110, "assigned", bob), (130, "closed", closed_by("bob")))  # fmt: skip  # bob 1200 s
    record(session, "h5", (1430, "assigned", ada), (1450, "closed", closed_by("ada")))  # 1200 s
    record(session, "h6", (200, "assigned", bob))  # still open

    # Ada 600 1200 1200: mean 1000; Bob 300 1200: mean 750; all 4500 / 5 = 900.
    result = handle_time(session, within(DAY))
    assert (result.count, result.mean, result.by_agent) == (5, 900.0, {"ada": 1000.0, "bob": 750.0})
    only_bob = handle_time(session, within(DAY, agent="bob"))
    assert (only_bob.count, only_bob.mean, only_bob.by_agent) == (2, 750.0, {"bob": 750.0})
    assert handle_time(session, within(LATER)).mean is None


def test_csat_of_contacts_ended_in_the_period_by_segment(session: Session) -> None:  # noqa: F811
    record(session, "s1", (0, "started"), (5, "ended", {"outcome": "resolved_by_bot"}),
           (6, "rated", {"score": 5}))  # fmt: skip
    record(session, "s2", (0, "started"), (7, "ended", {"outcome": "resolved_by_bot"}))
    record(session, "s3", (0, "queued"), (1, "assigned", {"agent": "ada"}),
           (10, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}),
           (11, "rated", {"agent": "ada", "score": 2}),
           (12, "rated", {"agent": "ada", "score": 4}))  # fmt: skip  # the second replaces it
    record(session, "s4", (0, "queued"), (1, "assigned", {"agent": "bob"}),
           (20, "ended", {"agent": "bob", "outcome": "ended_by_customer"}),
           (21, "rated", {"agent": "bob", "score": 1}))  # fmt: skip
    record(session, "s5", (0, "queued"), (3, "ended", {"outcome": "abandoned"}))
    record(session, "s6", (1400, "assigned", {"agent": "ada"}),
           (1439, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}),
           (1441, "rated", {"agent": "ada", "score": 3}))  # fmt: skip  # rated after midnight
    record(session, "s7", (0, "started"))  # with the bot, never ended: not counted
    record(session, "s8", (-5, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}),
           (2, "rated", {"agent": "ada", "score": 1}))  # fmt: skip  # ended the day before

    # Ended s1..s6 = 6; rated s1 5, s3 4, s4 1, s6 3 = 4 / 6; mean 13 / 4 = 3.25.
    result = csat(session, within(DAY))
    assert result.overall == Satisfaction(
        6, Ratio(4, 6, 4 / 6), 3.25, {1: 1, 2: 0, 3: 1, 4: 1, 5: 1}
    )
    # Bot s1 s2: 1 / 2 rated, mean 5. Agent s3 s4 s6: 3 / 3, mean 8 / 3. Unserved s5: 0 / 1.
    assert result.by_segment == {
        "bot": Satisfaction(2, Ratio(1, 2, 0.5), 5.0, {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}),
        "agent": Satisfaction(3, Ratio(3, 3, 1.0), 8 / 3, {1: 1, 2: 0, 3: 1, 4: 1, 5: 0}),
        "unserved": Satisfaction(1, Ratio(0, 1, 0.0), None, {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}),
    }
    # Ada's: s3 4 and s6 3, mean 3.5.
    assert csat(session, within(DAY, agent="ada")).overall.mean == 3.5
    empty = csat(session, within(LATER)).overall
    assert (empty.ended, empty.rated, empty.mean) == (0, Ratio(0, 0, None), None)


def test_first_contact_resolution_looks_for_a_new_contact_within_n_days(session: Session) -> None:  # noqa: F811
    by_ada = {"agent": "ada", "outcome": "resolved_by_agent"}
    day = 1440
    record(session, "f1", (10, "closed", by_ada), customer="A")
    record(session, "x1", (3 * day, "started"), customer="A")  # 3 days later: a repeat
    record(session, "f2", (20, "closed", by_ada), customer="B")
    record(session, "f2", (8 * day + 20, "reopened"), episode=2, customer="B")  # 8 days later
    record(session, "f3", (30, "ended", {"agent": "bob", "outcome": "ended_by_customer"}),
           customer="C")  # fmt: skip
    record(session, "f4", (35, "closed", by_ada), customer=None)  # nobody to follow
    record(session, "f5", (36, "ended", {"outcome": "resolved_by_bot"}), customer="D")  # bot
    record(session, "f6", (40, "closed", by_ada), customer="E")
    record(session, "x6", (7 * day + 40, "started"), customer="E")  # exactly 7 days: a repeat

    month_later = T0 + timedelta(days=30)
    # Agent contacts with a known customer: f1 f2 f3 f6; repeats f1 f6: 2 / 4 resolved.
    week = first_contact_resolution(session, within(DAY), now=month_later)
    assert (week.days, week.resolved, week.unknown_customer, week.pending) == (
        7, Ratio(2, 4, 0.5), 1, 0,
    )  # fmt: skip
    # Within 1 day nobody came back: 4 / 4. Ada's: f1 f2 f6 (and f4 unknown).
    one_day = first_contact_resolution(session, within(DAY), days=1, now=month_later)
    assert one_day.resolved == Ratio(4, 4, 1.0)
    ada = first_contact_resolution(session, within(DAY, agent="ada"), now=month_later)
    assert (ada.resolved, ada.unknown_customer) == (Ratio(1, 3, 1 / 3), 1)
    # Three days on, no 7-day window is over: all four wait.
    early = first_contact_resolution(session, within(DAY), now=T0 + timedelta(days=3))
    assert (early.resolved, early.pending) == (Ratio(0, 0, None), 4)
    with pytest.raises(ValueError, match="days"):
        first_contact_resolution(session, within(DAY), days=0)


def test_the_agents_table(session: Session) -> None:  # noqa: F811
    ada, bob = {"agent": "ada"}, {"agent": "bob"}
    record(session, "t1", (0, "assigned", ada), (1, "agent_replied", ada),  # 60 s
           (10, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}),  # 600 s
           (11, "rated", {"agent": "ada", "score": 4}))  # fmt: skip
    record(session, "t2", (20, "assigned", bob), (23, "agent_replied", bob),  # 180 s
           (30, "transferred", {"agent": "bob", "to_agent": "ada"}),
           (32, "agent_replied", ada),  # 120 s
           (50, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}),  # 1200 s for Ada
           (51, "rated", {"agent": "ada", "score": 2}))  # fmt: skip
    record(session, "t3", (60, "assigned", bob), (60.5, "agent_replied", bob),  # 30 s
           (70, "ended", {"agent": "bob", "outcome": "ended_by_customer"}))  # fmt: skip  # 600 s

    # Ada: t1 t2, AHT (600 + 1200) / 2 = 900, CSAT (4 + 2) / 2 = 3, first reply p50 of 60 120.
    # Bob: t2 t3, AHT 600 (t2 passed on), no rating, first reply p50 of 30 180 = 30.
    assert agent_table(session, within(DAY)) == [
        AgentRow("ada", chats=2, handle_time=900.0, csat=3.0, ratings=2, first_response_p50=60.0),
        AgentRow("bob", chats=2, handle_time=600.0, csat=None, ratings=0, first_response_p50=30.0),
    ]
    assert agent_table(session, within(LATER)) == []


def test_a_period_must_be_timezone_aware_and_in_order(session: Session) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="timezone-aware"):
        csat(session, Scope(datetime(2026, 1, 5), datetime(2026, 1, 6)))
    with pytest.raises(ValueError, match="before start"):
        csat(session, Scope(DAY[1], DAY[0]))
