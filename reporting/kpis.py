"""The gateway's KPIs over a period [start, end), from `conversation_events` (docs/kpis.md).

Each function takes a session or connection and keyword-only filters; rates and averages of
nothing are None, never a division by zero. Durations are in seconds. The agents' table and
first-contact resolution live in `reporting.kpis_agents`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from reporting.kpis_contacts import (
    Contact,
    Db,
    Scope,
    assignments,
    load_contacts,
    mean,
    nearest_rank,
    seconds,
    waits,
)

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


def scope(
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
    agent: str | None = None,
) -> Scope:
    return Scope(start, end, language, channel, skill, agent)


def transfer_rate(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
) -> TransferRate:
    """Contacts queued for a person / contacts opened, overall and by reason."""
    within = scope(start, end, language, channel)
    return transfer_rate_of(load_contacts(db, within), within)


def transfer_rate_of(contacts: list[Contact], within: Scope) -> TransferRate:
    opened = [c for c in contacts if (row := c.opening) is not None and within.holds(row.at)]
    reasons = Counter(
        queued.reason or "unknown" for c in opened if (queued := c.first("queued")) is not None
    )
    return TransferRate(
        overall=ratio(sum(reasons.values()), len(opened)),
        by_reason={reason: ratio(n, len(opened)) for reason, n in sorted(reasons.items())},
    )


def first_queued(contacts: list[Contact], within: Scope) -> list[tuple[Contact, datetime]]:
    """The contacts first queued in the period (to the filtered skill), with that time."""
    found = []
    for contact in contacts:
        queued = contact.first("queued")
        if queued is not None and within.holds(queued.at) and within.matches(queued):
            found.append((contact, queued.at))
    return found


def queue_abandonment(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
) -> QueueAbandonment:
    """Contacts that ended while waiting / contacts queued (and those that expired)."""
    within = scope(start, end, language, channel, skill)
    queued = [contact for contact, _ in first_queued(load_contacts(db, within), within)]
    outcomes = Counter(c.ending.outcome if c.ending else None for c in queued)
    return QueueAbandonment(
        abandoned=ratio(outcomes["abandoned"], len(queued)),
        expired=ratio(outcomes["ticket"], len(queued)),
        still_open=outcomes[None],
    )


def time_to_queue(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
) -> Percentiles:
    """From a contact's opening to its first queueing, for contacts first queued in the period."""
    within = scope(start, end, language, channel, skill)
    return percentiles(
        (at - opening.at).total_seconds()
        for contact, at in first_queued(load_contacts(db, within), within)
        if (opening := contact.opening) is not None
    )


def waiting_time(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
) -> WaitingTime:
    """Waits that began in the period: queued → assigned, → ended, → expired, apart."""
    within = scope(start, end, language, channel, skill)
    by_end: dict[str, list[float]] = {}
    still_waiting = 0
    for contact in load_contacts(db, within):
        for wait in waits(contact):
            if not (within.holds(wait.begin.at) and within.matches(wait.begin)):
                continue
            if wait.end is None:
                still_waiting += 1
            else:
                by_end.setdefault(wait.end.kind, []).append(seconds(wait.begin, wait.end))
    return WaitingTime(
        answered=percentiles(by_end.get("assigned", [])),
        abandoned=percentiles(by_end.get("ended", [])),
        expired=percentiles(by_end.get("expired", [])),
        still_waiting=still_waiting,
    )


def first_response_time(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
    agent: str | None = None,
) -> FirstResponse:
    """From an assignment to its agent's first reply, for assignments begun in the period."""
    within = scope(start, end, language, channel, skill, agent)
    return first_response_of(load_contacts(db, within), within)


def first_response_of(contacts: list[Contact], within: Scope) -> FirstResponse:
    replied: list[float] = []
    without = 0
    for contact in contacts:
        for held in assignments(contact):
            if not (within.holds(held.begin.at) and within.matches(held.begin, held.agent)):
                continue
            if held.first_reply is not None:
                replied.append(seconds(held.begin, held.first_reply))
            elif held.end is not None:
                without += 1
    return FirstResponse(percentiles(replied), without)


def handle_time(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
    agent: str | None = None,
) -> HandleTime:
    """Mean time from an assignment to the close (or the customer's end) under that agent."""
    within = scope(start, end, language, channel, skill, agent)
    return handle_time_of(load_contacts(db, within), within)


def handle_time_of(contacts: list[Contact], within: Scope) -> HandleTime:
    by_agent: dict[str, list[float]] = {}
    for contact in contacts:
        for held in assignments(contact):
            finished = held.end
            if (
                finished is None
                or finished.kind not in ("closed", "ended")
                or finished.agent != held.agent
                or not within.holds(held.begin.at)
                or not within.matches(held.begin, held.agent)
            ):
                continue
            by_agent.setdefault(held.agent, []).append(seconds(held.begin, finished))
    every = [s for spans in by_agent.values() for s in spans]
    means = {name: sum(spans) / len(spans) for name, spans in sorted(by_agent.items())}
    return HandleTime(len(every), mean(every), means)


def csat(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
    agent: str | None = None,
) -> Csat:
    """Ratings of the contacts that ended in the period: mean, 1-5 counts, response rate."""
    within = scope(start, end, language, channel, skill, agent)
    return csat_of(load_contacts(db, within), within)


def ended_in(contacts: list[Contact], within: Scope) -> list[Contact]:
    """Contacts whose end (close, customer's end, expiry) is in the period and filters."""
    return [
        c
        for c in contacts
        if (ending := c.ending) is not None
        and within.holds(ending.at)
        and within.matches(ending, ending.agent)
    ]


def satisfaction(contacts: list[Contact]) -> Satisfaction:
    scores = [score for c in contacts if (score := c.score) is not None]
    counts = Counter(scores)
    return Satisfaction(
        ended=len(contacts),
        rated=ratio(len(scores), len(contacts)),
        mean=mean(scores),
        distribution={score: counts[score] for score in SCORES},
    )


def csat_of(contacts: list[Contact], within: Scope) -> Csat:
    ended = ended_in(contacts, within)
    segments: dict[str, list[Contact]] = {name: [] for name in dict.fromkeys(SEGMENTS.values())}
    for contact in ended:
        outcome = contact.ending.outcome if contact.ending else None
        segments[SEGMENTS.get(outcome or "", "unserved")].append(contact)
    return Csat(
        overall=satisfaction(ended),
        by_segment={name: satisfaction(members) for name, members in segments.items()},
    )
