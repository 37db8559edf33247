"""What Rasa's events say about each conversation: sessions, requests, fallbacks, outcomes.

The events are made with Rasa's own event classes, as the tracker store publishes them
(redacted texts, `sender_id` added), and written through the broker table's code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from sqlalchemy.engine import Engine

from reporting import bot_facts, broker_table
from reporting.bot_facts import Miss, SessionFacts, bot_sessions
from tests.handover.conftest import empty_database

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime(2026, 11, 2, tzinfo=timezone.utc)
NEXT_DAY = DAY + timedelta(days=1)


def at(minutes: float) -> float:
    """Epoch seconds, `minutes` after the start of DAY."""
    return (DAY + timedelta(minutes=minutes)).timestamp()


def when(minutes: float) -> datetime:
    return DAY + timedelta(minutes=minutes)


def session(minute: float) -> list[Event]:
    """What Rasa records when a session starts."""
    return [
        ActionExecuted("action_session_start", timestamp=at(minute)),
        SessionStarted(timestamp=at(minute)),
        ActionExecuted("action_listen", timestamp=at(minute)),
    ]


def said(text: str, intent: str, minute: float, channel: str = "rest", **extra: Any) -> Event:
    return UserUttered(
        text, {"name": intent, "confidence": 0.93, **extra}, [],
        timestamp=at(minute), input_channel=channel,
    )  # fmt: skip


def answered(response: str, minute: float) -> Event:
    return BotUttered(f"({response})", metadata={"utter_action": response}, timestamp=at(minute))


def ran(action: str, minute: float) -> Event:
    return ActionExecuted(action, timestamp=at(minute))


def slot(name: str, value: Any, minute: float) -> Event:
    return SlotSet(name, value, timestamp=at(minute))


def handed_back(minute: float) -> Event:
    # The gateway triggers the intent through Rasa's API: Rasa marks the event external.
    return UserUttered(
        "EXTERNAL: handback", {"name": "handback", "confidence": 1.0}, [],
        timestamp=at(minute), input_channel="socketio", metadata={"is_external": True},
    )  # fmt: skip


CONVERSATIONS: dict[str, list[Event]] = {
    # REST, answered by the bot alone: contained.
    "rest-bill": [
        *session(540),
        said("hi", "greet", 541), answered("utter_greet", 541),
        said("how much do I owe", "check_bill_balance", 542),
        slot("language", "en", 542), ran("bill_form", 542),
        said("30000001", "inform", 543), said("[date of birth]", "inform", 544),
        slot("verified", True, 544), slot("customer_id", "CUS-00001", 544),
        ran("action_check_bill_balance", 544), answered("utter_balance_due", 544),
        said("thanks", "thank", 545), answered("utter_you_are_welcome", 545),
    ],
    # Two misses, then a person, over the socket; the gateway hands it back later.
    "socket-person": [
        *session(600),
        said("ma box fait des trucs", "nlu_fallback", 601, "socketio"),
        slot("language", "fr", 601), answered("utter_ask_rephrase", 601),
        said("elle clignote", "nlu_fallback", 602, "socketio"),
        answered("utter_still_not_understood", 602), answered("utter_offer_human", 602),
        said("je veux un conseiller", "request_human", 603, "socketio"),
        ran("action_handover", 603), answered("utter_handover_queued", 603),
        handed_back(630), answered("utter_handback", 630),
    ],
    # A fault ticket after the outage check; the language slot is set twice.
    "rest-ticket": [
        *session(660),
        said("no internet at [postcode]", "check_outage", 661),
        slot("language", "fr", 661), slot("language", "en", 661),
        ran("action_check_outage", 661), answered("utter_offer_fault_ticket", 661),
        said("yes", "affirm", 662), ran("action_open_fault_ticket", 662),
        answered("utter_fault_ticket_opened", 662),
    ],
    # The CRM failed: the ticket action ran, no ticket was opened.
    "rest-ticket-failed": [
        *session(665),
        said("my line is dead", "check_outage", 665),
        said("yes", "affirm", 666), ran("action_open_fault_ticket", 666),
        answered("utter_backend_error_crm", 666),
    ],
    # Nobody free: the hand-over opened a CRM ticket instead.
    "socket-handover-ticket": [
        *session(700),
        said("I want to complain", "complain", 701, "socketio"),
        said("where is my order", "track_order", 702, "socketio"),
        said("I want to complain", "complain", 703, "socketio"),
        ran("action_handover", 703), answered("utter_handover_ticket", 703),
    ],
    # A greeting and nothing asked.
    "socket-hello": [
        *session(720),
        said("bonjour", "greet", 721, "socketio"), answered("utter_greet", 721),
        said("au revoir", "goodbye", 722, "socketio"),
    ],
    # The widget connected, the customer never wrote: no conversation.
    "socket-silent": [*session(730), answered("utter_greet", 730)],
    # Two Rasa sessions of one sender: slots do not carry over.
    "rest-twice": [
        *session(800),
        said("where is my order", "track_order", 801), slot("language", "fr", 801),
        slot("customer_id", "CUS-00002", 801),
        *session(900),
        said("roaming prices?", "faq", 901, full_retrieval_intent_name="faq/roaming"),
        said("and opening hours", "faq", 902, full_retrieval_intent_name="faq/opening_hours"),
    ],
    # Started the evening before: yesterday's, with its messages after midnight.
    "rest-night": [
        *session(-10),
        said("reset my password", "reset_password", -9),
        said("???", "nlu_fallback", 5), said("bye", "goodbye", 6),
    ],
    # Started before midnight at the end of the day, going on after it: today's, whole.
    "rest-late": [
        *session(1430),
        said("my bill", "check_bill_balance", 1431),
        said("a person please", "request_human", 1445), ran("action_handover", 1445),
    ],
    # Exactly at the period's bounds: start included, end excluded.
    "rest-first": [*session(0), said("my bill", "check_bill_balance", 0)],
    "rest-tomorrow": [*session(1440), said("my bill", "check_bill_balance", 1441)],
    # Last week: never read for today.
    "rest-old": [*session(-7 * 1440), said("my bill", "check_bill_balance", -7 * 1440)],
}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with empty_database(request.param, tmp_path) as url:
        made = broker_table.events_engine(url)
        broker_table.create_table(made)
        yield made
        made.dispose()


def publish(engine: Engine, conversations: dict[str, list[Event]]) -> None:
    """As the tracker store publishes: each conversation's events, interleaved by time."""
    published = [
        {"sender_id": sender, **event.as_dict()}
        for sender, events in conversations.items()
        for event in events
    ]
    with engine.begin() as connection:
        broker_table.insert(connection, sorted(published, key=lambda e: e["timestamp"]))


@contextmanager
def published(folder: Path, conversations: dict[str, list[Event]]) -> Iterator[Engine]:
    """Rasa's events table in a SQLite file of `folder`, with `conversations` published."""
    made = broker_table.events_engine(f"sqlite:///{folder}/rasa-events.db")
    broker_table.create_table(made)
    publish(made, conversations)
    try:
        yield made
    finally:
        made.dispose()


def facts(sender: str, started: float, ended: float, first: float, **fields: Any) -> SessionFacts:
    """A session from minute `started` to `ended`, the customer's first message at `first`."""
    empty: dict[str, Any] = dict(
        channel="rest", language=None, customer_id=None, requests=(), fallbacks=0,
        asked_for_person=False, bot_ticket=False, verified=False, unanswered=False, misses=(),
    )  # fmt: skip
    return SessionFacts(
        sender_id=sender, started=when(started), ended=when(ended), first_message=when(first),
        **{**empty, **fields},
    )  # fmt: skip


def miss(text: str, minute: float) -> Miss:
    return Miss(when(minute), text)


def test_each_session_of_the_day_and_what_it_says(engine: Engine) -> None:
    publish(engine, CONVERSATIONS)

    found = bot_sessions(engine, start=DAY, end=NEXT_DAY)

    # Unanswered: a request and the customer's last message got no answer (rest-first,
    # both of rest-twice's sessions, rest-late); every other one was answered last.
    assert found == [
        facts("rest-first", 0, 0, 0, user_messages=1, requests=("check_bill_balance",),
              unanswered=True),
        facts("rest-bill", 540, 545, 541, user_messages=5, language="en",
              customer_id="CUS-00001", requests=("check_bill_balance",), verified=True),
        facts("socket-person", 600, 630, 601, channel="socketio", language="fr",
              user_messages=3, fallbacks=2, requests=("request_human",), asked_for_person=True,
              misses=(miss("ma box fait des trucs", 601), miss("elle clignote", 602))),
        facts("rest-ticket", 660, 662, 661, language="en", user_messages=2,
              requests=("check_outage",), bot_ticket=True),
        facts("rest-ticket-failed", 665, 666, 665, user_messages=2, requests=("check_outage",)),
        facts("socket-handover-ticket", 700, 703, 701, channel="socketio", user_messages=3,
              requests=("complain", "track_order"), asked_for_person=True, bot_ticket=True),
        facts("socket-hello", 720, 722, 721, channel="socketio", user_messages=2),
        facts("rest-twice", 800, 801, 801, user_messages=1, language="fr",
              customer_id="CUS-00002", requests=("track_order",), unanswered=True),
        facts("rest-twice", 900, 902, 901, user_messages=2,
              requests=("faq/roaming", "faq/opening_hours"), unanswered=True),
        facts("rest-late", 1430, 1445, 1431, user_messages=2,
              requests=("check_bill_balance", "request_human"), asked_for_person=True,
              unanswered=True),
    ]  # fmt: skip
    assert [f.first_request for f in found if f.sender_id.startswith("socket")] == [
        "request_human", "complain", None,
    ]  # fmt: skip


def test_a_session_belongs_to_the_day_it_started(engine: Engine) -> None:
    publish(engine, CONVERSATIONS)

    yesterday = bot_sessions(engine, start=DAY - timedelta(days=1), end=DAY)
    tomorrow = bot_sessions(engine, start=NEXT_DAY, end=NEXT_DAY + timedelta(days=1))
    evening = bot_sessions(engine, start=when(1380), end=NEXT_DAY)

    assert yesterday == [
        facts("rest-night", -10, 6, -9, user_messages=3, requests=("reset_password",),
              fallbacks=1, unanswered=True, misses=(miss("???", 5),))
    ]  # fmt: skip
    assert [(f.sender_id, f.started) for f in tomorrow] == [("rest-tomorrow", NEXT_DAY)]
    assert [f.sender_id for f in evening] == ["rest-late"]


def test_without_session_events_the_first_event_starts_one(engine: Engine) -> None:
    # Events from before sessions were enabled, or from a tracker without them.
    publish(engine, {"bare": [said("my bill", "check_bill_balance", 60), said("ok", "affirm", 61)]})

    assert bot_sessions(engine, start=DAY, end=NEXT_DAY) == [
        facts("bare", 60, 61, 60, user_messages=2, requests=("check_bill_balance",),
              unanswered=True)
    ]  # fmt: skip


def test_top_requests_count_sessions_not_messages(engine: Engine) -> None:
    publish(engine, CONVERSATIONS)
    found = bot_sessions(engine, start=DAY, end=NEXT_DAY)

    assert bot_facts.top_requests(found) == [
        ("check_bill_balance", 3),
        ("check_outage", 2),
        ("request_human", 2),
        ("track_order", 2),
        ("complain", 1),
        ("faq/opening_hours", 1),
        ("faq/roaming", 1),
    ]
    assert bot_facts.top_requests(found, top=2) == [("check_bill_balance", 3), ("check_outage", 2)]


FALLBACKS: dict[str, list[Event]] = {
    "fr-1": [
        said("réseau en panne", "nlu_fallback", 60, "socketio"),
        said("Réseau  en panne", "nlu_fallback", 61, "socketio"),
        said("bonjour", "greet", 62, "socketio"),
        handed_back(63),
    ],
    "fr-2": [
        said("RESEAU EN PANNE", "nlu_fallback", 70, "socketio"),
        said("réseau en panne", "nlu_fallback", 71, "socketio"),
        said("ligne 2 coupée", "nlu_fallback", 72, "socketio"),
    ],
    "en-1": [
        said("ligne 3 coupee", "nlu_fallback", 80),
        # Stored by the tracker store as redacted; the second from before it redacted.
        said("born [date of birth]", "nlu_fallback", 81),
        said("born 14/03/1985", "nlu_fallback", 82),
        said("what is the meaning of life", "out_of_scope", 83),
        said("   ", "nlu_fallback", 84),
    ],
    "en-old": [said("réseau en panne", "nlu_fallback", -1)],
}  # fmt: skip


def test_each_session_keeps_the_texts_the_nlu_missed(engine: Engine) -> None:
    publish(engine, FALLBACKS)

    found = {f.sender_id: f.misses for f in bot_sessions(engine, start=DAY, end=NEXT_DAY)}

    # Blank texts are not kept (en-1's last); en-old is yesterday's.
    assert found == {
        "fr-1": (miss("réseau en panne", 60), miss("Réseau  en panne", 61)),
        "fr-2": (miss("RESEAU EN PANNE", 70), miss("réseau en panne", 71),
                 miss("ligne 2 coupée", 72)),
        "en-1": (miss("ligne 3 coupee", 80), miss("born [date of birth]", 81),
                 miss("born 14/03/1985", 82), miss("what is the meaning of life", 83)),
    }  # fmt: skip


def test_unanswered_means_the_customer_was_left_without_an_answer(engine: Engine) -> None:
    publish(engine, {
        # The last message missed: the bot asked to rephrase, the customer left.
        "missed-last": [*session(0), said("my bill", "check_bill_balance", 1),
                        answered("utter_balance_due", 1), said("zzz", "nlu_fallback", 2),
                        answered("utter_ask_rephrase", 2)],
        # A form still asking for details at the end.
        "form-open": [*session(10), said("my bill", "check_bill_balance", 11),
                      ActiveLoop("bill_form", timestamp=at(11)),
                      answered("utter_ask_account_number", 11)],
        # The form done and answered.
        "form-done": [*session(20), said("my bill", "check_bill_balance", 21),
                      ActiveLoop("bill_form", timestamp=at(21)), said("30000001", "inform", 22),
                      ActiveLoop(None, timestamp=at(22)), answered("utter_balance_due", 22)],
        # A miss earlier, answered at the end.
        "missed-first": [*session(30), said("zzz", "nlu_fallback", 31),
                         answered("utter_ask_rephrase", 31), said("my bill", "check_bill_balance", 32),
                         answered("utter_balance_due", 32)],
        # No answer at all to the last message.
        "silent-bot": [*session(40), said("my bill", "check_bill_balance", 41)],
        # Nothing asked: never unanswered.
        "hello": [*session(50), said("zzz", "nlu_fallback", 51)],
    })  # fmt: skip

    found = {f.sender_id: f.unanswered for f in bot_sessions(engine, start=DAY, end=NEXT_DAY)}

    assert found == {
        "missed-last": True, "form-open": True, "form-done": False, "missed-first": False,
        "silent-bot": True, "hello": False,
    }  # fmt: skip


def test_the_names_it_looks_for_are_the_bots() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    intents = set(domain["intents"]) | {"nlu_fallback"}  # Rasa's own, from the classifier
    expiry = domain["session_config"]["session_expiration_time"]

    assert timedelta(minutes=expiry) == bot_facts.SESSION_EXPIRY
    assert bot_facts.NOT_REQUESTS - intents == set()
    assert bot_facts.FALLBACK_INTENTS - intents == set()
    assert bot_facts.PERSON_INTENTS - intents == set()
    assert bot_facts.PERSON_ACTIONS - set(domain["actions"]) == set()
    assert bot_facts.TICKET_RESPONSES - set(domain["responses"]) == set()
    requests = intents - bot_facts.NOT_REQUESTS - bot_facts.FALLBACK_INTENTS
    assert requests == {
        "check_bill_balance", "reset_password", "track_order", "check_outage",
        "request_human", "complain", "faq",
    }  # fmt: skip


def test_no_table_yet_means_nothing_said(tmp_path: Path) -> None:
    engine = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")

    assert bot_sessions(engine, start=DAY, end=NEXT_DAY) == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (DAY, DAY, "must end after"),
        (NEXT_DAY, DAY, "must end after"),
        (DAY.replace(tzinfo=None), NEXT_DAY, "time zone"),
    ],
)
def test_a_period_must_make_sense(tmp_path: Path, start, end, message: str) -> None:
    engine = broker_table.events_engine(f"sqlite:///{tmp_path}/events.db")

    with pytest.raises(ValueError, match=message):
        bot_sessions(engine, start=start, end=end)
