"""The bot's other KPIs (docs/kpis.md, "Bot KPIs"): abandonment in the bot, first-contact
resolution of bot-only contacts, top requests, misunderstood messages; and the groupings of
a period's sessions by hour or day (in a time zone) and by language or channel.

As in `reporting.containment`: pure functions of the counts `reporting.session_counts` loads
(`*_of`), and `(db, scope)` versions that load and compute in one call.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from reporting.bot_facts import Misunderstood, grouped_misses
from reporting.buckets import Bucket
from reporting.kpis import Ratio, ratio
from reporting.kpis_agents import DEFAULT_DAYS, FirstContactResolution
from reporting.kpis_contacts import Db, Scope
from reporting.session_counts import UNKNOWN, BotCounts, load_bot_counts, total
from reporting.session_tables import (
    MISUNDERSTOOD_TEXTS,
    QUARTER,
    SESSION_FACTS,
    misunderstood_only,
)

Grouping = Literal["language", "channel"]


@dataclass(frozen=True)
class BotAbandonment:
    """Sessions with a request that the customer left unanswered, with no person and no
    ticket, among those over (`SESSION_EXPIRY` after their last event); `ongoing` counts the
    others, which the customer may still go on with."""

    abandoned: Ratio
    ongoing: int


def bot_abandonment(db: Db, scope: Scope, *, now: datetime | None = None) -> BotAbandonment:
    return abandonment_of(load_bot_counts(db, scope, now=now))


def bot_first_contact_resolution(
    db: Db, scope: Scope, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> FirstContactResolution:
    return first_contact_resolution_of(load_bot_counts(db, scope, now=now, days=days))


def abandonment_of(rows: Sequence[BotCounts]) -> BotAbandonment:
    """`BotAbandonment` of the counted sessions (over or not as of the load's `now`)."""
    over = total(rows, "over")
    left = ratio(total(rows, "abandoned"), over)
    return BotAbandonment(abandoned=left, ongoing=total(rows, "with_request") - over)


def first_contact_resolution_of(rows: Sequence[BotCounts]) -> FirstContactResolution:
    """Contained sessions after which the same customer opened no session on the same first
    request within the load's `days` / those sessions; unknown customers and windows not
    over yet (at the load's `now`) are counted apart."""
    settled, known = total(rows, "fcr_settled"), total(rows, "contained_known")
    return FirstContactResolution(
        days=rows[0].days if rows else DEFAULT_DAYS,
        resolved=ratio(settled - total(rows, "fcr_repeated"), settled),
        unknown_customer=total(rows, "contained") - known,
        pending=known - settled,
    )


def top_requests(db: Db, scope: Scope, *, top: int | None = 20) -> list[tuple[str, int]]:
    """Each request with the number of sessions begun in the period that asked for it, most
    asked first (a session asking two things counts for both)."""
    s = SESSION_FACTS.c
    query = (
        select(s.requests, func.count())
        .where(s.started >= scope.start.timestamp(), s.started < scope.end.timestamp())
        .where(s.requests != "")
        .group_by(s.requests)
    )
    if scope.language is not None:
        query = query.where(s.language == scope.language)
    if scope.channel is not None:
        query = query.where(s.channel == scope.channel)
    counts: Counter[str] = Counter()
    for requests, sessions in db.execute(query):
        for request in requests.split():
            counts[request] += sessions
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def misunderstood(db: Db, scope: Scope, *, top: int = 20) -> list[Misunderstood]:
    """The `top` most frequent messages the NLU could not place in the sessions begun in the
    period, grouped by their folded text, most frequent first (redacted)."""
    if top < 1:
        raise ValueError("top must be at least 1")
    texts = MISUNDERSTOOD_TEXTS.c
    conditions = [
        texts.started >= scope.start.timestamp(),
        texts.started < scope.end.timestamp(),
        misunderstood_only(),  # not the doubtful guesses kept for the trainer's inbox
    ]
    if scope.language is not None:
        conditions.append(texts.language == scope.language)
    if scope.channel is not None:
        conditions.append(texts.channel == scope.channel)
    count = func.count().label("count")
    # Twice as many groups as shown: redacting again may merge a few (bot_facts._redacted).
    keys = (
        select(texts.folded, count)
        .where(*conditions)
        .group_by(texts.folded)
        .order_by(count.desc(), texts.folded)
        .limit(2 * top)
    )
    wanted = [row.folded for row in db.execute(keys)]
    if not wanted:
        return []
    spellings = (
        select(texts.folded, texts.text, func.count())
        .where(*conditions, texts.folded.in_(wanted))
        .group_by(texts.folded, texts.text)
    )
    return grouped_misses([tuple(row) for row in db.execute(spellings)], top=top)


def by_value(rows: Sequence[BotCounts], by: Grouping) -> dict[str, list[BotCounts]]:
    """The rows per language or channel (`UNKNOWN` when Rasa had none), by value."""
    groups: dict[str, list[BotCounts]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, by) or UNKNOWN].append(row)
    return dict(sorted(groups.items()))


def by_bucket(
    rows: Sequence[BotCounts], scope: Scope, bucket: Bucket, tz: str = "UTC"
) -> dict[datetime, list[BotCounts]]:
    """The rows (loaded `by_time`) per hour or day of the scope's period in the time zone `tz`
    (an IANA name), every bucket present, in order, keyed by the bucket's start: local time
    with its UTC offset then (the hour repeated when clocks go back is two buckets). The
    first and last buckets may reach outside the period: they hold its sessions only."""
    zone = ZoneInfo(tz)
    groups: dict[datetime, list[BotCounts]] = {start: [] for start in _starts(scope, bucket, zone)}
    for row in rows:
        if row.quarter is None:
            raise ValueError("by_bucket needs counts loaded with by_time=True")
        # Local hours and days begin on a quarter hour of UTC in every zone in use.
        at = datetime.fromtimestamp(row.quarter * QUARTER, timezone.utc)
        key = _floor(at, bucket, zone)
        if key in groups:
            groups[key].append(row)
    return groups


def quarters_per_group(scope: Scope, bucket: Bucket, tz: str = "UTC") -> int:
    """The longest run of quarter hours (a UTC day's 96, an hour's 4, or 1) that every bucket
    of the period begins on a multiple of: counts loaded by such runs (`load_bot_counts`)
    each fall in one bucket, and there are up to 96 times fewer rows to add up."""
    starts = [int(start.timestamp()) for start in _starts(scope, bucket, ZoneInfo(tz))]
    for quarters in (96, 4):
        if all(start % (quarters * QUARTER) == 0 for start in starts):
            return quarters
    return 1


def _starts(scope: Scope, bucket: Bucket, zone: ZoneInfo) -> list[datetime]:
    starts = []
    current = _floor(scope.start, bucket, zone)
    while current < scope.end:
        starts.append(current)
        current = _next_bucket(current, bucket, zone)
    return starts


def _floor(at: datetime, bucket: Bucket, zone: ZoneInfo) -> datetime:
    local = at.astimezone(zone)
    if bucket == "day":
        local = datetime.combine(local.date(), time(), tzinfo=zone)
    else:
        local = local.replace(minute=0, second=0, microsecond=0)  # keeps `fold`
    return _fixed(local)


def _next_bucket(start: datetime, bucket: Bucket, zone: ZoneInfo) -> datetime:
    if bucket == "day":
        return _fixed(datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=zone))
    return _fixed((start + timedelta(hours=1)).astimezone(zone))


def _fixed(local: datetime) -> datetime:
    # A fixed offset, not the zone: aware datetimes of one tzinfo compare by wall time, so
    # the two 01:00 of a night when clocks go back would be one key.
    offset = local.utcoffset()
    assert offset is not None
    return local.replace(tzinfo=timezone(offset), fold=0)
