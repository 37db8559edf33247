"""The KPIs that count every contact, counted in SQL: the transfer rate and satisfaction.

Most contacts stay with the bot from start to end; the transfer rate divides by all of them
and satisfaction is asked of all of them. Rather than loading each (`reporting.facts`), one
grouped query counts a period's contacts by what these KPIs tell apart (queued or not and
why; outcome and score), and the same result types as `reporting.kpis.transfer_rate_of` and
`csat_of` are built from the counts: a test holds each equal to its row-by-row twin.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import case, func, select

from reporting.facts import CONTACTS, fetch, in_period, scoped
from reporting.kpis import (
    SCORES,
    SEGMENTS,
    Csat,
    Satisfaction,
    TransferRate,
    ratio,
)
from reporting.kpis_contacts import Db, Scope


def transfer_rate(db: Db, scope: Scope) -> TransferRate:
    """`kpis.transfer_rate_of`: contacts opened in the period, and those of them the bot
    queued (whenever), by the reason of the first queueing. No skill or agent filter."""
    c = CONTACTS.c
    queued = case((c.queued_at.is_not(None), 1), else_=0)
    query = (
        select(queued, c.queued_reason, func.count())
        .where(*scoped(CONTACTS, scope, in_period(c.opened_at, scope)))
        .group_by(queued, c.queued_reason)
    )
    opened = 0
    reasons: Counter[str] = Counter()
    for was_queued, reason, count in fetch(db, query, _triple):
        opened += count
        if was_queued:
            reasons[reason or "unknown"] += count
    return TransferRate(
        overall=ratio(sum(reasons.values()), opened),
        by_reason={reason: ratio(n, opened) for reason, n in sorted(reasons.items())},
    )


def csat(db: Db, scope: Scope) -> Csat:
    """`kpis.csat_of`: contacts that ended in the period, in the scope's skill and with its
    agent at the end, by how they ended and by score."""
    c = CONTACTS.c
    conditions = [in_period(c.ended_at, scope)]
    if scope.skill is not None:
        conditions.append(c.ended_skill == scope.skill)
    if scope.agent is not None:
        conditions.append(c.ended_agent == scope.agent)
    query = (
        select(c.outcome, c.score, func.count())
        .where(*scoped(CONTACTS, scope, *conditions))
        .group_by(c.outcome, c.score)
    )
    overall = _Ratings()
    segments = {name: _Ratings() for name in dict.fromkeys(SEGMENTS.values())}
    for outcome, score, count in fetch(db, query, _triple):
        for ratings in (overall, segments[SEGMENTS.get(outcome or "", "unserved")]):
            ratings.add(score, count)
    return Csat(
        overall=overall.satisfaction(),
        by_segment={name: ratings.satisfaction() for name, ratings in segments.items()},
    )


class _Ratings:
    """Ended contacts and their scores, added up by count."""

    def __init__(self) -> None:
        self.ended = 0
        self.scores: Counter[int] = Counter()

    def add(self, score: int | None, count: int) -> None:
        self.ended += count
        if score is not None:
            self.scores[score] += count

    def satisfaction(self) -> Satisfaction:
        rated = sum(self.scores.values())
        total = sum(score * n for score, n in self.scores.items())
        return Satisfaction(
            ended=self.ended,
            rated=ratio(rated, self.ended),
            mean=total / rated if rated else None,
            distribution={score: self.scores[score] for score in SCORES},
        )


def _triple(first: Any, second: Any, count: int) -> tuple[Any, Any, int]:
    return first, second, int(count)
