"""The arms' figures (`trainer.arms`) on SQLite and PostgreSQL, from seeded rows of the tables
they read (assignments, session facts, the gateway's events), and from Rasa's own events
folded on the way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.models import RecordedEvent
from reporting import broker_table
from reporting.session_tables import SESSION_FACTS
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.reporting.test_bot_facts import DAY, answered, publish, said
from tests.reporting.test_bot_facts import session as opened
from tests.trainer.rollout_rows import GOOD, LIVE, NOW, UNJUDGED, canary, started
from trainer import audit, rollout
from trainer.arms import ArmFigures, Latency, arm_figures
from trainer.tables import MODEL_ASSIGNMENTS

GATEWAY = RecordedEvent.__table__


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def assigned(db: Session, conversation: str, arm: str, model_id: str, minute: float,
             messages: int = 0, latency_ms: float = 0) -> None:  # fmt: skip
    db.execute(
        MODEL_ASSIGNMENTS.insert().values(
            conversation_id=conversation,
            arm=arm,
            model_id=model_id,
            server="a",
            assigned_at=at(minute),
            last_seen_at=at(minute),
            messages=messages,
            latency_ms=latency_ms,
        )  # fmt: skip
    )


def fact(db: Session, conversation: str, ended: float, **fields: Any) -> None:
    """A session of `conversation` that ended at minute `ended` (started 1 minute before)."""
    start = at(ended - 1).timestamp()
    values: dict[str, Any] = {
        "sender_id": conversation, "started": start, "quarter": int(start // 900),
        "first_message": start, "ended": at(ended).timestamp(), "channel": "socketio",
        "requests": "", "user_messages": 1, "fallbacks": 0, "asked_for_person": False,
        "bot_ticket": False, "verified": False, "unanswered": False, "gateway_queued": False,
        "gateway_expired": False,
    }  # fmt: skip
    db.execute(SESSION_FACTS.insert().values(**{**values, **fields}))


def gateway(db: Session, conversation: str, kind: str, minute: float, score: int | None = None,
            episode: int = 1) -> None:  # fmt: skip
    db.execute(
        GATEWAY.insert().values(
            conversation_id=conversation, episode=episode, kind=kind, at=at(minute), score=score
        )
    )


def test_each_arm_counts_its_conversations_since_the_canary(session: Session) -> None:  # noqa: F811
    state = canary(session)  # started at minute 1
    # The candidate's conversations.
    assigned(session, "c1", "candidate", GOOD, 5, messages=4, latency_ms=800)
    fact(session, "c1", 10, fallbacks=1, requests="check_bill_balance")  # contained
    fact(session, "c1", 20, requests="check_outage", bot_ticket=True)  # a ticket: not contained
    assigned(session, "c2", "candidate", GOOD, 5, messages=2, latency_ms=1000)
    fact(session, "c2", 12, requests="request_human", asked_for_person=True)
    gateway(session, "c2", "queued", 12)
    assigned(session, "c3", "candidate", GOOD, 5, messages=1, latency_ms=50)  # no facts yet
    gateway(session, "c3", "rated", 30, score=2)
    gateway(session, "c3", "rated", 31, score=4)  # the second replaces the first
    gateway(session, "c3", "rated", 32, score=1, episode=2)  # another contact's
    assigned(session, "c4", "candidate", GOOD, 5)
    fact(session, "c4", 8)  # a greeting: no request
    fact(session, "c4", 4, fallbacks=2, requests="x", asked_for_person=True)  # before: not its
    gateway(session, "c4", "rated", 4, score=5)  # before its assignment
    gateway(session, "c4", "queued", 4)
    # The live model's.
    assigned(session, "l1", "live", LIVE, 5, messages=3, latency_ms=300)
    fact(session, "l1", 9, requests="check_bill_balance", gateway_queued=True)
    gateway(session, "l1", "queued", 7)
    gateway(session, "l1", "rated", 15, score=5)
    # In neither arm: assigned before the canary, or to another model (a past canary's).
    assigned(session, "old", "live", LIVE, 0.5, messages=9, latency_ms=9)
    assigned(session, "past", "candidate", UNJUDGED, 5, messages=9, latency_ms=9)
    fact(session, "old", 10, fallbacks=3)

    found = arm_figures(session, state)

    assert found == {
        "candidate": ArmFigures(
            arm="candidate", model_id=GOOD, conversations=4, messages=7, measured=3,
            fallbacks=1, fallback_rate=1 / 3, handovers=1, handover_rate=1 / 4, requests=3,
            contained=1, containment=1 / 3, csat=(4 + 1) / 2, ratings=2,
            # Messages at their conversation's mean: 50 ms once, 200 four times, 500 twice.
            latency_ms=Latency(p50=200.0, p95=500.0),
        ),
        "live": ArmFigures(
            arm="live", model_id=LIVE, conversations=1, messages=3, measured=1, fallbacks=0,
            fallback_rate=0.0, handovers=1, handover_rate=1.0, requests=1, contained=0,
            containment=0.0, csat=5.0, ratings=1, latency_ms=Latency(p50=100.0, p95=100.0),
        ),
    }  # fmt: skip


def test_failures_of_the_candidates_server_since_the_canary_are_counted(
    session: Session,  # noqa: F811
) -> None:
    state = canary(session)  # started at minute 1
    for minute, model_id in ((0, GOOD), (2, GOOD), (3, GOOD), (4, UNJUDGED)):
        audit.record(session, actor="system", action="candidate_failed", model_id=model_id,
                     now=at(minute))  # fmt: skip
    found = arm_figures(session, state)
    assert (found["candidate"].failures, found["live"].failures) == (2, 0)


def test_an_arm_with_nothing_measured_has_no_rates(session: Session) -> None:  # noqa: F811
    state = canary(session)
    assigned(session, "c1", "candidate", GOOD, 5)

    found = arm_figures(session, state)

    assert found["live"] == ArmFigures(
        "live", LIVE, 0, 0, 0, 0, None, 0, None, 0, 0, None, None, 0, Latency(None, None)
    )
    candidate = found["candidate"]
    assert (candidate.conversations, candidate.handover_rate) == (1, 0.0)
    assert (candidate.fallback_rate, candidate.containment, candidate.csat) == (None, None, None)


def test_no_figures_when_idle(session: Session) -> None:  # noqa: F811
    state = started(session)
    assigned(session, "c1", "live", LIVE, 5)
    assert arm_figures(session, state) == {}
    rollout.publish(session, GOOD, share=0.5, by="tess", now=at(1))
    assert arm_figures(session, rollout.rollback(session, by="tess")) == {}


@pytest.fixture
def rasa_events(tmp_path: Path) -> Iterator[Engine]:
    made = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")
    broker_table.create_table(made)
    yield made
    made.dispose()


def test_rasa_events_are_folded_first(session: Session, rasa_events: Engine) -> None:  # noqa: F811
    state = canary(session)
    assigned(session, "r1", "candidate", GOOD, 5, messages=2, latency_ms=400)
    assigned(session, "r2", "live", LIVE, 5, messages=1, latency_ms=100)
    session.commit()  # the fold writes through connections of its own
    minute = (NOW - DAY).total_seconds() / 60 + 5  # test_bot_facts's clock: minutes after DAY
    publish(rasa_events, {
        "r1": [*opened(minute), said("zorglub", "nlu_fallback", minute + 0.1, "socketio"),
               answered("utter_default", minute + 0.1),
               said("my bill please", "check_bill_balance", minute + 0.2, "socketio"),
               answered("utter_bill", minute + 0.2)],
        "r2": [*opened(minute), said("my bill", "check_bill_balance", minute + 0.1, "socketio"),
               answered("utter_bill", minute + 0.1)],
    })  # fmt: skip

    before = arm_figures(session, state)
    found = arm_figures(session, state, events=rasa_events)

    assert (before["candidate"].measured, before["live"].measured) == (0, 0)
    candidate, live = found["candidate"], found["live"]
    assert (candidate.measured, candidate.fallbacks, candidate.fallback_rate) == (1, 1, 1.0)
    assert (live.measured, live.fallbacks, live.fallback_rate) == (1, 0, 0.0)
    assert (candidate.requests, candidate.contained, live.requests, live.contained) == (1, 1, 1, 1)
