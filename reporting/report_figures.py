"""Every figure of one period (or one bucket, or one group), computed from facts loaded once.

The gateway's figures come from `reporting.facts.Facts` (contacts, waits, assignments of the
period) through the pure KPI functions; the bot's from the period's Rasa sessions. A report
loads the facts of its whole period once, splits them (by bucket or by group) in Python and
computes each part here: one read per request, whatever the number of buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reporting import contact_counts
from reporting.facts import load_facts
from reporting.kpis import (
    Csat,
    FirstResponse,
    HandleTime,
    Percentiles,
    QueueAbandonment,
    TransferRate,
    WaitingTime,
    first_response_of,
    handle_time_of,
    queue_abandonment_of,
    time_to_queue_of,
    waiting_time_of,
)
from reporting.kpis_agents import FirstContactResolution, first_contact_resolution_of
from reporting.kpis_contacts import Db, Scope
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


def figures(db: Db, scope: Scope, bot: BotFigures, *, now: datetime | None = None) -> Figures:
    """All the summary's figures of the scope: those that count every contact by
    `reporting.contact_counts`, the others from the served contacts' facts, loaded once."""
    facts = load_facts(db, scope, ("served", "waits", "assignments"))
    return Figures(
        transfer=contact_counts.transfer_rate(db, scope),
        queue_abandonment=queue_abandonment_of(facts),
        time_to_queue=time_to_queue_of(facts),
        waiting=waiting_time_of(facts),
        first_response=first_response_of(facts),
        handle_time=handle_time_of(facts),
        csat=contact_counts.csat(db, scope),
        fcr_agent=first_contact_resolution_of(db, facts, now=now),
        bot=bot,
    )
