"""Abandonment in the bot, first-contact resolution of bot-only contacts, containment without
repeat contact by a customer, top requests, misunderstood messages and the groupings, from a
hand-built history folded into the session facts (gateway database: SQLite and PostgreSQL).

All REST sessions (the gateway's join is `test_containment`'s); the period is the day of
`test_bot_facts.DAY`, a time is a minute of that day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.shared.core.events import ActiveLoop, Event
from sqlalchemy.orm import Session

from reporting import broker_table
from reporting.bot_facts import Misunderstood
from reporting.bot_kpis import (
    BotAbandonment,
    bot_abandonment,
    bot_first_contact_resolution,
    by_bucket,
    by_value,
    misunderstood,
    quarters_per_group,
    top_requests,
)
from reporting.buckets import Bucket
from reporting.containment import containment, containment_of
from reporting.kpis import Ratio
from reporting.kpis_agents import FirstContactResolution
from reporting.kpis_contacts import Scope
from reporting.session_counts import BotCounts, load_bot_counts, session_count
from reporting.session_facts import refresh
from tests.handover.conftest import (  # noqa: F401  (database fixtures)
    db_url,
    engine,
    fast_password_hashes,
    session,
)
from tests.reporting.test_bot_facts import (
    DAY,
    FALLBACKS,
    NEXT_DAY,
    answered,
    at,
    publish,
    ran,
    said,
    slot,
)
from tests.reporting.test_bot_facts import session as opened

PERIOD = Scope(DAY, NEXT_DAY)
LATER = DAY + timedelta(days=30)  # every window is over
WEEK = 7 * 1440


def asked(
    minute: float, intent: str, customer: str | None = None, reply: str = "utter_ok", **extra: str
) -> list[Event]:
    """A session at `minute`: one request, answered unless `reply` is empty."""
    events = [*opened(minute), said(intent, intent, minute + 1, **extra)]
    if customer:
        events.append(slot("customer_id", customer, minute + 1))
    if reply:
        events.append(answered(reply, minute + 1))
    return events  # fmt: skip


HISTORY: dict[str, list[Event]] = {
    # CUS-1 asks about the bill again 3 days later, from another conversation.
    "c1-a": [*asked(60, "check_bill_balance", "CUS-1"), slot("language", "en", 61)],
    "c1-b": asked(60 + 3 * 1440, "check_bill_balance", "CUS-1"),
    # CUS-2 comes back 2 days later about something else.
    "c2-a": [*asked(120, "track_order", "CUS-2"), slot("language", "fr", 121)],
    "c2-b": asked(120 + 2 * 1440, "check_bill_balance", "CUS-2"),
    # CUS-3, same conversation, same request, 8 days later.
    "c3": [*asked(180, "reset_password", "CUS-3"),
           *asked(180 + 8 * 1440, "reset_password", "CUS-3")],
    # CUS-4: the same FAQ exactly 7 days after the session's end (241).
    "c4-a": asked(240, "faq", "CUS-4", full_retrieval_intent_name="faq/roaming"),
    "c4-b": asked(241 + WEEK - 1, "faq", "CUS-4", full_retrieval_intent_name="faq/roaming"),
    # Nobody verified.
    "anon": asked(300, "track_order"),
    # A person.
    "person": [*asked(360, "request_human", "CUS-5", reply=""), ran("action_handover", 361),
               answered("utter_handover_queued", 361)],
    # Left misunderstood.
    "abandon-miss": [*asked(420, "check_outage", "CUS-6"), said("zzz", "nlu_fallback", 422),
                     answered("utter_ask_rephrase", 422)],
    # Left while the form asked for the account number.
    "abandon-form": [*asked(480, "check_bill_balance", reply=""),
                     ActiveLoop("bill_form", timestamp=at(481)),
                     answered("utter_ask_account_number", 481)],
    # A ticket, then a miss: ticketed, so not abandoned.
    "ticket": [*asked(540, "check_outage", reply="utter_fault_ticket_opened"),
               said("zzz", "nlu_fallback", 542), answered("utter_ask_rephrase", 542)],
    # Greeting only.
    "hello": asked(600, "greet", reply="utter_greet"),
    # CUS-7 back 50 minutes later from another conversation, only to greet.
    "c5-a": asked(650, "track_order", "CUS-7"),
    "c5-b": [*asked(700, "greet", reply="utter_greet"), slot("customer_id", "CUS-7", 701)],
    # At 23:30, unanswered.
    "late": asked(1410, "track_order", reply=""),
}  # fmt: skip
# The day's sessions: c1-a c2-a c3 c4-a anon person abandon-miss abandon-form ticket hello
# c5-a c5-b late = 13; with a request: all but hello and c5-b = 11. Contained: all of those
# but person and ticket = 9 (c1-a c2-a c3 c4-a anon abandon-miss abandon-form c5-a late).


@pytest.fixture
def folded(session: Session, tmp_path: Path) -> Iterator[Session]:  # noqa: F811
    events = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")
    broker_table.create_table(events)
    publish(events, {**HISTORY, **FALLBACKS})
    refresh(session, events)
    yield session
    events.dispose()


def test_abandonment_counts_contained_sessions_left_unanswered(folded: Session) -> None:
    # Unanswered and contained: abandon-miss, abandon-form, late = 3 of 11 (ticket is
    # unanswered but ticketed; FALLBACKS' sessions asked nothing).
    assert bot_abandonment(folded, PERIOD, now=LATER) == BotAbandonment(Ratio(3, 11, 3 / 11), 0)
    # Ten minutes after midnight, late (last event 23:31) may still go on.
    soon = NEXT_DAY + timedelta(minutes=10)
    assert bot_abandonment(folded, PERIOD, now=soon) == BotAbandonment(Ratio(2, 10, 0.2), 1)


def test_first_contact_resolution_of_bot_only_sessions(folded: Session) -> None:
    # Contained: 9; unknown customer: anon, abandon-form, late = 3; known: c1-a c2-a c3 c4-a
    # abandon-miss c5-a = 6. Back on the same first request within 7 days: c1-a (3 days,
    # another conversation), c4-a (exactly 7 days); not c2-a (another request), c3 (8
    # days), c5-a (a greeting). Resolved 4/6.
    assert bot_first_contact_resolution(folded, PERIOD, now=LATER) == FirstContactResolution(
        days=7, resolved=Ratio(4, 6, 4 / 6), unknown_customer=3, pending=0
    )
    # Five days on, no 7-day window is over; with 2 days they all are, and nobody came
    # back on the same request within 2 days: 6/6.
    five = DAY + timedelta(days=5)
    assert bot_first_contact_resolution(folded, PERIOD, now=five) == FirstContactResolution(
        days=7, resolved=Ratio(0, 0, None), unknown_customer=3, pending=6
    )
    assert bot_first_contact_resolution(folded, PERIOD, days=2, now=five) == (
        FirstContactResolution(days=2, resolved=Ratio(6, 6, 1.0), unknown_customer=3, pending=0)
    )
    with pytest.raises(ValueError, match="at least 1"):
        bot_first_contact_resolution(folded, PERIOD, days=0)


def test_containment_without_repeat_follows_the_customer(folded: Session) -> None:
    # Contained 9 of 11; back within 24 h: c5-a only (CUS-7, another conversation, 50
    # minutes later): 8 of 11.
    found = containment(folded, PERIOD, now=LATER)
    assert (found.contained, found.sessions_with_request) == (9, 11)
    assert (found.without_repeat_24h, found.repeat_pending) == (Ratio(8, 11, 8 / 11), 0)


def test_top_requests_count_the_sessions_asking(folded: Session) -> None:
    # track_order: c2-a anon c5-a late; check_bill_balance: c1-a abandon-form; check_outage:
    # abandon-miss ticket; then one each.
    assert top_requests(folded, PERIOD) == [
        ("track_order", 4), ("check_bill_balance", 2), ("check_outage", 2), ("faq/roaming", 1),
        ("request_human", 1), ("reset_password", 1),
    ]  # fmt: skip
    assert top_requests(folded, PERIOD, top=1) == [("track_order", 4)]
    assert top_requests(folded, Scope(DAY, NEXT_DAY, language="fr")) == [("track_order", 1)]


def test_misunderstood_groups_the_periods_texts(folded: Session) -> None:
    # FALLBACKS: réseau ×4 (fr-1 2, fr-2 2), ligne ×2 (fr-2, en-1), born ×2 (en-1: the
    # date redacted when folded), meaning of life ×1; HISTORY: zzz ×2 (abandon-miss,
    # ticket; folded as the NLU folds repeated letters: "zz"). en-old's session began the
    # day before.
    found = misunderstood(folded, PERIOD)
    assert [(g.key, g.count) for g in found] == [
        ("reseau en panne", 4), ("born [date of birth]", 2), ("ligne 0 coupee", 2),
        ("zz", 2), ("what is the meaning of life", 1),
    ]  # fmt: skip
    assert found[0] == Misunderstood(
        key="reseau en panne", text="réseau en panne", count=4,
        spellings=("réseau en panne", "RESEAU EN PANNE", "Réseau  en panne"),
    )  # fmt: skip
    # The widget's only: fr-1 and fr-2.
    widget = misunderstood(folded, Scope(DAY, NEXT_DAY, channel="socketio"), top=1)
    assert [(g.key, g.count) for g in widget] == [("reseau en panne", 4)]
    assert misunderstood(folded, Scope(LATER, LATER + timedelta(days=1))) == []
    with pytest.raises(ValueError, match="at least 1"):
        misunderstood(folded, PERIOD, top=0)


def test_one_load_grouped_by_value_and_by_bucket(folded: Session) -> None:
    rows = load_bot_counts(folded, PERIOD, now=LATER, by_time=True)
    # HISTORY's 13 sessions and FALLBACKS' fr-1 fr-2 en-1.
    assert session_count(rows) == 16

    languages = by_value(rows, "language")
    assert {value: session_count(group) for value, group in languages.items()} == {
        "en": 1, "fr": 1, "unknown": 14,
    }  # fmt: skip
    assert containment_of(languages["fr"]).rate == 1.0  # c2-a
    assert containment_of(rows) == containment(folded, PERIOD, now=LATER)

    # Paris is UTC+1 in November: the day's 24 UTC hours are local 01:00 to 01:00, so two
    # local days; only late (23:30 UTC) is on the 3rd.
    paris = timezone(timedelta(hours=1))
    days = by_bucket(rows, PERIOD, "day", "Europe/Paris")
    assert {start: session_count(group) for start, group in days.items()} == {
        datetime(2026, 11, 2, tzinfo=paris): 15, datetime(2026, 11, 3, tzinfo=paris): 1,
    }  # fmt: skip
    hours = by_bucket(rows, PERIOD, "hour", "Europe/Paris")
    assert len(hours) == 24 and next(iter(hours)) == datetime(2026, 11, 2, 1, tzinfo=paris)
    # 02:00 local = 01:00 to 02:00 UTC: c1-a (60), fr-1 (60), fr-2 (70), en-1 (80).
    assert session_count(hours[datetime(2026, 11, 2, 2, tzinfo=paris)]) == 4
    with pytest.raises(ValueError, match="by_time"):
        by_bucket(load_bot_counts(folded, PERIOD), PERIOD, "day")


@pytest.mark.parametrize(
    ("bucket", "tz", "quarters"),
    [
        ("day", "UTC", 96),
        ("hour", "UTC", 4),
        ("day", "Europe/Paris", 4),  # local midnight is 23:00 UTC
        ("hour", "Asia/Kolkata", 1),  # UTC+5:30: hours begin at half past
        ("day", "Asia/Kathmandu", 1),  # UTC+5:45
    ],
)
def test_counts_by_runs_of_quarters_fill_the_buckets_as_by_quarter(
    folded: Session, bucket: Bucket, tz: str, quarters: int
) -> None:
    assert quarters_per_group(PERIOD, bucket, tz) == quarters
    fine = load_bot_counts(folded, PERIOD, now=LATER, by_time=True)
    coarse = load_bot_counts(folded, PERIOD, now=LATER, by_time=True, quarters=quarters)
    if quarters > 1:
        assert len(coarse) < len(fine)
        assert all(row.quarter is not None and row.quarter % quarters == 0 for row in coarse)

    def counted(rows: list[BotCounts]) -> dict[datetime, tuple[int, int]]:
        return {
            start: (session_count(part), containment_of(part).contained)
            for start, part in by_bucket(rows, PERIOD, bucket, tz).items()
        }

    assert counted(coarse) == counted(fine)
    assert sum(sessions for sessions, _ in counted(coarse).values()) == 16
    with pytest.raises(ValueError, match="quarters"):
        load_bot_counts(folded, PERIOD, by_time=True, quarters=0)


def test_the_hour_repeated_when_clocks_go_back_is_two_buckets() -> None:
    # Paris, 25 October 2026: 03:00 summer time (01:00 UTC) becomes 02:00 winter time.
    scope = Scope(
        datetime(2026, 10, 24, 23, tzinfo=timezone.utc),
        datetime(2026, 10, 25, 2, tzinfo=timezone.utc),
    )
    summer, winter = timezone(timedelta(hours=2)), timezone(timedelta(hours=1))

    assert list(by_bucket([], scope, "hour", "Europe/Paris")) == [
        datetime(2026, 10, 25, 1, tzinfo=summer), datetime(2026, 10, 25, 2, tzinfo=summer),
        datetime(2026, 10, 25, 2, tzinfo=winter),
    ]  # fmt: skip
    assert list(by_bucket([], scope, "day", "Europe/Paris")) == [
        datetime(2026, 10, 25, tzinfo=summer)
    ]


def test_a_customers_later_session_folded_later_still_counts(
    session: Session,  # noqa: F811
    tmp_path: Path,
) -> None:
    events = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")
    broker_table.create_table(events)
    publish(events, {"c1-a": HISTORY["c1-a"], "c5-a": HISTORY["c5-a"]})
    refresh(session, events)
    # c1-a and c5-a, contained, known customers, nobody back yet.
    first = containment(session, PERIOD, now=LATER)
    assert first.without_repeat_24h == Ratio(2, 2, 1.0)
    assert bot_first_contact_resolution(session, PERIOD, now=LATER).resolved == Ratio(2, 2, 1.0)

    # Folded in a later refresh, from other conversations: c1-b (same customer and request,
    # 3 days on) and c5-b (same customer, 50 minutes on, a greeting).
    publish(events, {"c1-b": HISTORY["c1-b"], "c5-b": HISTORY["c5-b"]})
    refresh(session, events)

    # Within 24 h: c5-a came back, c1-a did not; on the same request within 7 days: c1-a.
    assert containment(session, PERIOD, now=LATER).without_repeat_24h == Ratio(1, 2, 0.5)
    assert bot_first_contact_resolution(session, PERIOD, now=LATER).resolved == Ratio(1, 2, 0.5)
    events.dispose()
