"""The session facts rollup: what `refresh` keeps in the gateway's database (SQLite and
PostgreSQL) is what `bot_facts.bot_sessions` reads from Rasa's raw events, however and how
often it runs; and erasure's and retention's deletes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.models_reporting import FactWatermark
from reporting import broker_table, session_facts
from reporting.bot_facts import SessionFacts, bot_sessions
from reporting.session_facts import delete_before, delete_senders, refresh, senders_of_customer
from reporting.session_tables import MISUNDERSTOOD_TEXTS, SESSION_FACTS
from tests.handover.conftest import (  # noqa: F401  (database fixtures)
    db_url,
    engine,
    fast_password_hashes,
    session,
)
from tests.reporting.test_bot_facts import (
    CONVERSATIONS,
    DAY,
    FALLBACKS,
    answered,
    publish,
    said,
    slot,
    when,
)
from tests.reporting.test_bot_facts import session as opened

EVERYTHING = (DAY - timedelta(days=30), DAY + timedelta(days=30))


@pytest.fixture
def rasa_events(tmp_path: Path) -> Iterator[Engine]:
    made = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")
    broker_table.create_table(made)
    yield made
    made.dispose()


def stored(db: Session) -> list[tuple[Any, ...]]:
    """The facts table's sessions, as comparable tuples, by start and sender."""
    c = SESSION_FACTS.c
    rows = db.execute(select(SESSION_FACTS).order_by(c.started, c.sender_id)).mappings()
    return [
        (r["sender_id"], r["started"], r["first_message"], r["ended"], r["channel"],
         r["language"], r["customer_id"], r["first_request"], tuple(r["requests"].split()),
         r["user_messages"], r["fallbacks"], r["asked_for_person"], r["bot_ticket"],
         r["verified"], r["unanswered"])
        for r in rows
    ]  # fmt: skip


def expected(found: list[SessionFacts]) -> list[tuple[Any, ...]]:
    return [
        (f.sender_id, f.started.timestamp(), _epoch(f.first_message), f.ended.timestamp(),
         f.channel, f.language,
         f.customer_id, f.first_request, f.requests, f.user_messages, f.fallbacks,
         f.asked_for_person, f.bot_ticket, f.verified, f.unanswered)
        for f in found
    ]  # fmt: skip


def _epoch(at: datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def when_of(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def raw(events: Engine) -> list[tuple[Any, ...]]:
    return expected(bot_sessions(events, start=EVERYTHING[0], end=EVERYTHING[1]))


def test_the_facts_are_the_raw_events_sessions(session: Session, rasa_events: Engine) -> None:  # noqa: F811
    publish(rasa_events, CONVERSATIONS)
    with rasa_events.connect() as connection:
        total = connection.execute(select(func.count()).select_from(broker_table.EVENTS)).scalar()

    assert refresh(session, rasa_events) == total
    # 13 conversations: rest-twice has two sessions, socket-silent none: 13 sessions.
    assert len(stored(session)) == 13
    assert stored(session) == raw(rasa_events)
    assert refresh(session, rasa_events) == 0  # nothing new: nothing changes
    assert stored(session) == raw(rasa_events)


def test_small_batches_and_later_events_give_the_same_facts(
    session: Session,  # noqa: F811
    rasa_events: Engine,
) -> None:
    publish(rasa_events, CONVERSATIONS)
    assert refresh(session, rasa_events, batch=7) > 0

    # Later: rest-bill's session goes on (an hour before expiry), rest-twice starts a
    # third session, a new conversation starts.
    publish(rasa_events, {
        "rest-bill": [said("and my order?", "track_order", 600), slot("customer_id", "CUS-9", 600)],
        "rest-twice": [*opened(2000), said("hello", "greet", 2001)],
        "rest-new": [*opened(2100), said("my bill", "check_bill_balance", 2101),
                     answered("utter_balance_due", 2101)],
    })  # fmt: skip
    assert refresh(session, rasa_events, batch=2) == 2 + 4 + 5

    assert stored(session) == raw(rasa_events)
    bill = next(row for row in stored(session) if row[0] == "rest-bill")
    # (sender, started, first message, ended, ..., customer, first request, requests)
    assert bill[3] == when(600).timestamp() and bill[6] == "CUS-9"
    assert bill[8] == ("check_bill_balance", "track_order")
    with pytest.raises(ValueError, match="at least 1"):
        refresh(session, rasa_events, batch=0)


def test_two_refreshes_at_once_take_turns(
    session: Session,  # noqa: F811
    engine: Engine,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rasa's events in the gateway's own database (the default), on both backends; the
    # process lock set aside, as for two gateways: the watermark's row lock must suffice.
    broker_table.create_table(engine)
    try:
        publish(engine, CONVERSATIONS)
        monkeypatch.setattr(session_facts, "_THREADS", nullcontext())
        folded: list[int] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                folded.append(refresh(engine, engine, batch=5))
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        with engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(broker_table.EVENTS)
            ).scalar()
        assert sum(folded) == total  # each row folded once, whoever did it
        assert stored(session) == raw(engine)
    finally:
        broker_table.EVENTS.drop(engine)


def test_misunderstood_texts_are_kept_redacted_and_folded(
    session: Session,  # noqa: F811
    rasa_events: Engine,
) -> None:
    publish(rasa_events, FALLBACKS)
    refresh(session, rasa_events)

    c = MISUNDERSTOOD_TEXTS.c
    rows = session.execute(
        select(c.sender_id, c.at, c.text, c.folded, c.channel).order_by(c.at)
    ).all()
    # Every non-blank fallback text; the date stored unredacted (82) is redacted now.
    assert [(row[0], when_of(row[1]), *row[2:]) for row in rows] == [
        ("en-old", when(-1), "réseau en panne", "reseau en panne", "rest"),
        ("fr-1", when(60), "réseau en panne", "reseau en panne", "socketio"),
        ("fr-1", when(61), "Réseau  en panne", "reseau en panne", "socketio"),
        ("fr-2", when(70), "RESEAU EN PANNE", "reseau en panne", "socketio"),
        ("fr-2", when(71), "réseau en panne", "reseau en panne", "socketio"),
        ("fr-2", when(72), "ligne 2 coupée", "ligne 0 coupee", "socketio"),
        ("en-1", when(80), "ligne 3 coupee", "ligne 0 coupee", "rest"),
        ("en-1", when(81), "born [date of birth]", "born [date of birth]", "rest"),
        ("en-1", when(82), "born [date of birth]", "born [date of birth]", "rest"),
        ("en-1", when(83), "what is the meaning of life", "what is the meaning of life",
         "rest"),
    ]  # fmt: skip


def test_erasure_and_retention_delete_the_facts(session: Session, rasa_events: Engine) -> None:  # noqa: F811
    publish(rasa_events, {**CONVERSATIONS, **FALLBACKS})
    refresh(session, rasa_events)
    c = SESSION_FACTS.c

    assert senders_of_customer(session, "CUS-00002") == {"rest-twice"}
    # rest-twice has 2 sessions, en-1 one (with 4 texts).
    assert delete_senders(session, ["rest-twice", "en-1", "nobody"]) == 3
    session.commit()
    senders = set(session.execute(select(c.sender_id)).scalars())
    assert {"rest-twice", "en-1"} & senders == set()
    texts = session.execute(select(MISUNDERSTOOD_TEXTS.c.sender_id)).scalars()
    assert "en-1" not in set(texts)

    # Before 09:00: rest-night (-10), en-old (-1, with its text), rest-first (0), fr-1 (60),
    # fr-2 (70), rest-old (a week before).
    assert delete_before(session, when(540)) == 6
    session.commit()
    assert session.execute(select(func.min(c.started))).scalar() == when(540).timestamp()
    # The texts left are socket-person's (its session started at 10:00).
    oldest = session.execute(select(func.min(MISUNDERSTOOD_TEXTS.c.started))).scalar()
    assert oldest == when(600).timestamp()


def test_events_table_started_again_is_folded_again(
    session: Session,  # noqa: F811
    rasa_events: Engine,
) -> None:
    publish(rasa_events, CONVERSATIONS)
    refresh(session, rasa_events)
    # A new, empty events database: its ids restart below the watermark.
    with rasa_events.begin() as connection:
        connection.execute(delete(broker_table.EVENTS))
    publish(rasa_events, {"again": [*opened(30), said("my bill", "check_bill_balance", 31)]})

    assert refresh(session, rasa_events) == 4
    assert "again" in set(session.execute(select(SESSION_FACTS.c.sender_id)).scalars())
    mark = session.execute(
        select(FactWatermark.last_id).where(FactWatermark.name == "session_facts")
    )
    assert mark.scalar_one() >= 4


def test_no_events_table_yet_folds_nothing(session: Session, tmp_path: Path) -> None:  # noqa: F811
    nothing = broker_table.events_engine(f"sqlite:///{tmp_path}/none.db")

    assert refresh(session, nothing) == 0
    assert stored(session) == []
