"""The row-by-row splitting of loaded facts by time bucket or by a dimension, and the light
figures of each part: what the reports computed before `reporting.light_counts` counted them
in SQL, kept as its reference (`test_contact_facts_equivalence`).

Each part is a `Facts` whose scope is narrowed (to the bucket's period, or to the group's
value), holding the rows that can count there; the pure KPI functions of `reporting.kpis`
and `reporting.kpis_agents` apply to it unchanged and give what a query with that narrower
scope would. A contact goes to every bucket of its opening, first queueing and ending.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from reporting.buckets import Bucket, bucket_starts
from reporting.facts import ContactRow, Facts, bounds
from reporting.kpis import csat_of, transfer_rate_of, waiting_time_of
from reporting.report_figures import Light

Dimension = Literal["language", "channel", "skill", "agent"]


def by_bucket(facts: Facts, bucket: Bucket, tz: ZoneInfo) -> dict[datetime, Facts]:
    """Every bucket of the period (empty ones too), by its start in `tz`."""
    starts = bucket_starts(facts.scope, bucket, tz)
    stamps = [start.timestamp() for start in starts]
    lo, hi = bounds(facts.scope)
    ends = [*starts[1:], facts.scope.end]
    parts = [
        Facts(
            replace(facts.scope, start=max(s, facts.scope.start), end=min(e, facts.scope.end)),
            every_contact=facts.every_contact,
        )
        for s, e in zip(starts, ends, strict=True)
    ]

    def index(at: float | None) -> int | None:
        if at is None or not lo <= at < hi:
            return None
        return bisect_right(stamps, at) - 1

    for contact in facts.contacts:
        for i in {index(contact.opened_at), index(contact.queued_at), index(contact.ended_at)}:
            if i is not None:
                parts[i].contacts.append(contact)
    for wait in facts.waits:
        if (i := index(wait.began_at)) is not None:
            parts[i].waits.append(wait)
    for held in facts.assignments:
        if (i := index(held.began_at)) is not None:
            parts[i].assignments.append(held)
    return dict(zip(starts, parts, strict=True))


def _contact_values(by: Dimension) -> Callable[[ContactRow], Iterable[str | None]]:
    if by == "skill":
        return lambda c: {c.queued_skill, c.ended_skill}
    if by == "agent":
        return lambda c: {c.ended_agent}
    return lambda c: {getattr(c, by)}


def by_group(facts: Facts, by: Dimension) -> dict[str, Facts]:
    """The facts by language, channel, skill or agent (a group per value met, by value).

    A contact counts in the skill of its first queueing and of its ending, and with the
    agent it ended with; a contact the bot kept has no skill and no agent. Waits have no
    agent. Rows without a value are in no group.
    """
    if by not in ("language", "channel", "skill", "agent"):
        raise ValueError(f"unknown dimension: {by}")
    groups: dict[str, Facts] = {}

    def group(value: str | None) -> Facts | None:
        if value is None:
            return None
        if value not in groups:
            groups[value] = Facts(
                replace(facts.scope, **{by: value}), every_contact=facts.every_contact
            )
        return groups[value]

    values = _contact_values(by)
    for contact in facts.contacts:
        for value in values(contact):
            if (part := group(value)) is not None:
                part.contacts.append(contact)
    if by != "agent":
        for wait in facts.waits:
            if (part := group(getattr(wait, by))) is not None:
                part.waits.append(wait)
    for held in facts.assignments:
        if (part := group(getattr(held, by))) is not None:
            part.assignments.append(held)
    return dict(sorted(groups.items()))


def light(facts: Facts) -> Light:
    transfer = transfer_rate_of(facts).overall
    return Light(
        contacts=transfer.whole,
        transfer_rate=transfer.rate,
        waiting_p50=waiting_time_of(facts).answered.p50,
        csat=csat_of(facts).overall.mean,
    )
