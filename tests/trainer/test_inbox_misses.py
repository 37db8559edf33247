"""What the reports' fold keeps for the trainer's inbox (`reporting.nlu_misses`): why each
message was missed or doubted and what the NLU made of it, folded from Rasa's events into
`misunderstood_texts` (SQLite and PostgreSQL); the dashboard's "misunderstood" figure still
counts only the messages the NLU could not place; rows from before migration 0011 survive it."""

# ruff: noqa: F811  (the database fixtures are imported by name)

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from rasa.shared.core.events import UserUttered
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import alembic_config, make_engine
from reporting import broker_table, session_facts
from reporting.bot_kpis import misunderstood
from reporting.kpis_contacts import Scope
from reporting.nlu_misses import DEFAULT_LOW_CONFIDENCE, Miss, miss_of
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from tests.handover.conftest import db_url, empty_db_url, engine, session  # noqa: F401
from tests.reporting.test_bot_facts import DAY, NEXT_DAY, at, publish, slot
from tests.reporting.test_bot_facts import session as rasa_session

AT = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)


def user(text: str | None, intent: str | None, confidence: Any = 0.9, **parse: Any) -> dict:
    """A user event as Rasa stores it (dict form)."""
    top = {} if intent is None else {"name": intent, "confidence": confidence}
    return {"event": "user", "text": text, "parse_data": {"intent": top, **parse}}


RANKED = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "check_outage", "confidence": 0.31},
          {"name": "greet", "confidence": 0.2}]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "intent", "expected"),
    [
        # A fallback: the intent the NLU would have named, under nlu_fallback in the ranking.
        (user("ma box", "nlu_fallback", 0.4, intent_ranking=RANKED), "nlu_fallback",
         ("fallback", "check_outage", 0.31)),
        # Without a ranking (older events, the seed): nlu_fallback itself.
        (user("ma box", "nlu_fallback", 0.4), "nlu_fallback", ("fallback", "nlu_fallback", 0.4)),
        (user("the meaning of life", "out_of_scope", 0.88), "out_of_scope",
         ("out_of_scope", "out_of_scope", 0.88)),
        (user("my bill maybe", "check_bill_balance", 0.55), "check_bill_balance",
         ("low_confidence", "check_bill_balance", 0.55)),
        (user("roaming?", "faq", 0.5), "faq/roaming", ("low_confidence", "faq/roaming", 0.5)),
        # Doubtful answers to the bot's questions are kept too.
        (user("yeah ok", "affirm", 0.41), "affirm", ("low_confidence", "affirm", 0.41)),
        # A confidence that is not one is unknown: the message is a fallback all the same.
        (user("x", "nlu_fallback", "high"), "nlu_fallback", ("fallback", "nlu_fallback", None)),
        (user("x", "nlu_fallback", True), "nlu_fallback", ("fallback", "nlu_fallback", None)),
    ],
)  # fmt: skip
def test_a_miss_says_why_and_what_the_nlu_made_of_it(
    event: dict, intent: str, expected: tuple[str, str, float | None]
) -> None:
    found = miss_of(event, AT, intent)
    assert found is not None
    assert (found.at, found.text) == (AT, event["text"])
    assert (found.source, found.intent, found.confidence) == expected


@pytest.mark.parametrize(
    ("event", "intent"),
    [
        (user("show me my bill", "check_bill_balance", DEFAULT_LOW_CONFIDENCE), "check_bill_balance"),
        (user("bill please", "check_bill_balance", 0.7), "check_bill_balance"),
        (user("hello", "greet", 0.99), "greet"),
        (user("   ", "nlu_fallback", 0.4), "nlu_fallback"),  # nothing to read
        (user(None, "nlu_fallback", 0.4), "nlu_fallback"),
        (user("my bill", None), None),  # no NLU reading at all
        (user("my bill", "check_bill_balance", None), "check_bill_balance"),
        (user("my bill", "check_bill_balance", 7), "check_bill_balance"),
    ],
)  # fmt: skip
def test_confident_blank_or_unread_messages_are_no_misses(event: dict, intent: str | None) -> None:
    assert miss_of(event, AT, intent) is None


def test_the_threshold_says_which_guesses_are_doubtful() -> None:
    event = user("bill please", "check_bill_balance", 0.7)
    assert miss_of(event, AT, "check_bill_balance", low_confidence=0.75) is not None
    assert miss_of(event, AT, "check_bill_balance", low_confidence=0.7) is None


def test_misses_compare_by_time_and_text() -> None:
    # The reports' tests compare sessions' misses as (time, text).
    assert Miss(AT, "x", "low_confidence", "greet", 0.5) == Miss(AT, "x")


def said(text: str, intent: str, minute: float, confidence: float, **parse: Any) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence}, [], parse_data=parse,
                       timestamp=at(minute), input_channel="socketio")  # fmt: skip


@pytest.fixture
def events(tmp_path: Path) -> Iterator[Engine]:
    made = broker_table.events_engine(f"sqlite:///{tmp_path}/rasa-events.db")
    broker_table.create_table(made)
    yield made
    made.dispose()


def test_the_fold_keeps_why_and_what_the_nlu_made_of_each_message(
    session: Session, events: Engine
) -> None:
    publish(events, {
        "c1": [*rasa_session(60), slot("language", "fr", 60),
               said("ma box clignote", "nlu_fallback", 61, 0.4, intent_ranking=RANKED),
               said("le sens de la vie", "out_of_scope", 62, 0.9),
               said("ma facture peut-être", "check_bill_balance", 63, 0.52),
               said("ma facture", "check_bill_balance", 64, 0.97),
               said("né le 14/03/1985", "check_bill_balance", 65, 0.55)],
    })  # fmt: skip

    session_facts.refresh(session, events)

    texts = MISUNDERSTOOD_TEXTS.c
    rows = session.execute(
        select(texts.text, texts.folded, texts.source, texts.intent, texts.confidence,
               texts.language, texts.at).order_by(texts.at)
    ).all()  # fmt: skip
    assert [tuple(row) for row in rows] == [
        ("ma box clignote", "ma box clignote", "fallback", "check_outage", 0.31, "fr", at(61)),
        ("le sens de la vie", "le sens de la vie", "out_of_scope", "out_of_scope", 0.9, "fr", at(62)),
        ("ma facture peut-être", "ma facture peut-etre", "low_confidence", "check_bill_balance",
         0.52, "fr", at(63)),
        # Redacted again before it is kept, as every text of the table.
        ("né le [date of birth]", "ne le [date of birth]", "low_confidence",
         "check_bill_balance", 0.55, "fr", at(65)),
    ]  # fmt: skip
    # The dashboard's figure: only what the NLU could not place, as before.
    shown = misunderstood(session, Scope(DAY, NEXT_DAY))
    assert sorted((group.text, group.count) for group in shown) == [
        ("le sens de la vie", 1), ("ma box clignote", 1),
    ]  # fmt: skip


def test_the_fold_keeps_the_guesses_under_the_setting(
    session: Session, events: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(events, {"c1": [*rasa_session(60), said("bill please", "check_bill_balance", 61, 0.7),
                            said("my bill", "check_bill_balance", 62, 0.9)]})  # fmt: skip
    monkeypatch.setenv("REPORTING_LOW_CONFIDENCE", "0.75")

    session_facts.refresh(session, events)

    texts = MISUNDERSTOOD_TEXTS.c
    kept = session.execute(select(texts.text, texts.source, texts.confidence)).all()
    assert [tuple(row) for row in kept] == [("bill please", "low_confidence", 0.7)]
    monkeypatch.setenv("REPORTING_LOW_CONFIDENCE", "1.5")
    with pytest.raises(ValueError, match="less than or equal to 1"):
        session_facts.refresh(session, events)


def test_rows_from_before_0011_keep_their_place(empty_db_url: str) -> None:
    config = alembic_config(empty_db_url)
    made = make_engine(empty_db_url)
    command.upgrade(config, "0010")
    old = {"sender_id": "c1", "started": at(60), "at": at(61), "channel": "socketio",
           "language": "en", "text": "my box", "folded": "my box"}  # fmt: skip
    columns = ", ".join(old)
    with made.begin() as connection:
        connection.execute(
            text(f"INSERT INTO misunderstood_texts ({columns}) VALUES "
                 f"({', '.join(':' + name for name in old)})"), old,
        )  # fmt: skip
    command.upgrade(config, "head")
    with made.connect() as connection:
        (row,) = connection.execute(select(MISUNDERSTOOD_TEXTS)).mappings().all()
    assert {k: row[k] for k in old} == old
    assert (row["source"], row["intent"], row["confidence"]) == (None, None, None)
    with made.begin() as connection:
        connection.execute(insert(MISUNDERSTOOD_TEXTS), {**old, "source": "low_confidence"})
    command.downgrade(config, "0010")  # the rows stay, without the new columns
    with made.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM misunderstood_texts")).scalar() == 2
    made.dispose()
