"""The KPIs as they were computed before the facts: by walking each contact's events
(`reporting.kpis_contacts.load_contacts`) on every read. Kept for the tests only, as the
reference the facts-based KPIs must equal (tests/reporting/test_contact_facts_equivalence.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from reporting.kpis import (
    SCORES,
    SEGMENTS,
    Csat,
    FirstResponse,
    HandleTime,
    Percentiles,
    QueueAbandonment,
    Satisfaction,
    TransferRate,
    WaitingTime,
    percentiles,
    ratio,
)
from reporting.kpis_agents import AGENT_OUTCOMES, AgentRow, FirstContactResolution
from reporting.kpis_contacts import (
    OPENINGS,
    Contact,
    Scope,
    assignments,
    mean,
    seconds,
    waits,
)


def transfer_rate(contacts: list[Contact], within: Scope) -> TransferRate:
    opened = [c for c in contacts if (row := c.opening) is not None and within.holds(row.at)]
    reasons = Counter(
        queued.reason or "unknown" for c in opened if (queued := c.first("queued")) is not None
    )
    return TransferRate(
        overall=ratio(sum(reasons.values()), len(opened)),
        by_reason={reason: ratio(n, len(opened)) for reason, n in sorted(reasons.items())},
    )


def _queued(contacts: list[Contact], within: Scope) -> list[tuple[Contact, datetime]]:
    found = []
    for contact in contacts:
        queued = contact.first("queued")
        if queued is not None and within.holds(queued.at) and within.matches(queued):
            found.append((contact, queued.at))
    return found


def queue_abandonment(contacts: list[Contact], within: Scope) -> QueueAbandonment:
    queued = [contact for contact, _ in _queued(contacts, within)]
    outcomes = Counter(c.ending.outcome if c.ending else None for c in queued)
    return QueueAbandonment(
        abandoned=ratio(outcomes["abandoned"], len(queued)),
        expired=ratio(outcomes["ticket"], len(queued)),
        still_open=outcomes[None],
    )


def time_to_queue(contacts: list[Contact], within: Scope) -> Percentiles:
    return percentiles(
        (at - opening.at).total_seconds()
        for contact, at in _queued(contacts, within)
        if (opening := contact.opening) is not None
    )


def waiting_time(contacts: list[Contact], within: Scope) -> WaitingTime:
    by_end: dict[str, list[float]] = {}
    still_waiting = 0
    for contact in contacts:
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


def first_response(contacts: list[Contact], within: Scope) -> FirstResponse:
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


def handle_time(contacts: list[Contact], within: Scope) -> HandleTime:
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


def ended_in(contacts: list[Contact], within: Scope) -> list[Contact]:
    return [
        c
        for c in contacts
        if (ending := c.ending) is not None
        and within.holds(ending.at)
        and within.matches(ending, ending.agent)
    ]


def _satisfaction(contacts: list[Contact]) -> Satisfaction:
    scores = [score for c in contacts if (score := c.score) is not None]
    counts = Counter(scores)
    return Satisfaction(
        ended=len(contacts),
        rated=ratio(len(scores), len(contacts)),
        mean=mean(scores),
        distribution={score: counts[score] for score in SCORES},
    )


def csat(contacts: list[Contact], within: Scope) -> Csat:
    ended = ended_in(contacts, within)
    segments: dict[str, list[Contact]] = {name: [] for name in dict.fromkeys(SEGMENTS.values())}
    for contact in ended:
        outcome = contact.ending.outcome if contact.ending else None
        segments[SEGMENTS.get(outcome or "", "unserved")].append(contact)
    return Csat(
        overall=_satisfaction(ended),
        by_segment={name: _satisfaction(members) for name, members in segments.items()},
    )


def first_contact_resolution(
    contacts: list[Contact], every: list[Contact], within: Scope, days: int, now: datetime
) -> FirstContactResolution:
    """`every`: all contacts recorded, whose openings count as repeats."""
    window = timedelta(days=days)
    ended = [
        c for c in ended_in(contacts, within) if c.ending and c.ending.outcome in AGENT_OUTCOMES
    ]
    unknown = [c for c in ended if c.customer_id is None]
    known = [c for c in ended if c.customer_id is not None]
    settled = [c for c in known if c.ending and c.ending.at + window <= now]
    repeated = sum(
        1
        for c in settled
        if c.ending
        and any(
            row.kind in OPENINGS
            and other.customer_id == c.customer_id
            and c.ending.at < row.at <= c.ending.at + window
            for other in every
            for row in other.rows
        )
    )
    return FirstContactResolution(
        days=days,
        resolved=ratio(len(settled) - repeated, len(settled)),
        unknown_customer=len(unknown),
        pending=len(known) - len(settled),
    )


def agent_table(contacts: list[Contact], within: Scope) -> list[AgentRow]:
    chats: dict[str, set[tuple[str, int]]] = {}
    for contact in contacts:
        for held in assignments(contact):
            if within.holds(held.begin.at) and within.matches(held.begin):
                chats.setdefault(held.agent, set()).add((contact.conversation_id, contact.episode))
    scores: dict[str, list[int]] = {}
    for contact in ended_in(contacts, within):
        name = contact.ending.agent if contact.ending else None
        if name is not None:
            rated = scores.setdefault(name, [])
            if contact.score is not None:
                rated.append(contact.score)
    handled = handle_time(contacts, within).by_agent
    rows = []
    for name in sorted(chats.keys() | scores.keys()):
        mine = Scope(within.start, within.end, within.language, within.channel, within.skill, name)
        rows.append(
            AgentRow(
                agent=name,
                chats=len(chats.get(name, ())),
                handle_time=handled.get(name),
                csat=mean(scores.get(name, [])),
                ratings=len(scores.get(name, [])),
                first_response_p50=first_response(contacts, mine).replied.p50,
            )
        )
    return rows
