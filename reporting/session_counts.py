"""A period's Rasa sessions as the bot's KPIs count them: one aggregate query on `session_facts`.

`load_bot_counts` sums, per channel and language (and per UTC quarter hour when asked, for
series), every count the bot's KPIs divide: sessions, customer messages and misses, sessions
with a request, contained, ticketed, and those whose repeat, abandonment and first-contact
windows are over at `now`, with their outcomes. The KPIs are then pure functions of these rows
(`reporting.containment`, `reporting.bot_kpis`), and groupings by time or value only add rows
up, so that one report request runs one query and computes every figure. A month of a hundred
thousand sessions is a few dozen rows: no session crosses into Python.

A session belongs to the period it started in (docs/kpis.md, "Bot KPIs"); the scope's skill
and agent are not applied: a Rasa session has neither. What each session takes from beyond
itself (the gateway's queueing, the customer's next session) was stored with it by the refresh
(`reporting.session_links`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, literal, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from reporting.bot_facts import SESSION_EXPIRY
from reporting.kpis_agents import DEFAULT_DAYS
from reporting.kpis_contacts import Db, Scope
from reporting.session_tables import SESSION_FACTS

REPEAT_WINDOW = timedelta(hours=24)  # Dialogflow CX's "without calling back"
UNKNOWN = "unknown"  # the group of sessions without a channel or language
COUNTS = (
    "sessions", "user_messages", "fallbacks", "with_request", "contained", "ticketed",
    "settled_24h", "kept_24h", "over", "abandoned", "contained_known", "fcr_settled",
    "fcr_repeated",
)  # fmt: skip


class BotCounts(NamedTuple):
    """The sessions of one channel and language (and UTC quarter hour, `quarter`, the start's
    epoch seconds // `QUARTER`; None when not split by time), counted for the KPIs."""

    quarter: int | None
    channel: str | None
    language: str | None
    days: int  # the first-contact window the row was counted with
    sessions: int
    user_messages: int
    fallbacks: int
    with_request: int  # asked the bot something (a greeting alone did not)
    contained: int  # with a request, neither a person nor a ticket took over
    ticketed: int  # with a request, a ticket (which wins over a person)
    settled_24h: int  # with a request, 24 h past their end at `now`
    kept_24h: int  # of those, contained and neither conversation nor customer came back
    over: int  # with a request, `SESSION_EXPIRY` past their last event at `now`
    abandoned: int  # of those, contained and the customer left unanswered
    contained_known: int  # contained with a known customer
    fcr_settled: int  # of those, `days` past their end at `now`
    fcr_repeated: int  # of those, the customer back on the same first request within `days`


def load_bot_counts(
    db: Db,
    scope: Scope,
    *,
    now: datetime | None = None,
    days: int = DEFAULT_DAYS,
    by_time: bool = False,
    quarters: int = 1,
) -> list[BotCounts]:
    """The sessions begun in the scope's period, of its language and channel, counted per
    channel and language, and per UTC quarter hour if `by_time` (for `by_bucket`): per run
    of `quarters` of them, keyed by the first (`bot_kpis.quarters_per_group`). `now`
    (default: the clock) decides which windows are over; `days` is first-contact
    resolution's window."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if quarters < 1:
        raise ValueError("quarters must be at least 1")
    at = (now or datetime.now(timezone.utc)).timestamp()
    s = SESSION_FACTS.c
    asked = s.requests != ""
    contained = and_(
        asked, not_(or_(s.asked_for_person, s.gateway_queued, s.bot_ticket, s.gateway_expired))
    )
    day, window = REPEAT_WINDOW.total_seconds(), timedelta(days=days).total_seconds()
    settled_24h = and_(asked, s.ended + day <= at)
    back_24h = or_(_within(s.next_by_sender, day), _within(s.next_by_customer, day))
    over = and_(asked, s.ended + SESSION_EXPIRY.total_seconds() <= at)
    known = and_(contained, s.customer_id.is_not(None))
    fcr_settled = and_(known, s.ended + window <= at)
    quarter = s.quarter if quarters == 1 else s.quarter - s.quarter % quarters
    keys: list[Any] = [quarter if by_time else literal(None), s.channel, s.language]
    query = (
        select(
            *keys,
            func.count(),
            func.sum(s.user_messages),
            func.sum(s.fallbacks),
            _count(asked),
            _count(contained),
            _count(and_(asked, or_(s.bot_ticket, s.gateway_expired))),
            _count(settled_24h),
            _count(and_(settled_24h, contained, not_(back_24h))),
            _count(over),
            _count(and_(over, contained, s.unanswered)),
            _count(known),
            _count(fcr_settled),
            _count(and_(fcr_settled, _within(s.next_same_request, window))),
        )
        .where(s.started >= scope.start.timestamp(), s.started < scope.end.timestamp())
        .group_by(*keys[0 if by_time else 1 :])
    )
    if scope.language is not None:
        query = query.where(s.language == scope.language)
    if scope.channel is not None:
        query = query.where(s.channel == scope.channel)
    found = [
        BotCounts(row[0], row[1], row[2], days, *(int(n or 0) for n in row[3:]))
        for row in db.execute(query)
    ]
    return sorted(found, key=lambda r: (r.quarter or 0, r.channel or "", r.language or ""))


def total(rows: Iterable[BotCounts], name: str) -> int:
    """The sum of one count (a name of `COUNTS`) over the rows."""
    return sum(getattr(row, name) for row in rows)


def session_count(rows: Iterable[BotCounts]) -> int:
    """How many sessions the rows count."""
    return total(rows, "sessions")


def _within(column: ColumnElement[Any], seconds: float) -> ColumnElement[Any]:
    """`column` (a next session's start) came at most `seconds` after the session ended."""
    return and_(column.is_not(None), column <= SESSION_FACTS.c.ended + seconds)


def _count(condition: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))
