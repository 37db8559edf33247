"""The conversations around a text of the trainer's inbox (`trainer.context`), on SQLite and
PostgreSQL: from the gateway's copy (with the agents' and the gateway's lines) when it has the
conversation, else from Rasa's events; newest conversations first, one excerpt each around the
latest message; the inbox's filters; redacted again; naming no conversation."""

# ruff: noqa: F811  (the database fixtures are imported by name)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.core.events import UserUttered
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover import crud
from handover.models import Message
from reporting import broker_table, session_facts
from reporting.bot_facts import normalised
from reporting.kpis_contacts import Scope
from tests.handover.conftest import db_url, engine, session  # noqa: F401
from tests.reporting.test_bot_facts import DAY, NEXT_DAY, answered, at, published, slot, when
from tests.reporting.test_bot_facts import session as rasa_session
from trainer.context import Line, conversations_around
from trainer.states import text_key

PERIOD = Scope(DAY, NEXT_DAY)
BLINKS = "my box blinks weirdly"
ITEM = (text_key(normalised(BLINKS)), "en")
PHONE = "+33 6 12 34 56 78"


def said(
    text: str, intent: str, minute: float, confidence: float = 0.4, channel: str = "socketio"
) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence}, [],
                       timestamp=at(minute), input_channel=channel)  # fmt: skip


def miss(minute: float, channel: str = "socketio") -> UserUttered:
    return said(BLINKS, "nlu_fallback", minute, channel=channel)


# Rasa's events of the day: the same text missed in three conversations, twice in one.
EVENTS = {
    # Through the widget: the gateway has it too (below), with an agent after the miss.
    "conv-widget-7f3a": [
        *rasa_session(60), slot("language", "en", 60),
        said("hello", "greet", 60.5, 0.99), answered("utter_greet", 60.6),
        miss(61), answered("utter_default", 61.1),
    ],
    # Through Rasa's REST channel: Rasa's events only.
    "conv-rest-9b1c": [
        *rasa_session(70), slot("language", "en", 70),
        said("hi", "greet", 70.2, 0.99, "rest"), answered("utter_greet", 70.3),
        said("my internet is slow", "check_outage", 70.4, 0.95, "rest"),
        answered("utter_outage", 70.5),
        miss(71, "rest"), answered("utter_default", 71.1),
        said("never mind", "deny", 71.5, 0.9, "rest"), answered("utter_goodbye", 71.6),
        miss(80, "rest"), answered("utter_default", 80.1),  # the latest of this conversation
    ],
    # Folded, then erased from both the gateway and Rasa's events before the trainer looked.
    "conv-erased-2d4e": [*rasa_session(50), slot("language", "en", 50), miss(51)],
    # Another text: never shown for BLINKS.
    "conv-other-5a5a": [*rasa_session(90), slot("language", "en", 90),
                        said("zorglub", "nlu_fallback", 91)],
}  # fmt: skip

# The gateway's copy of the widget's conversation: what the console showed.
GATEWAY = [
    ("user", "hello", 60.5 - 0.01), ("bot", "Hello! How can I help?", 60.6),
    ("user", BLINKS, 61 - 0.01), ("bot", "Sorry, I did not get that.", 61.1),
    ("system", "You are in the queue: an agent will answer.", 62),
    ("agent", f"Hi, Ana here. I can call you on {PHONE}", 63),
    ("user", "yes please, the router light blinks orange", 64),
    ("agent", "It is a firmware update: wait 10 minutes.", 65),
]  # fmt: skip


@pytest.fixture
def events(tmp_path: Path) -> Iterator[Engine]:
    with published(tmp_path, EVENTS) as made:
        yield made


@pytest.fixture
def db(session: Session, events: Engine) -> Session:
    session_facts.refresh(session, events)
    crud.upsert_conversation(session, conversation_id="conv-widget-7f3a", language="en")
    for sender, text, minute in GATEWAY:
        message = crud.add_message(
            session, conversation_id="conv-widget-7f3a", sender=sender, text=text,  # type: ignore[arg-type]
            agent_username="ana" if sender == "agent" else None,
            intent="nlu_fallback" if text == BLINKS else None,
            confidence=0.4 if text == BLINKS else None,
        )  # fmt: skip
        message.created_at = when(minute)
        session.flush()
    with events.begin() as connection:
        connection.execute(
            delete(broker_table.EVENTS).where(broker_table.EVENTS.c.sender_id == "conv-erased-2d4e")
        )
    session.commit()
    return session


def spoken(lines: tuple[Line, ...]) -> list[tuple[str, str, bool]]:
    return [(line.speaker, line.text, line.inbox) for line in lines]


def test_the_newest_conversations_first_each_around_its_latest_message(
    db: Session, events: Engine
) -> None:
    around = conversations_around(db, PERIOD, ITEM, events=events)

    assert (around.messages, around.conversations) == (4, 3)
    rest, widget, erased = around.excerpts
    assert [e.at for e in around.excerpts] == [when(80), when(61), when(51)]
    # Rasa's REST conversation: the customer and the bot, around the latest of its two misses.
    assert rest.origin == "rasa" and rest.language == "en" and rest.sources == ("fallback",)
    assert spoken(rest.lines) == [
        ("customer", "hi", False), ("bot", "(utter_greet)", False),
        ("customer", "my internet is slow", False), ("bot", "(utter_outage)", False),
        ("customer", BLINKS, False), ("bot", "(utter_default)", False),
        ("customer", "never mind", False), ("bot", "(utter_goodbye)", False),
        ("customer", BLINKS, True), ("bot", "(utter_default)", False),
    ][-8:]  # BEFORE (6) lines, the message, what followed  # fmt: skip
    assert (rest.earlier, rest.later) == (True, False)
    inbox_line = next(line for line in rest.lines if line.inbox)
    assert (inbox_line.at, inbox_line.intent, inbox_line.confidence) == (
        when(80),
        "nlu_fallback",
        0.4,
    )
    # The widget's: the gateway's copy, the queue and the agent included, redacted again.
    assert widget.origin == "gateway" and widget.sources == ("fallback",)
    assert spoken(widget.lines)[:5] == [
        ("customer", "hello", False), ("bot", "Hello! How can I help?", False),
        ("customer", BLINKS, True), ("bot", "Sorry, I did not get that.", False),
        ("system", "You are in the queue: an agent will answer.", False),
    ]  # fmt: skip
    agent = widget.lines[5]
    assert agent.speaker == "agent" and PHONE not in agent.text and "Ana here" in agent.text
    assert [line.speaker for line in widget.lines[6:]] == ["customer", "agent"]
    assert (widget.earlier, widget.later) == (False, False)
    assert widget.lines[2].intent == "nlu_fallback" and widget.lines[1].intent is None
    # Folded by the reports, then erased everywhere: counted, nothing to show.
    assert (erased.origin, erased.lines, erased.earlier, erased.later) == ("none", (), False, False)
    # Nothing names a conversation, a customer or an agent.
    assert "conv-" not in repr(around) and "ana" not in repr(around).replace("Ana here", "")


def test_the_limit_and_the_lines_each_side(db: Session, events: Engine) -> None:
    (newest,) = conversations_around(db, PERIOD, ITEM, events=events, limit=1).excerpts
    assert newest.at == when(80)
    two = conversations_around(db, PERIOD, ITEM, events=events, limit=2, before=1, after=0)
    rest, widget = two.excerpts
    assert spoken(rest.lines) == [("bot", "(utter_goodbye)", False), ("customer", BLINKS, True)]
    assert (rest.earlier, rest.later) == (True, True)
    assert spoken(widget.lines) == [("bot", "Hello! How can I help?", False),
                                    ("customer", BLINKS, True)]  # fmt: skip
    assert (widget.earlier, widget.later) == (True, True)
    for wrong in ({"limit": 0}, {"limit": 11}, {"before": -1}, {"after": -1}):
        with pytest.raises(ValueError):
            conversations_around(db, PERIOD, ITEM, events=events, **wrong)  # type: ignore[arg-type]


def test_only_the_inboxs_texts_with_its_filters(db: Session, events: Engine) -> None:
    def found(item: tuple[str, str], scope: Scope = PERIOD, **asked: object) -> tuple[int, int]:
        around = conversations_around(db, scope, item, events=events, **asked)  # type: ignore[arg-type]
        assert len(around.excerpts) == around.conversations
        return around.messages, around.conversations

    assert found(ITEM, sources={"fallback"}) == (4, 3)
    assert found(ITEM, sources={"low_rating", "flagged"}) == (0, 0)
    assert found((ITEM[0], "fr")) == (0, 0)  # the same words in another language: another text
    assert found(ITEM, Scope(DAY, NEXT_DAY, channel="rest")) == (2, 1)
    assert found(ITEM, Scope(when(65), NEXT_DAY)) == (2, 1)  # sessions started in the period
    # A conversation's id, a text never missed, part of a text: nothing.
    for key in ("conv-widget-7f3a", "hello", "my box"):
        assert found((key, "en")) == (0, 0)
    assert found(("zorglub", "en")) == (1, 1)


def test_without_rasas_events_the_gateways_copy_still_serves(db: Session) -> None:
    around = conversations_around(db, PERIOD, ITEM)  # no events: the fold's rows alone
    assert [e.origin for e in around.excerpts] == ["none", "gateway", "none"]


def test_a_gateway_copy_gone_falls_back_to_rasas_events(db: Session, events: Engine) -> None:
    db.execute(delete(Message).where(Message.conversation_id == "conv-widget-7f3a"))
    db.commit()
    widget = conversations_around(db, PERIOD, ITEM, events=events).excerpts[1]
    assert widget.origin == "rasa"
    assert spoken(widget.lines) == [
        ("customer", "hello", False), ("bot", "(utter_greet)", False),
        ("customer", BLINKS, True), ("bot", "(utter_default)", False),
    ]  # fmt: skip
