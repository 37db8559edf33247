"""Where the trainer's inbox finds its messages, and why each one is there.

Every message is a customer's, redacted, tagged with each reason it is in the inbox:

- "fallback", "out_of_scope": the NLU could not place it (`misunderstood_texts`, folded from
  Rasa's events by `reporting.session_facts`; rows folded before migration 0011 count as
  fallbacks);
- "low_confidence": the NLU named an intent with less confidence than the threshold
  (`REPORTING_LOW_CONFIDENCE`, which the fold also keeps them under: `reporting.nlu_misses`);
- "handover_after_miss": a fallback or out-of-scope message of a contact that was then queued
  for a person (`contact_facts.queued_at`): the miss came before the hand-over;
- "low_rating": the customer's messages to the bot (Rasa's typed user events; those to an
  agent never reach Rasa) in a contact they rated 1 or 2 (`contact_facts.score`);
- "flagged": a message an agent flagged for the trainer from the console (`message_flags`).

What the NLU made of each message (intent, confidence) comes from Rasa's events, or from the
gateway's copy of a flagged message when it has them. One message found by several sources is
one message with several tags: Rasa's events are matched exactly (sender, time, folded text);
a flagged message, which the gateway stored, with the message Rasa recorded from the same
sender with the same folded text nearest in time, within `MATCH_SECONDS`.

A message belongs to the period its Rasa session started in (as the dashboard's
"misunderstood" figure); a low-rated contact's messages to the period the contact began in; a
flagged message to the period it was written in. The language and channel filters apply to
each (the gateway's messages all came through the widget).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.engine import Engine

from actions.transcript import is_typed
from handover.models import Conversation, Message
from handover.models_reporting import ContactFact
from reporting.bot_facts import intent_of, normalised, redacted
from reporting.broker_table import EVENTS
from reporting.events import WIDGET
from reporting.kpis_contacts import Db, Scope
from reporting.nlu_misses import DEFAULT_LOW_CONFIDENCE, MISS_SOURCES, MISUNDERSTOOD, confidence_of
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from trainer.states import Item, language_key, text_key
from trainer.tables import MESSAGE_FLAGS

Source = Literal[
    "fallback", "low_confidence", "out_of_scope", "handover_after_miss", "low_rating", "flagged"
]
SOURCES: tuple[Source, ...] = get_args(Source)
FOLDED: tuple[Source, ...] = MISS_SOURCES  # those `misunderstood_texts` holds
LOW_RATING = 2  # ratings of 1 to this are low
# How far apart the gateway's and Rasa's clocks may put one message (the gateway stores it,
# then Rasa parses it), and how long before a contact's first event its first message may be.
MATCH_SECONDS = 60.0
# One event's time read back through a datetime (the fold's) or not (Rasa's table): microseconds.
SAME_EVENT_SECONDS = 0.001
CHUNK = 500  # ids per IN (...): well under any database's limit on bound parameters


@dataclass(frozen=True)
class Found:
    """One customer message of the inbox: who (Rasa's sender, the gateway's conversation id),
    when (epoch seconds), its text (redacted) and folded form, what the NLU made of it (None
    where unknown), and why it is in the inbox."""

    sender_id: str
    at: float
    language: str | None
    text: str
    folded: str
    intent: str | None
    confidence: float | None
    sources: frozenset[Source]

    @property
    def item(self) -> Item:
        """The text it is, as `trainer.states` names texts: (key, language)."""
        return text_key(self.folded), language_key(self.language)


def found_messages(
    db: Db,
    scope: Scope,
    *,
    events: Engine | None = None,
    low_confidence: float = DEFAULT_LOW_CONFIDENCE,
) -> list[Found]:
    """Every source's messages of the period (`events`: Rasa's, which the low-rated contacts'
    messages are read from; None: none of those), merged, by time. A `low_confidence` above
    the fold's (the same setting) finds no more than it kept."""
    if not 0 < low_confidence <= 1:
        raise ValueError("the low-confidence threshold must be above 0, at most 1")
    rasa = _handed_over(db, _understood_badly(db, scope, low_confidence))
    merged = _merged_exactly([*rasa, *_low_rated(db, scope, events)])
    found = _with_flags(merged, _flagged(db, scope))
    return sorted(found, key=lambda m: (m.at, m.sender_id, m.folded, m.text))


def _understood_badly(db: Db, scope: Scope, low_confidence: float) -> list[Found]:
    texts = MISUNDERSTOOD_TEXTS.c
    doubtful = and_(texts.source == "low_confidence", texts.confidence < low_confidence)
    query = select(
        texts.sender_id, texts.at, texts.language, texts.text, texts.folded, texts.source,
        texts.intent, texts.confidence,
    ).where(
        texts.started >= scope.start.timestamp(), texts.started < scope.end.timestamp(),
        or_(texts.source.is_(None), texts.source != "low_confidence", doubtful),
    )  # fmt: skip
    if scope.language is not None:
        query = query.where(texts.language == scope.language)
    if scope.channel is not None:
        query = query.where(texts.channel == scope.channel)
    return [
        Found(row.sender_id, row.at, row.language, row.text, row.folded, row.intent,
              row.confidence, frozenset({row.source or "fallback"}))
        for row in db.execute(query)
    ]  # fmt: skip


def _handed_over(db: Db, found: list[Found]) -> list[Found]:
    """`found` with the misses of contacts later queued for a person tagged so."""
    missed = sorted({m.sender_id for m in found if m.sources & set(MISUNDERSTOOD)})
    queued: dict[str, list[tuple[float, float]]] = defaultdict(list)
    facts = ContactFact.__table__.c
    for chunk in _chunks(missed):
        query = select(facts.conversation_id, facts.first_at, facts.queued_at).where(
            facts.conversation_id.in_(chunk), facts.queued_at.is_not(None)
        )
        for row in db.execute(query):
            queued[row.conversation_id].append((row.first_at - MATCH_SECONDS, row.queued_at))

    def before_a_handover(m: Found) -> bool:
        return bool(m.sources & set(MISUNDERSTOOD)) and any(
            low <= m.at <= high for low, high in queued.get(m.sender_id, ())
        )

    return [
        replace(m, sources=m.sources | {"handover_after_miss"}) if before_a_handover(m) else m
        for m in found
    ]


def _low_rated(db: Db, scope: Scope, events: Engine | None) -> list[Found]:
    """The customer's messages to the bot in the contacts of the period rated 1 to LOW_RATING."""
    facts = ContactFact.__table__.c
    query = select(
        facts.conversation_id, facts.first_at, facts.ended_at, facts.last_at, facts.language
    ).where(
        facts.score.between(1, LOW_RATING),
        facts.first_at >= scope.start.timestamp(), facts.first_at < scope.end.timestamp(),
    )  # fmt: skip
    if scope.language is not None:
        query = query.where(facts.language == scope.language)
    if scope.channel is not None:
        query = query.where(facts.channel == scope.channel)
    contacts: dict[str, list[tuple[float, float, str | None]]] = defaultdict(list)
    for row in db.execute(query):
        end = (row.ended_at if row.ended_at is not None else row.last_at) + MATCH_SECONDS
        contacts[row.conversation_id].append((row.first_at - MATCH_SECONDS, end, row.language))
    if not contacts or events is None or not inspect(events).has_table(EVENTS.name):
        return []  # no Rasa events (yet): nothing the customer said to the bot is known
    found = []
    for sender_id, at, event in _user_events(events, sorted(contacts)):
        contact = next((c for c in contacts[sender_id] if c[0] <= at <= c[1]), None)
        if contact is not None:
            found.append(_said(sender_id, at, event, contact[2]))
    return found


def _user_events(events: Engine, senders: Sequence[str]) -> Iterator[tuple[str, float, Any]]:
    """The customer's typed messages to the bot of these senders (Rasa's user events)."""
    with events.connect() as connection:
        for chunk in _chunks(senders):
            query = select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data).where(
                EVENTS.c.sender_id.in_(chunk)
            )
            for sender_id, at, data in connection.execute(query):
                if '"user"' not in data:  # most events are not: skip decoding them
                    continue
                event = json.loads(data)
                if isinstance(event, dict) and event.get("event") == "user" and is_typed(event):
                    text = event.get("text")
                    if isinstance(text, str) and text.strip():
                        yield sender_id, at, event


def _said(sender_id: str, at: float, event: dict[str, Any], language: str | None) -> Found:
    # The tracker store redacted it; again, with today's rules, as the fold does.
    text = redacted(event["text"])
    parse_data = event.get("parse_data")
    top = parse_data.get("intent") if isinstance(parse_data, dict) else None
    return Found(sender_id, at, language, text, normalised(text), intent_of(event),
                 confidence_of(top), frozenset({"low_rating"}))  # fmt: skip


def _flagged(db: Db, scope: Scope) -> list[Found]:
    """The customer messages agents flagged, written in the period."""
    if scope.channel not in (None, WIDGET):
        return []  # the gateway's conversations all came through the widget
    flags = MESSAGE_FLAGS.c
    query = (
        select(
            Message.conversation_id,
            Message.created_at,
            Message.text,
            Message.intent,
            Message.confidence,
            Conversation.language,
        )
        .select_from(MESSAGE_FLAGS)
        .join(Message, Message.id == flags.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.sender == "user")
        .where(Message.created_at >= scope.start, Message.created_at < scope.end)
    )
    if scope.language is not None:
        query = query.where(Conversation.language == scope.language)
    found = []
    for row in db.execute(query):
        text = redacted(row.text)  # stored redacted; again, with today's rules
        at = row.created_at.timestamp()
        found.append(Found(row.conversation_id, at, row.language, text, normalised(text),
                           row.intent, row.confidence, frozenset({"flagged"})))  # fmt: skip
    return found


def _merged_exactly(found: Iterable[Found]) -> list[Found]:
    """Rasa's records of one message (the same event: its time, to the clock's precision) as
    one, with every tag; the fold's intent, confidence and language (a fallback's guess, the
    session's language) rather than those read from the event again."""
    merged: list[Found] = []
    last: dict[tuple[str, str], int] = {}  # (sender, folded) -> its latest record in `merged`
    for message in sorted(found, key=lambda m: m.at):
        index = last.get((message.sender_id, message.folded))
        if index is not None and message.at - merged[index].at <= SAME_EVENT_SECONDS:
            known = merged[index]
            first = message if _folded(message) and not _folded(known) else known
            merged[index] = replace(first, sources=known.sources | message.sources)
            continue
        last[(message.sender_id, message.folded)] = len(merged)
        merged.append(message)
    return merged


def _folded(message: Found) -> bool:
    return bool(message.sources & set(FOLDED))


def _with_flags(found: list[Found], flagged: list[Found]) -> list[Found]:
    """Each flagged message joined to Rasa's record of it, if found (see above)."""
    by_text: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, message in enumerate(found):
        by_text[(message.sender_id, message.folded)].append(index)
    merged, taken = list(found), set()
    for flag in flagged:
        near = [
            i for i in by_text.get((flag.sender_id, flag.folded), ())
            if i not in taken and abs(found[i].at - flag.at) <= MATCH_SECONDS
        ]  # fmt: skip
        if not near:
            merged.append(flag)
            continue
        index = min(near, key=lambda i: abs(found[i].at - flag.at))
        taken.add(index)
        known = merged[index]
        merged[index] = replace(
            known, sources=known.sources | flag.sources,
            intent=known.intent or flag.intent,
            confidence=known.confidence if known.intent else flag.confidence,
        )  # fmt: skip
    return merged


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for index in range(0, len(values), CHUNK):
        yield values[index : index + CHUNK]
