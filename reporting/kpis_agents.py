"""Agents' KPIs over a period [start, end): first-contact resolution and the agents' table
(docs/kpis.md). Same rules as `reporting.kpis`: None for an average or rate of nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from reporting.kpis import Ratio, ended_in, first_response_of, handle_time_of, ratio, scope
from reporting.kpis_contacts import (
    EVENTS,
    OPENINGS,
    Contact,
    Db,
    assignments,
    load_contacts,
    mean,
)

AGENT_OUTCOMES = ("resolved_by_agent", "ended_by_customer")  # an agent had it at the end
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
    db: Db,
    *,
    start: datetime,
    end: datetime,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
    agent: str | None = None,
) -> FirstContactResolution:
    """Share of agent contacts after which the customer opened no contact within `days`.

    A new contact is a `started` or `reopened` row of any conversation of the same
    `customer_id` after the contact ended and at most `days` later; `now` (default: the
    clock) decides which windows are over.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    within = scope(start, end, language, channel, skill, agent)
    window = timedelta(days=days)
    now = now or datetime.now(timezone.utc)
    ended = [
        c
        for c in ended_in(load_contacts(db, within), within)
        if ending_outcome(c) in AGENT_OUTCOMES
    ]
    unknown = [c for c in ended if c.customer_id is None]
    known = [c for c in ended if c.customer_id is not None]
    settled = [c for c in known if ended_at(c) + window <= now]
    openings = customer_openings(db, settled, window)
    repeated = sum(
        1
        for c in settled
        if any(ended_at(c) < at <= ended_at(c) + window for at in openings.get(c.customer_id, []))
    )
    return FirstContactResolution(
        days=days,
        resolved=ratio(len(settled) - repeated, len(settled)),
        unknown_customer=len(unknown),
        pending=len(known) - len(settled),
    )


def ending_outcome(contact: Contact) -> str | None:
    return contact.ending.outcome if contact.ending else None


def ended_at(contact: Contact) -> datetime:
    """When the contact ended; its opening for one that has not (never asked here)."""
    row = contact.ending or contact.rows[0]
    return row.at


def customer_openings(
    db: Db, contacts: list[Contact], window: timedelta
) -> dict[str | None, list[datetime]]:
    """When each of these contacts' customers opened a contact, within reach of their windows."""
    if not contacts:
        return {}
    events = EVENTS.c
    customers = sorted({c.customer_id for c in contacts if c.customer_id is not None})
    query = select(events.customer_id, events.at).where(
        events.kind.in_(OPENINGS),
        events.customer_id.in_(customers),
        events.at > min(ended_at(c) for c in contacts),
        events.at <= max(ended_at(c) for c in contacts) + window,
    )
    found: dict[str | None, list[datetime]] = {}
    for customer, at in db.execute(query):
        found.setdefault(customer, []).append(at)
    return found


def agent_table(
    db: Db,
    *,
    start: datetime,
    end: datetime,
    language: str | None = None,
    channel: str | None = None,
    skill: str | None = None,
) -> list[AgentRow]:
    """One row per agent who was given a contact, or had one end, in the period; by name."""
    within = scope(start, end, language, channel, skill)
    contacts = load_contacts(db, within)
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
    handled = handle_time_of(contacts, within).by_agent
    rows = []
    for name in sorted(chats.keys() | scores.keys()):
        replies = first_response_of(contacts, scope(start, end, language, channel, skill, name))
        rows.append(
            AgentRow(
                agent=name,
                chats=len(chats.get(name, ())),
                handle_time=handled.get(name),
                csat=mean(scores.get(name, [])),
                ratings=len(scores.get(name, [])),
                first_response_p50=replies.replied.p50,
            )
        )
    return rows
