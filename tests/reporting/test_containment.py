"""Containment (and without repeat contact within 24 h) and the NLU fallback rate, from
hand-built histories in both tables.

Rasa's events (a SQLite `rasa_events` of their own, as when REPORTING_EVENTS_URL names
another database) are made with Rasa's event classes through `test_bot_facts`'s helpers and
folded into the session facts of the gateway's database (SQLite and PostgreSQL), beside the
gateway's `conversation_events` rows. The period is the day of `test_bot_facts.DAY`; a time
is a minute of that day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.events import Event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.models import RecordedEvent
from reporting import broker_table
from reporting.containment import Containment, containment, nlu_fallback_rate
from reporting.kpis import Ratio
from reporting.kpis_contacts import Scope
from reporting.session_counts import UNKNOWN
from reporting.session_facts import refresh
from tests.handover.conftest import (  # noqa: F401  (database fixtures)
    db_url,
    engine,
    fast_password_hashes,
    session,
)
from tests.reporting.test_bot_facts import (
    DAY,
    NEXT_DAY,
    answered,
    handed_back,
    publish,
    ran,
    said,
    slot,
    when,
)
from tests.reporting.test_bot_facts import session as opened

PERIOD = Scope(DAY, NEXT_DAY)
LATER = Scope(DAY + timedelta(days=30), DAY + timedelta(days=31))
SETTLED = NEXT_DAY + timedelta(days=2)  # every session's 24 h are over
Step = tuple[float, str] | tuple[float, str, dict[str, Any]]

CONVERSATIONS: dict[str, list[Event]] = {
    # A: REST, answered by the bot alone: contained.
    "rest-bill": [
        *opened(60),
        said("how much do I owe", "check_bill_balance", 61), slot("language", "en", 61),
        answered("utter_balance_due", 61), said("thanks", "thank", 62),
    ],
    # B: the widget, a miss, then a person: the gateway queued it in the session.
    "w-person": [
        *opened(120),
        said("ma box fait des trucs", "nlu_fallback", 121, "socketio"),
        slot("language", "fr", 121),
        said("où est ma commande", "track_order", 121, "socketio"),
        said("je veux un conseiller", "request_human", 122, "socketio"),
        ran("action_handover", 122), answered("utter_handover_queued", 122),
    ],
    # C: REST, a fault ticket.
    "rest-ticket": [
        *opened(180),
        said("no internet", "check_outage", 181), slot("language", "en", 181),
        said("yes", "affirm", 182), ran("action_open_fault_ticket", 182),
        answered("utter_fault_ticket_opened", 182),
    ],
    # D: the widget, a person asked for, nobody online: the bot opened a ticket instead.
    "w-nobody": [
        *opened(200),
        said("I want a person", "request_human", 201, "socketio"), slot("language", "en", 201),
        ran("action_handover", 201), answered("utter_handover_ticket", 201),
    ],
    # E: a greeting, a miss and goodbye: nothing asked, so not in containment.
    "w-hello": [
        *opened(240),
        said("bonjour", "greet", 241, "socketio"), slot("language", "fr", 241),
        said("zzz", "nlu_fallback", 241, "socketio"), said("au revoir", "goodbye", 242, "socketio"),
    ],
    # F1, F2: one conversation, two sessions; a person only in the second.
    "w-twice": [
        *opened(300),
        said("where is my order", "track_order", 301, "socketio"), slot("language", "en", 301),
        answered("utter_order_status", 301),
        *opened(400),
        said("I want to complain", "complain", 401, "socketio"), slot("language", "en", 401),
        ran("action_handover", 402), answered("utter_handover_queued", 402),
    ],
    # G1, G2: the same, and the second session's queue expired an hour after its last event.
    "w-expired": [
        *opened(500),
        said("roaming prices?", "faq", 501, "socketio",
             full_retrieval_intent_name="faq/roaming"),
        slot("language", "en", 501),
        *opened(600),
        said("a person please", "request_human", 601, "socketio"), slot("language", "en", 601),
        ran("action_handover", 601), answered("utter_handover_queued", 601),
    ],
    # H: Rasa was down, so the gateway queued the customer itself (no hand-over in Rasa's
    # events); the agent handed back, so the session's window holds the queueing.
    "w-rasa-down": [
        *opened(700),
        said("my bill", "check_bill_balance", 701, "socketio"), slot("language", "en", 701),
        answered("utter_balance_due", 701), handed_back(720), answered("utter_handback", 720),
    ],
    # I: REST, a person asked for, the hand-over failed both ways (no gateway chat, the CRM
    # down): no ticket, but the customer asked for a person. No language slot.
    "rest-person": [
        *opened(800),
        said("agent please", "request_human", 801), ran("action_handover", 801),
        answered("utter_backend_error_crm", 801),
    ],
}  # fmt: skip


def record(db: Session, cid: str, *steps: Step, episode: int = 1) -> None:
    """The gateway's rows of one widget contact: (minute, kind) or (minute, kind, columns)."""
    for step in steps:
        columns = step[2] if len(step) == 3 else {}
        db.add(
            RecordedEvent(
                conversation_id=cid,
                episode=episode,
                kind=step[1],
                at=when(step[0]),
                customer_id=None,
                language="en",
                channel="socketio",
                **columns,
            )  # fmt: skip
        )
    db.commit()


def gateway_history(db: Session) -> None:
    record(db, "w-person", (120, "started"), (122, "queued", {"reason": "customer_request"}),
           (125, "assigned", {"agent": "ada"}),
           (140, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}))  # fmt: skip
    record(db, "w-nobody", (200, "started"))  # the gateway answered "no agent online"
    record(db, "w-hello", (240, "started"), (243, "ended", {"outcome": "resolved_by_bot"}))
    record(db, "w-twice", (300, "started"), (402, "queued", {"reason": "complaint"}),
           (404, "assigned", {"agent": "ada"}),
           (430, "closed", {"agent": "ada", "outcome": "resolved_by_agent"}))  # fmt: skip
    record(db, "w-expired", (500, "started"), (601, "queued", {"reason": "customer_request"}),
           (661, "expired", {"outcome": "ticket"}))  # fmt: skip
    record(db, "w-rasa-down", (700, "started"), (703, "queued", {"reason": "bot_unavailable"}),
           (705, "assigned", {"agent": "bob"}), (720, "handed_back", {"agent": "bob"}))  # fmt: skip
    # A widget conversation whose id a REST caller reused, queued within A's window: REST
    # never reaches the gateway, so A is judged by Rasa's events alone.
    record(db, "rest-bill", (60, "started"), (61, "queued"), (62, "expired", {"outcome": "ticket"}))


@pytest.fixture
def rasa_events(tmp_path: Path) -> Iterator[Engine]:
    made = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")
    broker_table.create_table(made)
    yield made
    made.dispose()


def fold(db: Session, events: Engine) -> None:
    publish(events, CONVERSATIONS)
    refresh(db, events)


def test_containment_joins_each_session_to_its_own_queueing(
    session: Session,  # noqa: F811
    rasa_events: Engine,
) -> None:
    gateway_history(session)
    fold(session, rasa_events)

    # With a request: A B C D F1 F2 G1 G2 H I = 10 (E greeted only).
    # Contained: A, F1 (F's queueing at 402 is in F2's window [400, 402], not F1's [300,
    # 301]), G1 (G's expiry belongs to G2's queueing) = 3.
    # Ticketed: C (the bot's), D (the bot's, though a person was asked for), G2 (its queue
    # expired at 661, after its last event at 601) = 3.
    # A person: B (queued at 122), F2 (at 402), H (at 703, within [700, 720], though Rasa
    # never ran the hand-over), I (REST: the bot's hand-over) = 4.
    # By channel: rest A C I, contained A: 1/3; socketio B D F1 F2 G1 G2 H, contained F1 G1:
    # 2/7. By language: en A C D F1 F2 G1 G2 H, contained A F1 G1: 3/8; fr B: 0/1; I none.
    # Without repeat within 24 h: F1 and G1 came back (F2 at 400, G2 at 600, the same
    # conversation, nobody verified), A did not: 1/10, every window over.
    assert containment(session, PERIOD, now=SETTLED) == Containment(
        sessions_with_request=10, contained=3, rate=3 / 10, escalated_to_person=4, ticketed=3,
        by_channel={"rest": Ratio(1, 3, 1 / 3), "socketio": Ratio(2, 7, 2 / 7)},
        by_language={"en": Ratio(3, 8, 3 / 8), "fr": Ratio(0, 1, 0.0),
                     UNKNOWN: Ratio(0, 1, 0.0)},
        without_repeat_24h=Ratio(1, 10, 1 / 10), repeat_pending=0,
    )  # fmt: skip


def test_a_repeat_window_not_over_is_left_out(session: Session, rasa_events: Engine) -> None:  # noqa: F811
    gateway_history(session)
    fold(session, rasa_events)

    # At 100 minutes into the next day, only sessions that ended by minute 100 have had
    # their 24 h: A (ended at 62), contained, never back: 1/1; the 9 others pending. At
    # exactly 24 h after A's end, A is settled.
    early = containment(session, PERIOD, now=NEXT_DAY + timedelta(minutes=100))
    assert (early.without_repeat_24h, early.repeat_pending) == (Ratio(1, 1, 1.0), 9)
    edge = containment(session, PERIOD, now=NEXT_DAY + timedelta(minutes=62))
    assert (edge.without_repeat_24h, edge.repeat_pending) == (Ratio(1, 1, 1.0), 9)
    before = containment(session, PERIOD, now=NEXT_DAY + timedelta(minutes=61))
    assert (before.without_repeat_24h, before.repeat_pending) == (Ratio(0, 0, None), 10)


def test_containment_filters_by_the_sessions_channel_and_language(
    session: Session,  # noqa: F811
    rasa_events: Engine,
) -> None:
    gateway_history(session)
    fold(session, rasa_events)

    # REST: A contained, C ticketed, I a person; A never came back.
    assert containment(session, Scope(DAY, NEXT_DAY, channel="rest"), now=SETTLED) == (
        Containment(
            sessions_with_request=3, contained=1, rate=1 / 3, escalated_to_person=1,
            ticketed=1, by_channel={"rest": Ratio(1, 3, 1 / 3)},
            by_language={"en": Ratio(1, 2, 0.5), UNKNOWN: Ratio(0, 1, 0.0)},
            without_repeat_24h=Ratio(1, 3, 1 / 3), repeat_pending=0,
        )
    )  # fmt: skip
    # French: B, handed to a person (E, French too, asked nothing).
    french = containment(session, Scope(DAY, NEXT_DAY, language="fr"))
    assert (french.sessions_with_request, french.contained, french.rate) == (1, 0, 0.0)
    assert (french.escalated_to_person, french.ticketed) == (1, 0)
    # The widget in English: D F1 F2 G1 G2 H; contained F1 G1, tickets D G2, people F2 H.
    widget = containment(session, Scope(DAY, NEXT_DAY, language="en", channel="socketio"))
    assert (widget.sessions_with_request, widget.contained, widget.rate) == (6, 2, 2 / 6)
    assert (widget.escalated_to_person, widget.ticketed) == (2, 2)
    assert containment(session, Scope(DAY, NEXT_DAY, channel="facebook")).rate is None
    # A session has no skill or agent: those filters change nothing.
    assert containment(session, Scope(DAY, NEXT_DAY, skill="billing", agent="ada")).rate == 0.3


def test_nothing_to_divide_is_none(session: Session, rasa_events: Engine) -> None:  # noqa: F811
    gateway_history(session)
    fold(session, rasa_events)

    assert containment(session, LATER) == Containment(
        sessions_with_request=0, contained=0, rate=None, escalated_to_person=0, ticketed=0,
        by_channel={}, by_language={}, without_repeat_24h=Ratio(0, 0, None), repeat_pending=0,
    )  # fmt: skip
    assert nlu_fallback_rate(session, LATER) == Ratio(0, 0, None)
    assert containment(session, Scope(DAY, DAY)).sessions_with_request == 0


def test_the_gateway_alone_adds_no_session(session: Session, rasa_events: Engine) -> None:  # noqa: F811
    # Contacts without any Rasa session (say, Rasa's events purged): nothing to contain.
    gateway_history(session)
    refresh(session, rasa_events)

    assert containment(session, PERIOD).sessions_with_request == 0


def test_nlu_fallback_rate_counts_customer_messages_of_every_session(
    session: Session,  # noqa: F811
    rasa_events: Engine,
) -> None:
    fold(session, rasa_events)

    # Typed messages: A 2, B 3, C 2, D 1, E 3, F1 1, F2 1, G1 1, G2 1, H 1 (the hand-back
    # is Rasa's API, not the customer), I 1 = 17; misses: B 1, E 1 (greeting-only sessions
    # count here) = 2. French: B 3 + E 3 = 6, 2 misses; REST: A 2 + C 2 + I 1 = 5, none.
    assert nlu_fallback_rate(session, PERIOD) == Ratio(2, 17, 2 / 17)
    assert nlu_fallback_rate(session, Scope(DAY, NEXT_DAY, language="fr")) == Ratio(2, 6, 2 / 6)
    assert nlu_fallback_rate(session, Scope(DAY, NEXT_DAY, channel="rest")) == Ratio(0, 5, 0.0)


def test_gateway_rows_recorded_after_the_sessions_count_at_the_next_refresh(
    session: Session,  # noqa: F811
    rasa_events: Engine,
) -> None:
    fold(session, rasa_events)

    # Rasa's events alone: A F1 G1 H contained (H's queueing is the gateway's); C D
    # ticketed; B F2 G2 I a person (the bot's hand-over; G2's expiry is the gateway's).
    alone = containment(session, PERIOD, now=SETTLED)
    assert (alone.contained, alone.ticketed, alone.escalated_to_person) == (4, 2, 4)

    gateway_history(session)
    refresh(session, rasa_events)  # no new Rasa event: the gateway's rows are folded

    found = containment(session, PERIOD, now=SETTLED)
    assert (found.contained, found.ticketed, found.escalated_to_person) == (3, 3, 4)
