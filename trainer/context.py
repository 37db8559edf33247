"""The conversations around a text of the trainer's inbox: what came before and after it.

A message is labelled right only in its conversation ("yes", "the second one", "still not
working" mean nothing alone), and what an agent then did for the customer often says what the
bot should have understood. For one text of the inbox (its key and language, as
`trainer.states` names it) this finds its messages of the period, with the inbox's filters, and
for the conversations they were said in, newest first, the lines around each.

The lines come from the gateway's copy of the conversation when it has one (the customer, the
bot, the agents and the gateway's own notices, as the console shows them), else from Rasa's
events (a conversation through Rasa's REST channel: the customer and the bot only). Every line
is redacted again with today's rules, as the inbox's texts are; no line names a conversation,
a customer or an agent, so that this reads only what the inbox already shows a trainer: the
conversations of the texts it lists, in the period asked, no other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from actions.transcript import readable
from handover.models import Message
from reporting.bot_facts import intent_of, normalised, redacted
from reporting.broker_table import EVENTS
from reporting.kpis_contacts import Db, Scope
from reporting.nlu_misses import DEFAULT_LOW_CONFIDENCE, confidence_of
from trainer.inbox_sources import MATCH_SECONDS, SAME_EVENT_SECONDS, Found, Source, found_messages
from trainer.states import Item, language_key

Speaker = Literal["customer", "bot", "agent", "system"]
SPEAKERS: dict[str, Speaker] = {"user": "customer", "bot": "bot", "agent": "agent",
                                "system": "system"}  # fmt: skip
DEFAULT_CONVERSATIONS = 3
MAX_CONVERSATIONS = 10
BEFORE = 6  # lines shown before the text
AFTER = 6  # and after it: a hand-over and the agent's first answers
# Rasa's events read on each side of the text: enough for BEFORE/AFTER lines among the actions
# and slots a turn also records (about 5 to 8 a turn), few enough for a sender with thousands.
EVENTS_EACH_SIDE = 400


@dataclass(frozen=True)
class Line:
    """One line of a conversation: who said it, what (redacted), when; for the customer's,
    what the NLU made of it (None where unknown); `inbox`: the text the trainer asked about."""

    speaker: Speaker
    text: str
    at: datetime
    intent: str | None = None
    confidence: float | None = None
    inbox: bool = False


@dataclass(frozen=True)
class Excerpt:
    """One conversation around the text: the message's time, language and reasons, its lines,
    and whether the conversation has lines before or after those shown. `origin` says where
    the lines come from ("gateway" or "rasa"); no lines when neither still has them (deleted
    by retention or erasure since the reports folded them)."""

    at: datetime
    language: str
    sources: tuple[Source, ...]
    origin: Literal["gateway", "rasa", "none"]
    lines: tuple[Line, ...]
    earlier: bool
    later: bool


@dataclass(frozen=True)
class Around:
    """The text's messages in the period (`messages`, in `conversations`) and the newest
    conversations' excerpts, one a conversation, newest first."""

    messages: int
    conversations: int
    excerpts: tuple[Excerpt, ...]


def conversations_around(
    db: Db,
    scope: Scope,
    item: Item,
    *,
    events: Engine | None = None,
    sources: set[Source] | None = None,
    low_confidence: float = DEFAULT_LOW_CONFIDENCE,
    limit: int = DEFAULT_CONVERSATIONS,
    before: int = BEFORE,
    after: int = AFTER,
) -> Around:
    """The conversations of the period in which the inbox's text `item` (key, language) was
    said, with one of `sources` (None: any), at most `limit`, the newest first, each with up to
    `before` and `after` lines around its latest such message (`events`: Rasa's)."""
    if not 1 <= limit <= MAX_CONVERSATIONS:
        raise ValueError(f"limit must be 1 to {MAX_CONVERSATIONS}")
    if before < 0 or after < 0:
        raise ValueError("before and after must not be negative")
    found = [
        m for m in found_messages(db, scope, events=events, low_confidence=low_confidence)
        if m.item == item and (sources is None or m.sources & sources)
    ]  # fmt: skip
    latest: dict[str, Found] = {}
    for message in found:  # in time order: the last one kept is the latest
        latest[message.sender_id] = message
    newest = sorted(latest.values(), key=lambda m: (-m.at, m.sender_id))[:limit]
    return Around(
        messages=len(found),
        conversations=len(latest),
        excerpts=tuple(_excerpt(db, events, m, before, after) for m in newest),
    )


def _excerpt(db: Db, events: Engine | None, message: Found, before: int, after: int) -> Excerpt:
    window = _from_gateway(db, message, before, after)
    origin: Literal["gateway", "rasa", "none"] = "gateway"
    if window is None and events is not None:
        window, origin = _from_rasa(events, message, before, after), "rasa"
    if window is None:
        window, origin = ((), False, False), "none"
    lines, earlier, later = window
    return Excerpt(
        at=_moment(message.at),
        language=language_key(message.language),
        sources=tuple(sorted(message.sources)),
        origin=origin,
        lines=lines,
        earlier=earlier,
        later=later,
    )


Window = tuple[tuple[Line, ...], bool, bool]  # lines, more before, more after


def _from_gateway(db: Db, message: Found, before: int, after: int) -> Window | None:
    """The gateway's lines around its copy of `message`: the customer's message of that
    conversation with the same folded text nearest in time (within MATCH_SECONDS), else the
    nearest; None when the gateway has no such conversation or message."""
    near = db.execute(
        select(Message.id, Message.text, Message.created_at).where(
            Message.conversation_id == message.sender_id,
            Message.sender == "user",
            Message.created_at >= _moment(message.at - MATCH_SECONDS),
            Message.created_at <= _moment(message.at + MATCH_SECONDS),
        )
    ).all()
    if not near:
        return None
    anchor = min(near, key=lambda row: (
        normalised(redacted(row.text)) != message.folded,
        abs(row.created_at.timestamp() - message.at),
    )).id  # fmt: skip
    columns = (Message.id, Message.sender, Message.text, Message.intent, Message.confidence,
               Message.created_at)  # fmt: skip
    mine = Message.conversation_id == message.sender_id
    earlier = db.execute(
        select(*columns).where(mine, Message.id < anchor).order_by(Message.id.desc())
        .limit(before + 1)
    ).all()  # fmt: skip
    rest = db.execute(
        select(*columns).where(mine, Message.id >= anchor).order_by(Message.id).limit(after + 2)
    ).all()
    rows = [*reversed(earlier[:before]), *rest[: after + 1]]
    lines = tuple(
        Line(
            speaker=SPEAKERS.get(row.sender, "system"),
            text=redacted(row.text),  # stored redacted; again, with today's rules
            at=row.created_at,
            intent=row.intent if row.sender == "user" else None,
            confidence=row.confidence if row.sender == "user" else None,
            inbox=row.id == anchor,
        )
        for row in rows
    )
    return lines, len(earlier) > before, len(rest) > after + 1


def _from_rasa(events: Engine, message: Found, before: int, after: int) -> Window | None:
    """Rasa's user and bot events around its record of `message` (the same event, else the
    customer's same folded text nearest in time, within MATCH_SECONDS); None without one."""
    if not inspect(events).has_table(EVENTS.name):
        return None
    table = EVENTS.c
    mine = table.sender_id == message.sender_id
    with events.connect() as connection:
        earlier = connection.execute(
            select(table.timestamp, table.data).where(mine, table.timestamp < message.at)
            .order_by(table.timestamp.desc(), table.id.desc()).limit(EVENTS_EACH_SIDE)
        ).all()  # fmt: skip
        rest = connection.execute(
            select(table.timestamp, table.data).where(mine, table.timestamp >= message.at)
            .order_by(table.timestamp, table.id).limit(EVENTS_EACH_SIDE)
        ).all()  # fmt: skip
    said = _said([*reversed(earlier), *rest])
    candidates = [
        i for i, (at, event) in enumerate(said)
        if event["event"] == "user" and abs(at - message.at) <= MATCH_SECONDS
    ]  # fmt: skip
    if not candidates:
        return None

    def distance(index: int) -> tuple[bool, bool, float]:
        at, event = said[index]
        gap = abs(at - message.at)
        same_text = normalised(redacted(str(event["text"]))) == message.folded
        return gap > SAME_EVENT_SECONDS, not same_text, gap

    anchor = min(candidates, key=distance)
    first, last = max(0, anchor - before), min(len(said), anchor + after + 1)
    lines = tuple(_line(at, event, i == anchor) for i, (at, event) in enumerate(said)
                  if first <= i < last)  # fmt: skip
    return lines, first > 0, last < len(said)


def _said(rows: list[Any]) -> list[tuple[float, dict[str, Any]]]:
    """The rows' user and bot messages people read (`actions.transcript.readable`), timed."""
    timed = []
    for at, data in rows:
        if '"user"' not in data and '"bot"' not in data:  # most events are neither: not decoded
            continue
        event = json.loads(data)
        if isinstance(event, dict) and readable([event]):
            timed.append((at, event))
    return timed


def _line(at: float, event: dict[str, Any], inbox: bool) -> Line:
    if event["event"] == "bot":
        return Line("bot", redacted(str(event["text"])), _moment(at), inbox=inbox)
    parse_data = event.get("parse_data")
    top = parse_data.get("intent") if isinstance(parse_data, dict) else None
    return Line("customer", redacted(str(event["text"])), _moment(at), intent_of(event),
                confidence_of(top), inbox)  # fmt: skip


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)
