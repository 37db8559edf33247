"""The few figures of a series point or a breakdown row, read narrowly from the facts tables.

A point or a row shows the contacts opened, the transfer rate, the median wait for an agent
and the mean rating (`report_figures.Light`). Three narrow queries give them for a whole
period, whatever the number of buckets or groups: the openings (time, queued or not), the
ratings of the contacts that ended (time, score) and the answered waits (time, seconds), each
with the one column a breakdown groups by; Python then counts them per hour or day
(`buckets.bucket_starts`) or per value. A month of a hundred thousand contacts is read
this way in a fraction of what loading their whole rows (`reporting.facts.load_facts`) takes.

The rules are those of the KPI functions on split facts (`reporting.kpis`), and a test holds
the two equal: a contact counts where it opened (transfer) and where it ended (rating); the
transfer rate ignores skill and agent; a rating follows the skill and agent at the end; a
wait follows its own skill. By skill, a contact belongs to the skill of its first queueing
and of its ending (the group's skill replaces the scope's).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from reporting.buckets import Bucket, bucket_starts
from reporting.facts import CONTACTS, WAITS, fetch, in_period, scoped
from reporting.kpis import percentiles
from reporting.kpis_contacts import Db, Scope, mean
from reporting.report_figures import Light

GroupBy = Literal["language", "channel", "skill"]


@dataclass
class Tally:
    """What one bucket or group holds: openings, of which queued; wait and rating values."""

    opened: int = 0
    queued: int = 0
    waits: list[float] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)

    def light(self) -> Light:
        return Light(
            contacts=self.opened,
            transfer_rate=self.queued / self.opened if self.opened else None,
            waiting_p50=percentiles(self.waits).p50,
            csat=mean(self.scores),
        )


def by_bucket(db: Db, scope: Scope, bucket: Bucket, tz: ZoneInfo) -> dict[datetime, Light]:
    """Every hour or day of the period in `tz` (empty ones too), by its start in `tz`."""
    starts = bucket_starts(scope, bucket, tz)
    stamps = [start.timestamp() for start in starts]
    tallies = [Tally() for _ in starts]

    def index(at: float) -> int:
        return bisect_right(stamps, at) - 1  # the queries keep `at` within the period

    for at, queued in _openings(db, scope):
        tally = tallies[index(at)]
        tally.opened += 1
        tally.queued += queued
    for at, score, _ in _ratings(db, scope, None):
        tallies[index(at)].scores.append(score)
    for at, seconds, _ in _waits(db, scope, None):
        tallies[index(at)].waits.append(seconds)
    return {start: tally.light() for start, tally in zip(starts, tallies, strict=True)}


def by_group(db: Db, scope: Scope, by: GroupBy) -> dict[str, Light]:
    """Each value met of the language, channel or skill (rows without one are in no group)."""
    if by not in ("language", "channel", "skill"):
        raise ValueError(f"unknown grouping: {by}")
    tallies: dict[str, Tally] = {}

    def tally(value: str) -> Tally:
        return tallies.setdefault(value, Tally())

    for opened, queued, values in _opened_counts(db, scope, by):
        for value in values:
            tally(value).opened += opened
            tally(value).queued += queued
    for _, score, value in _ratings(db, scope, by):
        if value is not None:
            tally(value).scores.append(score)
    for _, seconds, value in _waits(db, scope, by):
        if value is not None:
            tally(value).waits.append(seconds)
    return {value: found.light() for value, found in sorted(tallies.items())}


def _openings(db: Db, scope: Scope) -> list[tuple[float, int]]:
    """(opened at, 1 if ever queued else 0) of each contact opened in the period."""
    c = CONTACTS.c
    queued = case((c.queued_at.is_not(None), 1), else_=0)
    query = select(c.opened_at, queued).where(
        *scoped(CONTACTS, scope, in_period(c.opened_at, scope))
    )
    return fetch(db, query, _opening)


def _opening(at: float, queued: int) -> tuple[float, int]:
    return at, int(queued)


def _opened_counts(db: Db, scope: Scope, by: GroupBy) -> list[tuple[int, int, set[str]]]:
    """(contacts, of which queued, their groups) per group of contacts opened in the period."""
    c = CONTACTS.c
    keys = [c.queued_skill, c.ended_skill] if by == "skill" else [c[by]]
    queued = func.sum(case((c.queued_at.is_not(None), 1), else_=0))
    query = (
        select(func.count(), queued, *keys)
        .where(*scoped(CONTACTS, scope, in_period(c.opened_at, scope)))
        .group_by(*keys)
    )
    return fetch(db, query, _counted)


def _counted(opened: int, queued: int | None, *values: str | None) -> tuple[int, int, set[str]]:
    return int(opened), int(queued or 0), {value for value in values if value is not None}


def _ratings(db: Db, scope: Scope, by: GroupBy | None) -> list[tuple[float, int, str | None]]:
    """(ended at, score, group) of each rated contact that ended in the period, in the skill
    and with the agent of the scope at its end (by skill: every skill, by the ending's)."""
    c = CONTACTS.c
    conditions = [in_period(c.ended_at, scope), c.score.is_not(None)]
    if scope.skill is not None and by != "skill":
        conditions.append(c.ended_skill == scope.skill)
    if scope.agent is not None:
        conditions.append(c.ended_agent == scope.agent)
    group = [] if by is None else [c.ended_skill if by == "skill" else c[by]]
    query = select(c.ended_at, c.score, *group).where(*scoped(CONTACTS, scope, *conditions))
    return fetch(db, query, _grouped)


def _waits(db: Db, scope: Scope, by: GroupBy | None) -> list[tuple[float, float, str | None]]:
    """(began at, seconds, group) of each wait begun in the period that an agent answered,
    in the scope's skill (by skill: every skill)."""
    w = WAITS.c
    conditions = [in_period(w.began_at, scope), w.end_kind == "assigned"]
    if scope.skill is not None and by != "skill":
        conditions.append(w.skill == scope.skill)
    # An answered wait's seconds are known; 0 when not is `kpis.waiting_time_of`'s rule.
    seconds = func.coalesce(w.seconds, 0.0)
    group = [] if by is None else [w[by]]
    query = select(w.began_at, seconds, *group).where(*scoped(WAITS, scope, *conditions))
    return fetch(db, query, _grouped)


def _grouped(at: float, value: Any, group: str | None = None) -> tuple[float, Any, str | None]:
    return at, value, group
