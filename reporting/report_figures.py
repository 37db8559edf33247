"""Every figure of one period (or one bucket, or one group), computed from facts loaded once.

The gateway's figures come from `reporting.facts.Facts` (contacts, waits, assignments of the
period) through the pure KPI functions; the bot's from the period's Rasa sessions. A report
loads the facts of its whole period once, splits them (by bucket or by group) in Python and
computes each part here: one read per request, whatever the number of buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reporting.facts import Facts
from reporting.kpis import (
    Csat,
    FirstResponse,
    HandleTime,
    Percentiles,
    QueueAbandonment,
    TransferRate,
    WaitingTime,
    csat_of,
    first_response_of,
    handle_time_of,
    queue_abandonment_of,
    time_to_queue_of,
    transfer_rate_of,
    waiting_time_of,
)
from reporting.kpis_agents import FirstContactResolution, first_contact_resolution_of
from reporting.kpis_contacts import Db
from reporting.report_bot import BotFigures


@dataclass(frozen=True)
class Figures:
    transfer: TransferRate
    queue_abandonment: QueueAbandonment
    time_to_queue: Percentiles
    waiting: WaitingTime
    first_response: FirstResponse
    handle_time: HandleTime
    csat: Csat
    fcr_agent: FirstContactResolution
    bot: BotFigures


@dataclass(frozen=True)
class Light:
    """The few figures of a series point or a breakdown row."""

    contacts: int
    transfer_rate: float | None
    waiting_p50: float | None
    csat: float | None


def figures(db: Db, facts: Facts, bot: BotFigures, *, now: datetime | None = None) -> Figures:
    """All the summary's figures of `facts` (first-contact resolution reads later openings)."""
    return Figures(
        transfer=transfer_rate_of(facts),
        queue_abandonment=queue_abandonment_of(facts),
        time_to_queue=time_to_queue_of(facts),
        waiting=waiting_time_of(facts),
        first_response=first_response_of(facts),
        handle_time=handle_time_of(facts),
        csat=csat_of(facts),
        fcr_agent=first_contact_resolution_of(db, facts, now=now),
        bot=bot,
    )


def light(facts: Facts) -> Light:
    transfer = transfer_rate_of(facts).overall
    return Light(
        contacts=transfer.whole,
        transfer_rate=transfer.rate,
        waiting_p50=waiting_time_of(facts).answered.p50,
        csat=csat_of(facts).overall.mean,
    )
