"""What Rasa's events (`rasa_events`) say about each Rasa session, for the bot's KPIs.

`split_sessions` turns a sender's events, in the order recorded, into one `SessionFacts` per
Rasa session that the customer wrote in: where it came from, what was asked, what the NLU
missed, whether a person or a ticket took over, whether the customer was left unanswered.
`reporting.session_facts` keeps these in the gateway's database for the reports;
`bot_sessions` reads them straight from the events (tests, checks). `grouped_misses` groups
the texts of the messages the NLU could not place.

A session belongs to the period in which it started. Rasa starts a new session when the
customer writes after `SESSION_EXPIRY` without a message (domain.yml's `session_config`), so
a session still going at the period's start has an event in the `SESSION_EXPIRY` before it:
reading that much before and after the period sees every session that started in it whole,
unless it lasts more than `SESSION_EXPIRY` past the end.

SQLAlchemy Core, without importing Rasa, so that the gateway can serve these reports.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from actions.transcript import is_typed
from privacy.redaction import redact
from reporting.broker_table import EVENTS
from reporting.nlu_misses import DEFAULT_LOW_CONFIDENCE, Miss, miss_of

SESSION_EXPIRY = timedelta(minutes=60)  # domain.yml's session_expiration_time
# Rows fetched from the database at a time: 100,000 conversations' 1.5 M events never sit in
# memory at once.
BATCH = 2000

# What the customer says that is not something to get done: social turns, answers to the
# bot's own questions (inform, affirm, deny), stopping a task, asking whether this is a bot,
# and the gateway's hand-back (sent through Rasa's API, never typed). Every other intent the
# NLU names, fallbacks apart, is a request: a new domain intent counts until listed here.
NOT_REQUESTS = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "inform", "stop", "bot_challenge", "handback"}
)
# Messages the bot did not understand: below the FallbackClassifier's threshold (Rasa's
# built-in intent, also set by nlu.guard), or understood as outside what the bot does.
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# The customer asking for a person (domain.yml); the bot passing them on (actions/handover.py).
PERSON_INTENTS = frozenset({"request_human"})
PERSON_ACTIONS = frozenset({"action_handover"})
# Responses sent once the CRM has a ticket: the hand-over's when nobody can take the chat
# (actions/handover.py) and the fault ticket (actions/outage.py). The actions alone are not
# enough: they also run when the CRM fails, and then say so instead.
TICKET_RESPONSES = frozenset({"utter_handover_ticket", "utter_fault_ticket_opened"})
# Rasa's events around a new session: `session_started` splits, the action before it is not
# the previous session's last event.
SESSION_STARTED, SESSION_START_ACTION = "session_started", "action_session_start"

# As nlu.tokenizer.fold, which is not imported: it would load Rasa's NLU into the gateway.
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
# Every rule of `privacy.redaction` looks for digits or an "@" (dates, codes, cards, phones,
# postcodes, emails): a text with neither comes out as it went in.
_MAY_HOLD_DATA = re.compile(r"[\d@]")
_DIGITS = re.compile(r"\d")
MAX_SPELLINGS = 5


@dataclass(frozen=True)
class SessionFacts:
    """One Rasa session (a conversation, or part of one) in which the customer wrote.

    `requests` are the request intents in the order first asked (a FAQ as its full name,
    e.g. "faq/roaming"); `fallbacks` counts the messages with a `FALLBACK_INTENTS` intent.
    """

    sender_id: str
    started: datetime
    ended: datetime
    channel: str | None
    language: str | None
    customer_id: str | None
    user_messages: int
    requests: tuple[str, ...]
    fallbacks: int
    asked_for_person: bool
    bot_ticket: bool
    verified: bool
    first_message: datetime | None = None  # the customer's first typed message
    # The customer left the bot with their last message not understood, a form still asking
    # for details, or no answer at all (docs/kpis.md, "Abandonment in the bot").
    unanswered: bool = False
    # The messages the NLU could not place or placed with low confidence, as stored, each
    # with why and what the NLU made of it (`reporting.nlu_misses`).
    misses: tuple[Miss, ...] = ()

    @property
    def first_request(self) -> str | None:
        """The first thing the customer asked for, if anything."""
        return self.requests[0] if self.requests else None


@dataclass(frozen=True)
class Misunderstood:
    """Messages the NLU could not place that read the same once `normalised`, redacted.

    `text` is the most frequent spelling; `spellings` the distinct ones, most frequent first
    (at most `MAX_SPELLINGS`).
    """

    key: str
    text: str
    count: int
    spellings: tuple[str, ...]


@dataclass
class _Session:
    """A session's facts while its events are read (`facts()` freezes them)."""

    sender_id: str
    started: float
    ended: float
    channel: str | None = None
    language: str | None = None
    customer_id: str | None = None
    user_messages: int = 0
    requests: dict[str, None] = field(default_factory=dict)  # ordered, without repeats
    fallbacks: int = 0
    asked_for_person: bool = False
    bot_ticket: bool = False
    verified: bool = False
    first_message: float | None = None
    misses: list[Miss] = field(default_factory=list)
    # What the customer's last message left: not understood, a form asking, no answer yet.
    last_missed: bool = False
    form_active: bool = False
    answered: bool = True
    low_confidence: float = DEFAULT_LOW_CONFIDENCE  # kept as misses under this (nlu_misses)

    def add(self, event: dict[str, Any], timestamp: float) -> None:
        self.ended = timestamp
        kind = event.get("event")
        if kind == "user" and is_typed(event):
            self._user(event, timestamp)
        elif kind == "bot":
            self.answered = True
            metadata = event.get("metadata")
            if isinstance(metadata, dict) and metadata.get("utter_action") in TICKET_RESPONSES:
                self.bot_ticket = True
        elif kind == "action" and event.get("name") in PERSON_ACTIONS:
            self.asked_for_person = True
        elif kind == "active_loop":
            self.form_active = isinstance(event.get("name"), str)
        elif kind == "slot":
            self._slot(event.get("name"), event.get("value"))

    def _user(self, event: dict[str, Any], timestamp: float) -> None:
        self.user_messages += 1
        self.answered, self.last_missed = False, False
        if self.first_message is None:
            self.first_message = timestamp
        if self.channel is None and isinstance(event.get("input_channel"), str):
            self.channel = event["input_channel"]
        intent = intent_of(event)
        miss = miss_of(event, _datetime(timestamp), intent, low_confidence=self.low_confidence)
        if miss is not None:
            self.misses.append(miss)
        if intent is None or intent in NOT_REQUESTS:
            return
        if intent in FALLBACK_INTENTS:
            self.fallbacks += 1
            self.last_missed = True
            return
        if intent in PERSON_INTENTS:
            self.asked_for_person = True
        self.requests[intent] = None

    def _slot(self, name: Any, value: Any) -> None:
        if name == "language" and (value is None or isinstance(value, str)):
            self.language = value
        elif name == "customer_id" and isinstance(value, str):
            self.customer_id = value
        elif name == "verified" and value is True:
            self.verified = True

    def facts(self) -> SessionFacts:
        return SessionFacts(
            sender_id=self.sender_id,
            started=_datetime(self.started),
            ended=_datetime(self.ended),
            channel=self.channel,
            language=self.language,
            customer_id=self.customer_id,
            user_messages=self.user_messages,
            requests=tuple(self.requests),
            fallbacks=self.fallbacks,
            asked_for_person=self.asked_for_person,
            bot_ticket=self.bot_ticket,
            verified=self.verified,
            first_message=None if self.first_message is None else _datetime(self.first_message),
            unanswered=bool(self.requests)
            and (self.last_missed or self.form_active or not self.answered),
            misses=tuple(self.misses),
        )


def intent_of(event: dict[str, Any]) -> str | None:
    """A user event's intent: a retrieval intent's full name ("faq/roaming") when Rasa gave it."""
    parse_data = event.get("parse_data")
    intent = parse_data.get("intent") if isinstance(parse_data, dict) else None
    if not isinstance(intent, dict):
        return None
    for key in ("full_retrieval_intent_name", "name"):
        if isinstance(intent.get(key), str) and intent[key]:
            return intent[key]
    return None


def normalised(text: str) -> str:
    """`text` lower case, without accents, letters repeated 3+ times kept twice (as the NLU's
    tokenizer folds words), each digit 0, whitespace collapsed: spellings of one message."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = _REPEATS.sub(r"\1\1", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return " ".join(_DIGITS.sub("0", bare).split())


def bot_sessions(
    engine: Engine, *, start: datetime, end: datetime, margin: timedelta = SESSION_EXPIRY
) -> list[SessionFacts]:
    """The sessions that started in [start, end) and in which the customer wrote, by start,
    read from the raw events (the reports read `reporting.session_facts` instead).

    `margin` is how far before and after the period events are read (see above).
    """
    low, high = _period(start, end)
    reach = margin.total_seconds()
    found = split_sessions(_events(engine, low - reach, high + reach))
    return [s for s in found if low <= s.started.timestamp() < high]


def split_sessions(
    events: Iterable[tuple[str, float, dict[str, Any]]],
    *,
    low_confidence: float = DEFAULT_LOW_CONFIDENCE,
) -> list[SessionFacts]:
    """The sessions of `events` ((sender_id, timestamp, event), each sender's in the order
    recorded) in which the customer wrote, by start; their misses include the messages placed
    with less confidence than `low_confidence`.

    A session the customer never wrote in is left out: Rasa opens one each time the widget
    connects. A sender's first event starts a session even without `session_started`.
    """
    open_sessions: dict[str, _Session] = {}
    done: list[_Session] = []
    for sender_id, timestamp, event in events:
        kind = event.get("event")
        if kind == "action" and event.get("name") == SESSION_START_ACTION:
            continue
        session = open_sessions.get(sender_id)
        if session is None or kind == SESSION_STARTED:
            if session is not None:
                done.append(session)
            session = open_sessions[sender_id] = _Session(
                sender_id, timestamp, timestamp, low_confidence=low_confidence
            )
        session.add(event, timestamp)
    done.extend(open_sessions.values())
    kept = [s for s in done if s.user_messages]
    return [s.facts() for s in sorted(kept, key=lambda s: (s.started, s.sender_id))]


def top_requests(sessions: Iterable[SessionFacts], top: int | None = None) -> list[tuple[str, int]]:
    """Each request with the number of sessions that asked for it, most asked first."""
    counts = Counter(request for session in sessions for request in session.requests)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def redacted(text: str) -> str:
    """`privacy.redaction.redact(text)`, without building the redactor (seconds, once per
    process) for the many texts that cannot hold what it replaces."""
    return redact(text) if _MAY_HOLD_DATA.search(text) else text


def grouped_misses(counts: Iterable[tuple[str, str, int]], top: int = 20) -> list[Misunderstood]:
    """The `top` groups of (key, text, count) rows, a key being a text's `normalised` form,
    most frequent first, each shown by its most frequent spellings, redacted once more."""
    if top < 1:
        raise ValueError("top must be at least 1")
    groups: dict[str, Counter[str]] = {}
    # Sorted, so that spellings as frequent as each other come in one order on any database.
    for key, text, count in sorted(counts, key=lambda row: (row[0], -row[2], row[1])):
        groups.setdefault(key, Counter())[text] += count
    ranked = sorted(groups.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return _redacted([texts for _, texts in ranked], top)


def _redacted(ranked: list[Counter[str]], top: int) -> list[Misunderstood]:
    # The tracker store redacted these texts already; they go through `redact` again because
    # they leave the bot for managers' screens and CSV files, and the table may hold events
    # from before a detection rule was added (or from another publisher on RabbitMQ). Only
    # the spellings shown are redacted: a few dozen calls, and redacting twice changes nothing.
    # Spellings that read the same once redacted are one group. Groups ranked after the
    # first `top` are not redacted, so not added to a shown group they would read as: only a
    # text stored unredacted could be, and that group's count then misses it.
    totals: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    for texts in ranked:
        if len(totals) >= top:
            break
        spellings = texts.most_common(MAX_SPELLINGS)
        unshown = sum(texts.values()) - sum(count for _, count in spellings)
        for text, count in spellings:
            clean = redacted(text)
            key = normalised(clean)
            totals[key] += count + unshown
            shown.setdefault(key, Counter())[clean] += count
            unshown = 0  # the group's other spellings count with its most frequent one
    found = [
        Misunderstood(
            key=key,
            text=shown[key].most_common(1)[0][0],
            count=count,
            spellings=tuple(text for text, _ in shown[key].most_common(MAX_SPELLINGS)),
        )
        for key, count in totals.items()
    ]
    return sorted(found, key=lambda group: (-group.count, group.key))[:top]


def _events(engine: Engine, low: float, high: float) -> Iterator[tuple[str, float, dict[str, Any]]]:
    """(sender_id, timestamp, event) for the events of [low, high), in the order recorded."""
    if not inspect(engine).has_table(EVENTS.name):
        return  # Rasa has not started with a broker yet: nothing was said
    query = (
        select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.timestamp >= low, EVENTS.c.timestamp < high)
        .order_by(EVENTS.c.id)
    )
    with engine.connect() as connection:
        # A server-side cursor on PostgreSQL; rows come BATCH at a time on both databases.
        result = connection.execution_options(yield_per=BATCH).execute(query)
        for sender_id, timestamp, data in result:
            event = json.loads(data)
            if isinstance(event, dict):
                yield sender_id, timestamp, event


def _period(start: datetime, end: datetime) -> tuple[float, float]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the period's start and end need a time zone")
    if start >= end:
        raise ValueError("the period must end after it starts")
    return start.timestamp(), end.timestamp()


def _datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
