"""The bot's figures for the reports: containment, its 24 h variant, abandonment in the bot,
bot first-contact resolution and the NLU fallback rate, from the period's Rasa sessions
(`reporting.session_counts`, counted once), for the period, its buckets or its groups.

Rasa's sessions have no skill: with a skill filter, or grouped by skill, the bot's figures are
None (not zero: nothing was measured).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from reporting.bot_kpis import (
    abandonment_of,
    by_bucket,
    by_value,
    first_contact_resolution_of,
    quarters_per_group,
)
from reporting.buckets import Bucket
from reporting.containment import containment_of, fallback_rate_of
from reporting.kpis import Ratio
from reporting.kpis_contacts import Db, Scope
from reporting.session_counts import BotCounts, load_bot_counts, session_count


@dataclass(frozen=True)
class BotFigures:
    sessions: int | None  # sessions the customer wrote in
    containment: Ratio | None  # over the sessions with a request
    containment_24h: Ratio | None
    abandonment: Ratio | None
    fcr: Ratio | None
    nlu_fallback: Ratio | None


NOT_MEASURED = BotFigures(None, None, None, None, None, None)


def bot_rows(
    db: Db,
    scope: Scope,
    *,
    now: datetime | None = None,
    buckets: tuple[Bucket, str] | None = None,
) -> list[BotCounts] | None:
    """The sessions begun in the scope's period, language and channel, counted (windows as of
    `now`, default the clock) per channel and language, and by time for `buckets` (hour or
    day, time zone: for `bot_buckets`); None with a skill."""
    if scope.skill is not None:
        return None
    if buckets is None:
        return load_bot_counts(db, scope, now=now)
    quarters = quarters_per_group(scope, *buckets)
    return load_bot_counts(db, scope, now=now, by_time=True, quarters=quarters)


def bot_figures(rows: list[BotCounts] | None, *, now: datetime | None = None) -> BotFigures:
    """The figures of `bot_rows` (`now` is the one they were counted with: give it there)."""
    if rows is None:
        return NOT_MEASURED
    contained = containment_of(rows)
    return BotFigures(
        sessions=session_count(rows),
        containment=Ratio(contained.contained, contained.sessions_with_request, contained.rate),
        containment_24h=contained.without_repeat_24h,
        abandonment=abandonment_of(rows).abandoned,
        fcr=first_contact_resolution_of(rows).resolved,
        nlu_fallback=fallback_rate_of(rows),
    )


def light(rows: list[BotCounts]) -> BotFigures:
    """The sessions and containment only: what a series point or a breakdown row shows."""
    contained = containment_of(rows)
    ratio = Ratio(contained.contained, contained.sessions_with_request, contained.rate)
    return replace(NOT_MEASURED, sessions=session_count(rows), containment=ratio)


def bot_buckets(
    rows: list[BotCounts] | None, scope: Scope, bucket: Bucket, tz: str
) -> dict[datetime, BotFigures]:
    """Each bucket's sessions and containment, keyed by its start in UTC (none: not
    measured)."""
    if rows is None:
        return {}
    return {
        start.astimezone(timezone.utc): light(part)
        for start, part in by_bucket(rows, scope, bucket, tz).items()
    }


def bot_groups(rows: list[BotCounts] | None, by: str) -> dict[str, BotFigures]:
    """Each language's or channel's sessions and containment (none by skill: sessions have
    no skill)."""
    if rows is None or by not in ("language", "channel"):
        return {}
    return {value: light(part) for value, part in by_value(rows, by).items()}
