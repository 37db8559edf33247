"""Agents' KPIs over a scope's period [start, end): first-contact resolution and the agents'
table (docs/kpis.md), from the contact facts. Same rules as `reporting.kpis`: a function of
the database and a pure one of loaded `Facts`; None for an average or rate of nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from reporting.facts import (
    AGENT_OUTCOMES,
    CONTACTS,
    AssignmentRow,
    ContactRow,
    Facts,
    bounds,
    fetch,
    load_facts,
)
from reporting.kpis import Ratio, ended_in, percentiles, ratio
from reporting.kpis_contacts import Db, Scope, mean

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class FirstContactResolution:
    """Agent contacts ended in the period with no new contact of that customer within `days`."""

    days: int
    resolved: Ratio  # among those whose window has passed and whose customer is known
    unknown_customer: int  # excluded: nobody to follow
    pending: int  # excluded: the window is not over yet


@dataclass(frozen=True)
class AgentRow:
    agent: str
    chats: int  # contacts the agent was given in the period
    handle_time: float | None  # mean seconds (reporting.kpis.handle_time)
    csat: float | None  # mean rating of the contacts they had when these ended in the period
    ratings: int
    first_response_p50: float | None


def first_contact_resolution(
    db: Db, scope: Scope, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> FirstContactResolution:
    """Share of agent contacts after which the customer opened no contact within `days`.

    A new contact is the opening of any contact of the same `customer_id` after the contact
    ended and at most `days` later; `now` (default: the clock) decides which windows are over.
    """
    return first_contact_resolution_of(db, load_facts(db, scope, ("contacts",)), days=days, now=now)


def first_contact_resolution_of(
    db: Db, facts: Facts, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> FirstContactResolution:
    """From loaded facts, plus one query for the customers' later openings (of any language or
    channel: a customer who comes back elsewhere still came back)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    window = timedelta(days=days).total_seconds()
    until = (now or datetime.now(timezone.utc)).timestamp()
    ended = [c for c in ended_in(facts) if c.outcome in AGENT_OUTCOMES]
    unknown = [c for c in ended if c.customer_id is None]
    known = [c for c in ended if c.customer_id is not None]
    settled = [c for c in known if _ended(c) + window <= until]
    came_back = repeated(db, settled, window)
    repeats = sum(1 for c in settled if (c.conversation_id, c.episode) in came_back)
    return FirstContactResolution(
        days=days,
        resolved=ratio(len(settled) - repeats, len(settled)),
        unknown_customer=len(unknown),
        pending=len(known) - len(settled),
    )


def _ended(contact: ContactRow) -> float:
    assert contact.ended_at is not None  # only ended contacts are asked about
    return contact.ended_at


def repeated(db: Db, contacts: list[ContactRow], window: float) -> set[tuple[str, int]]:
    """The keys of those `contacts` whose customer opened a contact after their end, at most
    `window` seconds later.

    One query, by the (customer_id, opened_at) index: it asks about every contact with a
    customer that ended between the first and last of `contacts`' ends (a superset, cheaper
    to name by range than by a list: a month holds tens of thousands) and the caller keeps
    its own.
    """
    if not contacts:
        return set()
    c = CONTACTS.c
    later = CONTACTS.alias("later")
    ends = [_ended(contact) for contact in contacts]
    came_back = (
        select(later.c.opened_at)
        .where(
            later.c.customer_id == c.customer_id,
            later.c.opened_at > c.ended_at,
            later.c.opened_at <= c.ended_at + window,
        )
        .exists()
    )
    query = select(c.conversation_id, c.episode).where(
        c.ended_at >= min(ends), c.ended_at <= max(ends), c.customer_id.is_not(None), came_back
    )
    return set(fetch(db, query, _key))


def _key(conversation_id: str, episode: int) -> tuple[str, int]:
    return conversation_id, episode


def agent_table(db: Db, scope: Scope) -> list[AgentRow]:
    """One row per agent who was given a contact, or had one end, in the period; by name."""
    return agent_table_of(load_facts(db, scope, ("contacts", "assignments")))


def agent_table_of(facts: Facts) -> list[AgentRow]:
    """Only the scope's agent's row when it names one. The same measures as
    `reporting.kpis.handle_time_of` and `first_response_of`, agent by agent in one pass."""
    within = facts.scope
    lo, hi = bounds(within)
    held: dict[str, list[AssignmentRow]] = {}
    for a in facts.assignments:
        if lo <= a.began_at < hi and (within.skill is None or a.skill == within.skill):
            held.setdefault(a.agent, []).append(a)
    scores: dict[str, list[int]] = {}
    for contact in ended_in(replace(facts, scope=replace(within, agent=None))):
        if contact.ended_agent is not None:
            rated = scores.setdefault(contact.ended_agent, [])
            if contact.score is not None:
                rated.append(contact.score)
    rows = []
    for name in sorted(held.keys() | scores.keys()):
        if within.agent is not None and name != within.agent:
            continue
        mine = held.get(name, [])
        handled = [a.handle_seconds for a in mine if a.handle_seconds is not None]
        replies = [a.reply_seconds for a in mine if a.reply_seconds is not None]
        rows.append(
            AgentRow(
                agent=name,
                chats=len({(a.conversation_id, a.episode) for a in mine}),
                handle_time=mean(handled),
                csat=mean(scores.get(name, [])),
                ratings=len(scores.get(name, [])),
                first_response_p50=percentiles(replies).p50,
            )
        )
    return rows
