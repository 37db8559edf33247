"""The gateway's KPIs over a scope's period [start, end), from the contact facts (docs/kpis.md).

Each KPI comes twice: `name(db, scope)` loads the facts it needs and computes, and
`name_of(facts)` computes from `Facts` already loaded (`reporting.facts.load_facts`), so a
report loads once and computes many figures. Neither refreshes the facts
(`reporting.contact_facts.refresh`). Rates and averages of nothing are None, never a
division by zero; durations are in seconds. Each KPI applies the scope's skill and agent
filters to the event it is attributed to, and ignores those that do not apply to it (said
in its docstring). The agents' table and first-contact resolution live in
`reporting.kpis_agents`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from reporting.facts import AssignmentRow, ContactRow, Facts, bounds, load_facts
from reporting.kpis_contacts import Db, Scope, mean, nearest_rank

SCORES = (1, 2, 3, 4, 5)
# Satisfaction is split by how the contact ended.
SEGMENTS: dict[str, str] = {
    "resolved_by_bot": "bot",
    "resolved_by_agent": "agent",
    "ended_by_customer": "agent",  # the customer left while an agent had it
    "abandoned": "unserved",
    "ticket": "unserved",
}


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int
    rate: float | None  # part / whole; None when whole is 0


def ratio(part: int, whole: int) -> Ratio:
    return Ratio(part, whole, part / whole if whole else None)


@dataclass(frozen=True)
class Percentiles:
    """Nearest-rank percentiles of durations in seconds; None when there are none."""

    count: int
    p50: float | None
    p90: float | None


def percentiles(seconds: Iterable[float]) -> Percentiles:
    ordered = sorted(seconds)
    if not ordered:
        return Percentiles(0, None, None)
    return Percentiles(len(ordered), nearest_rank(ordered, 50), nearest_rank(ordered, 90))


@dataclass(frozen=True)
class TransferRate:
    """Contacts opened in the period that the bot queued for a person, in all and by reason
    (the reason of the contact's first queueing; each share is of all contacts opened)."""

    overall: Ratio
    by_reason: dict[str, Ratio]


@dataclass(frozen=True)
class QueueAbandonment:
    """Contacts first queued in the period, and how they ended (whenever that was)."""

    abandoned: Ratio  # the customer ended it while waiting
    expired: Ratio  # nobody took it in time: a ticket
    still_open: int


@dataclass(frozen=True)
class WaitingTime:
    """Waits that began in the period, by how they ended."""

    answered: Percentiles  # an agent got it
    abandoned: Percentiles  # the customer ended it
    expired: Percentiles  # a ticket instead
    still_waiting: int


@dataclass(frozen=True)
class FirstResponse:
    """Assignments that began in the period: time to the agent's first reply."""

    replied: Percentiles
    ended_without_reply: int  # passed on or ended before the agent wrote


@dataclass(frozen=True)
class HandleTime:
    """Assignments that began in the period and that their agent closed or saw ended."""

    count: int
    mean: float | None
    by_agent: dict[str, float]  # agent → mean seconds


@dataclass(frozen=True)
class Satisfaction:
    ended: int  # contacts that ended in the period
    rated: Ratio  # the response rate: rated / ended
    mean: float | None
    distribution: dict[int, int]  # score → number of ratings, every score listed


@dataclass(frozen=True)
class Csat:
    overall: Satisfaction
    by_segment: dict[str, Satisfaction]  # "bot", "agent", "unserved"


def _every_contact(facts: Facts) -> None:
    if not facts.every_contact:
        raise ValueError("this KPI counts every contact: load them all, not the served ones")


def _skill(scope: Scope, skill: str | None) -> bool:
    return scope.skill is None or skill == scope.skill


def _agent(scope: Scope, agent: str | None) -> bool:
    return scope.agent is None or agent == scope.agent


def transfer_rate(db: Db, scope: Scope) -> TransferRate:
    """Contacts queued for a person / contacts opened, overall and by reason."""
    return transfer_rate_of(load_facts(db, scope, ("contacts",)))


def transfer_rate_of(facts: Facts) -> TransferRate:
    """Over contacts opened in the period; no skill or agent is known at the opening, so those
    filters do not apply."""
    _every_contact(facts)
    within = facts.scope
    lo, hi = bounds(within)
    opened = [c for c in facts.contacts if c.opened_at is not None and lo <= c.opened_at < hi]
    reasons = Counter(c.queued_reason or "unknown" for c in opened if c.queued_at is not None)
    return TransferRate(
        overall=ratio(sum(reasons.values()), len(opened)),
        by_reason={reason: ratio(n, len(opened)) for reason, n in sorted(reasons.items())},
    )


def first_queued(facts: Facts) -> list[ContactRow]:
    """The contacts first queued in the period, to the scope's skill (any agent)."""
    within = facts.scope
    lo, hi = bounds(within)
    return [
        c
        for c in facts.contacts
        if c.queued_at is not None and lo <= c.queued_at < hi and _skill(within, c.queued_skill)
    ]


def queue_abandonment(db: Db, scope: Scope) -> QueueAbandonment:
    """Contacts that ended while waiting / contacts queued (and those that expired)."""
    return queue_abandonment_of(load_facts(db, scope, ("contacts",)))


def queue_abandonment_of(facts: Facts) -> QueueAbandonment:
    queued = first_queued(facts)
    outcomes = Counter(c.outcome if c.ended_at is not None else None for c in queued)
    return QueueAbandonment(
        abandoned=ratio(outcomes["abandoned"], len(queued)),
        expired=ratio(outcomes["ticket"], len(queued)),
        still_open=outcomes[None],
    )


def time_to_queue(db: Db, scope: Scope) -> Percentiles:
    """From a contact's opening to its first queueing, for contacts first queued in the period."""
    return time_to_queue_of(load_facts(db, scope, ("contacts",)))


def time_to_queue_of(facts: Facts) -> Percentiles:
    return percentiles(c.queue_seconds for c in first_queued(facts) if c.queue_seconds is not None)


def waiting_time(db: Db, scope: Scope) -> WaitingTime:
    """Waits that began in the period: queued → assigned, → ended, → expired, apart."""
    return waiting_time_of(load_facts(db, scope, ("waits",)))


def waiting_time_of(facts: Facts) -> WaitingTime:
    """Waits begun in the period in the scope's skill (any agent: nobody has them yet)."""
    within = facts.scope
    lo, hi = bounds(within)
    by_end: dict[str | None, list[float]] = {}
    for wait in facts.waits:
        if lo <= wait.began_at < hi and _skill(within, wait.skill):
            by_end.setdefault(wait.end_kind, []).append(wait.seconds or 0.0)
    return WaitingTime(
        answered=percentiles(by_end.get("assigned", [])),
        abandoned=percentiles(by_end.get("ended", [])),
        expired=percentiles(by_end.get("expired", [])),
        still_waiting=len(by_end.get(None, [])),
    )


def _held(facts: Facts) -> list[AssignmentRow]:
    """Assignments begun in the period, in the scope's skill, to the scope's agent."""
    within = facts.scope
    lo, hi = bounds(within)
    return [
        a
        for a in facts.assignments
        if lo <= a.began_at < hi and _skill(within, a.skill) and _agent(within, a.agent)
    ]


def first_response_time(db: Db, scope: Scope) -> FirstResponse:
    """From an assignment to its agent's first reply, for assignments begun in the period."""
    return first_response_of(load_facts(db, scope, ("assignments",)))


def first_response_of(facts: Facts) -> FirstResponse:
    held = _held(facts)
    replied = [a.reply_seconds for a in held if a.reply_seconds is not None]
    without = sum(1 for a in held if a.reply_seconds is None and a.ended_at is not None)
    return FirstResponse(percentiles(replied), without)


def handle_time(db: Db, scope: Scope) -> HandleTime:
    """Mean time from an assignment to the close (or the customer's end) under that agent."""
    return handle_time_of(load_facts(db, scope, ("assignments",)))


def handle_time_of(facts: Facts) -> HandleTime:
    by_agent: dict[str, list[float]] = {}
    for held in _held(facts):
        if held.handle_seconds is not None:
            by_agent.setdefault(held.agent, []).append(held.handle_seconds)
    every = [s for spans in by_agent.values() for s in spans]
    means = {name: sum(spans) / len(spans) for name, spans in sorted(by_agent.items())}
    return HandleTime(len(every), mean(every), means)


def csat(db: Db, scope: Scope) -> Csat:
    """Ratings of the contacts that ended in the period: mean, 1-5 counts, response rate."""
    return csat_of(load_facts(db, scope, ("contacts",)))


def ended_in(facts: Facts) -> list[ContactRow]:
    """Contacts whose end (close, customer's end, expiry) is in the period, in the scope's
    skill and with the scope's agent at the end."""
    within = facts.scope
    lo, hi = bounds(within)
    return [
        c
        for c in facts.contacts
        if c.ended_at is not None
        and lo <= c.ended_at < hi
        and _skill(within, c.ended_skill)
        and _agent(within, c.ended_agent)
    ]


def satisfaction(contacts: list[ContactRow]) -> Satisfaction:
    scores = [c.score for c in contacts if c.score is not None]
    counts = Counter(scores)
    return Satisfaction(
        ended=len(contacts),
        rated=ratio(len(scores), len(contacts)),
        mean=mean(scores),
        distribution={score: counts[score] for score in SCORES},
    )


def csat_of(facts: Facts) -> Csat:
    _every_contact(facts)
    ended = ended_in(facts)
    segments: dict[str, list[ContactRow]] = {name: [] for name in dict.fromkeys(SEGMENTS.values())}
    for contact in ended:
        segments[SEGMENTS.get(contact.outcome or "", "unserved")].append(contact)
    return Csat(
        overall=satisfaction(ended),
        by_segment={name: satisfaction(members) for name, members in segments.items()},
    )
