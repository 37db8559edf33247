"""Agents' KPIs over a scope's period [start, end): first-contact resolution and the agents'
table (docs/kpis.md), from the contact facts. Same rules as `reporting.kpis`: a function of
the database and a pure one of loaded `Facts`; None for an average or rate of nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from reporting.facts import CONTACTS, AssignmentRow, ContactRow, Facts, bounds, load_facts
from reporting.kpis import Ratio, ended_in, percentiles, ratio
from reporting.kpis_contacts import Db, Scope, mean

AGENT_OUTCOMES = ("resolved_by_agent", "ended_by_customer")  # an agent had it at the end
DEFAULT_DAYS = 7
MANY_CUSTOMERS = 500


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
    openings = customer_openings(db, settled, window)
    repeated = sum(
        1
        for c in settled
        if any(_ended(c) < at <= _ended(c) + window for at in openings.get(c.customer_id, []))
    )
    return FirstContactResolution(
        days=days,
        resolved=ratio(len(settled) - repeated, len(settled)),
        unknown_customer=len(unknown),
        pending=len(known) - len(settled),
    )


def _ended(contact: ContactRow) -> float:
    assert contact.ended_at is not None  # only ended contacts are asked about
    return contact.ended_at


def customer_openings(
    db: Db, contacts: list[ContactRow], window: float
) -> dict[str | None, list[float]]:
    """When (Unix seconds) each of these contacts' customers opened a contact, within reach of
    their windows (`window` seconds after their ends)."""
    if not contacts:
        return {}
    c = CONTACTS.c
    customers = {contact.customer_id for contact in contacts if contact.customer_id}
    query = select(c.customer_id, c.opened_at).where(
        c.opened_at > min(_ended(contact) for contact in contacts),
        c.opened_at <= max(_ended(contact) for contact in contacts) + window,
    )
    # Few customers: by the (customer_id, opened_at) index. Many (a long period): one read of
    # the period's openings is cheaper than long IN lists (SQLite caps their length, too).
    if len(customers) <= MANY_CUSTOMERS:
        query = query.where(c.customer_id.in_(sorted(customers)))
    found: dict[str | None, list[float]] = {}
    for customer, at in db.execute(query):
        if customer in customers:
            found.setdefault(customer, []).append(at)
    return found


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
