"""The bot's containment (and without repeat contact within 24 h) and NLU fallback rate
(docs/kpis.md, "Bot KPIs"), from the counts `reporting.session_counts` loads.

Each KPI is a pure function of the loaded rows (`containment_of`, `fallback_rate_of`), so a
report loads a period once and computes several figures, per bucket or per value too
(`reporting.bot_kpis.by_bucket`, `by_value`); `containment` and `nlu_fallback_rate` load and
compute in one call. The filters apply to the session's own facts (the channel of its first
message, its last `language` slot), as Rasa saw them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from reporting.kpis import Ratio, ratio
from reporting.kpis_contacts import Db, Scope
from reporting.session_counts import REPEAT_WINDOW, UNKNOWN, BotCounts, load_bot_counts, total

__all__ = ["REPEAT_WINDOW", "Containment", "containment", "containment_of", "nlu_fallback_rate"]


@dataclass(frozen=True)
class Containment:
    """Sessions begun in the period with at least one request, and how each ended.

    Every such session is exactly one of `contained`, `escalated_to_person` or `ticketed` (a
    ticket wins over a person: nobody took the chat). `rate` is contained / sessions with a
    request, None when there were none; `by_channel` and `by_language` give the same ratio
    per value (`UNKNOWN` when Rasa had none). `without_repeat_24h`: contained sessions after
    which the customer (or the conversation) opened no session within `REPEAT_WINDOW` /
    sessions with a request, over those whose window is over; `repeat_pending` counts the
    others, left out of it.
    """

    sessions_with_request: int
    contained: int
    rate: float | None
    escalated_to_person: int
    ticketed: int
    by_channel: dict[str, Ratio]
    by_language: dict[str, Ratio]
    without_repeat_24h: Ratio
    repeat_pending: int


def containment(db: Db, scope: Scope, *, now: datetime | None = None) -> Containment:
    """Sessions with a request that ended without a person or a ticket / those sessions."""
    return containment_of(load_bot_counts(db, scope, now=now))


def nlu_fallback_rate(db: Db, scope: Scope) -> Ratio:
    """Customer messages the NLU could not place / customer messages (`fallback_rate_of`)."""
    return fallback_rate_of(load_bot_counts(db, scope))


def containment_of(rows: Sequence[BotCounts]) -> Containment:
    """`Containment` of the counted sessions (their 24 h windows as of the load's `now`)."""
    asked, contained, ticketed = (total(rows, n) for n in ("with_request", "contained", "ticketed"))
    settled = total(rows, "settled_24h")
    return Containment(
        sessions_with_request=asked,
        contained=contained,
        rate=ratio(contained, asked).rate,
        escalated_to_person=asked - contained - ticketed,
        ticketed=ticketed,
        by_channel=_grouped(rows, lambda r: r.channel),
        by_language=_grouped(rows, lambda r: r.language),
        without_repeat_24h=ratio(total(rows, "kept_24h"), settled),
        repeat_pending=asked - settled,
    )


def fallback_rate_of(rows: Sequence[BotCounts]) -> Ratio:
    """Customer messages the NLU could not place / customer messages, over every session (a
    misunderstood greeting is still a miss)."""
    return ratio(total(rows, "fallbacks"), total(rows, "user_messages"))


def _grouped(rows: Sequence[BotCounts], key: Callable[[BotCounts], str | None]) -> dict[str, Ratio]:
    contained: dict[str, int] = defaultdict(int)
    asked: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.with_request:
            asked[key(row) or UNKNOWN] += row.with_request
            contained[key(row) or UNKNOWN] += row.contained
    return {value: ratio(contained[value], asked[value]) for value in sorted(asked)}
