"""Every source of the trainer's inbox (`trainer.inbox_sources`), on SQLite and PostgreSQL:
Rasa's events folded by the reports (fallbacks, out-of-scope answers, doubtful guesses), the
gateway's contacts (queued after a miss, rated 1-2: their messages read from Rasa's events),
and agents' flags; one message found by several sources is one message with several tags;
the inbox's source and intent filters, its counts per source, each text's predicted intent."""

# ruff: noqa: F811  (the database fixtures are imported by name)

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.shared.core.events import UserUttered
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover import crud
from handover.models_reporting import ContactFact
from reporting import session_facts
from reporting.bot_facts import normalised
from reporting.kpis_contacts import Scope
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from tests.handover.conftest import db_url, engine, session  # noqa: F401
from tests.reporting.test_bot_facts import DAY, NEXT_DAY, at, handed_back, published, slot, when
from tests.reporting.test_bot_facts import session as rasa_session
from trainer import flags
from trainer.inbox import load_inbox
from trainer.inbox_sources import MATCH_SECONDS, SOURCES, Found, _merged_exactly, found_messages

PERIOD = Scope(DAY, NEXT_DAY)
RANKED = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "check_outage", "confidence": 0.31}]


def said(text: str, intent: str, minute: float, confidence: float = 0.97, **parse: Any) -> Any:
    return UserUttered(text, {"name": intent, "confidence": confidence}, [], parse_data=parse,
                       timestamp=at(minute), input_channel="socketio")  # fmt: skip


# Rasa's events of the day (minutes after midnight).
EVENTS = {
    # A fallback the NLU would have read as check_outage; an agent flags it too (below).
    "box": [*rasa_session(60), slot("language", "en", 60),
            said("my box blinks weirdly", "nlu_fallback", 61, 0.4, intent_ranking=RANKED)],
    "oos": [*rasa_session(70), said("what is the meaning of life", "out_of_scope", 71, 0.88)],
    # Doubtful guesses: under the threshold (0.6), over it, and a confident one.
    "unsure": [*rasa_session(80), said("hm my bill maybe", "check_bill_balance", 81, 0.5),
               said("bill please", "check_bill_balance", 82, 0.7),
               said("show me my bill", "check_bill_balance", 83, 0.95)],
    # Missed, then queued for a person at 92; missed again after a hand-back at 96.
    "queued": [*rasa_session(90), said("zorglub", "nlu_fallback", 91, 0.4),
               said("a person please", "request_human", 92), handed_back(95),
               said("zorglub again", "nlu_fallback", 96, 0.4)],
    # Rated 2 (the contact from 100 to 110): what the customer said to the bot, a miss among it.
    "rated": [*rasa_session(100), slot("language", "fr", 100),
              said("je veux changer d'offre", "change_plan", 101),
              said("euh quoi", "nlu_fallback", 102, 0.4, intent_ranking=RANKED),
              said("merci", "thank", 104, 0.99),
              said("autre chose", "greet", 200)],  # a later contact: not the rated one
    "happy": [*rasa_session(120), said("tout va bien", "greet", 121)],  # rated 5
}  # fmt: skip


def contact(cid: str, first: float, last: float, **columns: Any) -> dict[str, Any]:
    optional = dict.fromkeys(("queued_at", "ended_at", "score", "language"))
    return {"conversation_id": cid, "episode": 1, "channel": "socketio", "first_at": at(first),
            "last_at": at(last), "opened_at": at(first), **optional, **columns}  # fmt: skip


CONTACTS = [
    contact("queued", 90, 99, queued_at=at(92)),
    contact("rated", 100, 112, ended_at=at(110), score=2, language="fr"),
    contact("happy", 120, 125, ended_at=at(124), score=5, language="fr"),
    contact("rated-yesterday", -100, -90, ended_at=at(-91), score=1),
]


def customer_message(db: Session, cid: str, text: str, minute: float) -> int:
    message = crud.add_message(db, conversation_id=cid, sender="user", text=text)
    message.created_at = when(minute)
    db.flush()
    return message.id


@pytest.fixture
def events(tmp_path: Path) -> Iterator[Engine]:
    with published(tmp_path, EVENTS) as made:
        yield made


@pytest.fixture
def db(session: Session, events: Engine) -> Session:
    """The day folded from Rasa's events, the gateway's contacts, two flagged messages."""
    session_facts.refresh(session, events)
    session.execute(insert(ContactFact), CONTACTS)
    crud.upsert_conversation(session, conversation_id="box", language="en")
    crud.upsert_conversation(session, conversation_id="billing", language="en")
    # The gateway stored it a moment before Rasa parsed it.
    box = customer_message(session, "box", "my box blinks weirdly", 61 - 0.5 / 60)
    charged = customer_message(session, "billing", "I was charged twice", 300)
    for message_id, cid in ((box, "box"), (charged, "billing")):
        flags.flag(session, conversation_id=cid, message_id=message_id, by="ada")
    session.commit()
    return session


def tags(found: list[Found]) -> dict[str, tuple[set[str], str | None, float | None]]:
    return {m.text: (set(m.sources), m.intent, m.confidence) for m in found}


def test_each_source_tags_its_messages_and_one_message_is_found_once(
    db: Session, events: Engine
) -> None:
    found = found_messages(db, PERIOD, events=events)

    assert tags(found) == {
        "my box blinks weirdly": ({"fallback", "flagged"}, "check_outage", 0.31),
        "what is the meaning of life": ({"out_of_scope"}, "out_of_scope", 0.88),
        "hm my bill maybe": ({"low_confidence"}, "check_bill_balance", 0.5),
        "zorglub": ({"fallback", "handover_after_miss"}, "nlu_fallback", 0.4),
        "zorglub again": ({"fallback"}, "nlu_fallback", 0.4),  # after the hand-over
        "je veux changer d'offre": ({"low_rating"}, "change_plan", 0.97),
        # The fold's reading (what the NLU would have named) over the event's (nlu_fallback).
        "euh quoi": ({"fallback", "low_rating"}, "check_outage", 0.31),
        "merci": ({"low_rating"}, "thank", 0.99),
        "I was charged twice": ({"flagged"}, None, None),  # the gateway's: no NLU reading
    }  # fmt: skip
    assert len(found) == 9 and [m.at for m in found] == sorted(m.at for m in found)
    by_text = {m.text: m for m in found}
    assert by_text["my box blinks weirdly"].at == at(61)  # Rasa's record, not the gateway's
    assert by_text["merci"].language == by_text["euh quoi"].language == "fr"
    assert by_text["I was charged twice"].sender_id == "billing"


def test_the_threshold_and_the_filters(db: Session, events: Engine) -> None:
    strict = tags(found_messages(db, PERIOD, events=events, low_confidence=0.45))
    assert "hm my bill maybe" not in strict and "zorglub" in strict
    # Above the fold's threshold (the same setting): no more than the fold kept.
    lenient = tags(found_messages(db, PERIOD, events=events, low_confidence=0.75))
    assert lenient == tags(found_messages(db, PERIOD, events=events))
    for wrong in (0.0, 1.5):
        with pytest.raises(ValueError, match="threshold"):
            found_messages(db, PERIOD, low_confidence=wrong)

    french = tags(found_messages(db, Scope(DAY, NEXT_DAY, language="fr"), events=events))
    assert set(french) == {"je veux changer d'offre", "euh quoi", "merci"}
    rest = found_messages(db, Scope(DAY, NEXT_DAY, channel="rest"), events=events)
    assert rest == []  # every message of the day came through the widget
    # Without Rasa's events, the low-rated contacts' messages are unknown: the fold's remain.
    blind = tags(found_messages(db, PERIOD))
    assert blind["euh quoi"] == ({"fallback"}, "check_outage", 0.31) and "merci" not in blind
    assert found_messages(db, Scope(when(-200), DAY), events=events) == []  # rated 1, no events


def test_an_old_row_counts_as_a_fallback(db: Session) -> None:
    db.execute(insert(MISUNDERSTOOD_TEXTS), {
        "sender_id": "old", "started": at(30), "at": at(31), "channel": "socketio",
        "language": "en", "text": "folded before 0011", "folded": "folded before 0011",
    })  # fmt: skip
    db.commit()
    (old,) = [m for m in found_messages(db, PERIOD) if m.sender_id == "old"]
    assert (old.sources, old.intent, old.confidence) == (frozenset({"fallback"}), None, None)


def test_a_flag_far_from_rasas_record_is_a_message_of_its_own(db: Session, events: Engine) -> None:
    late = customer_message(db, "box", "my box blinks weirdly", 61 + 2 * MATCH_SECONDS / 60)
    flags.flag(db, conversation_id="box", message_id=late, by="bob")
    db.commit()
    found = [m for m in found_messages(db, PERIOD, events=events) if m.sender_id == "box"]
    assert sorted(sorted(m.sources) for m in found) == [["fallback", "flagged"], ["flagged"]]


def test_one_event_read_twice_keeps_the_folds_reading() -> None:
    # The fold's time went through a datetime: a microsecond off the event's own.
    rated = Found("c1", 100.0, "fr", "euh", "euh", "nlu_fallback", 0.4, frozenset({"low_rating"}))
    folded = Found("c1", 100.000001, "en", "euh", "euh", "check_outage", 0.31,
                   frozenset({"fallback"}))  # fmt: skip
    later = replace(rated, at=101.0)  # said again a second later: another message
    for records in ([rated, folded, later], [folded, rated, later]):
        assert _merged_exactly(records) == [
            replace(folded, sources=frozenset({"fallback", "low_rating"})), later,
        ]  # fmt: skip


def one_group_per_text(texts: list[str]) -> np.ndarray:
    """An encoder that finds no two texts alike: each distinct text is a group of its own."""
    distinct = sorted(set(texts))
    return np.eye(len(distinct))[[distinct.index(text) for text in texts]]


def test_the_inbox_filters_by_source_and_intent_and_counts_each_source(
    db: Session, events: Engine
) -> None:
    inbox = load_inbox(db, PERIOD, encode=one_group_per_text, events=events)
    assert inbox.messages == 9 and inbox.total_groups == 9
    assert inbox.sources == {
        "fallback": 4, "low_confidence": 1, "out_of_scope": 1, "handover_after_miss": 1,
        "low_rating": 3, "flagged": 2,
    }  # fmt: skip
    assert list(inbox.sources) == list(SOURCES)
    assert inbox.intents == {
        "check_outage": 2, "nlu_fallback": 2, "change_plan": 1, "check_bill_balance": 1,
        "out_of_scope": 1, "thank": 1,
    }  # fmt: skip
    box = next(g for g in inbox.groups if g.representative == "my box blinks weirdly")
    assert box.sources == {"fallback": 1, "flagged": 1}
    (text,) = box.texts
    assert (text.sources, text.intent, text.confidence) == (
        {"fallback": 1, "flagged": 1}, "check_outage", 0.31,
    )  # fmt: skip

    flagged = load_inbox(db, PERIOD, encode=one_group_per_text, events=events,
                         sources={"flagged"})  # fmt: skip
    assert sorted(g.representative for g in flagged.groups) == [
        "I was charged twice", "my box blinks weirdly",
    ]  # fmt: skip
    assert flagged.messages == 2 and flagged.sources == inbox.sources  # counts for the choices
    assert flagged.intents == {"check_outage": 1}

    rated = load_inbox(db, PERIOD, encode=one_group_per_text, events=events,
                       sources={"low_rating", "handover_after_miss"}, intent="check_outage")  # fmt: skip
    assert sorted(g.representative for g in rated.groups) == ["euh quoi"]
    assert rated.sources["fallback"] == 2 and rated.sources["low_rating"] == 1
    with pytest.raises(ValueError, match="sources must be some of"):
        load_inbox(db, PERIOD, encode=one_group_per_text, sources={"rumour"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sources must be some of"):
        load_inbox(db, PERIOD, encode=one_group_per_text, sources=set())


def test_a_texts_intent_is_its_most_frequent_with_its_mean_confidence(db: Session) -> None:
    rows = [
        {"sender_id": f"s{n}", "started": at(400 + n), "at": at(401 + n), "channel": "socketio",
         "language": "en", "text": "my bil", "folded": normalised("my bil"), "source": source,
         "intent": intent, "confidence": confidence}
        for n, (source, intent, confidence) in enumerate([
            ("low_confidence", "check_bill_balance", 0.5), ("low_confidence", "check_bill_balance", 0.56),
            ("fallback", "check_outage", 0.3), ("fallback", None, None),
        ])
    ]  # fmt: skip
    db.execute(insert(MISUNDERSTOOD_TEXTS), rows)
    db.commit()
    inbox = load_inbox(db, PERIOD, encode=one_group_per_text)
    (text,) = next(g for g in inbox.groups if g.representative == "my bil").texts
    assert (text.messages, text.intent, text.confidence) == (4, "check_bill_balance", 0.53)
    assert text.sources == {"fallback": 2, "low_confidence": 2}
