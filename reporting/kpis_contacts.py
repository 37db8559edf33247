"""Contacts as the KPIs read them, from `conversation_events` (docs/kpis.md says why each rule).

A contact is one episode of a conversation, `(conversation_id, episode)`: it opens with
`started` (episode 1) or `reopened` (a customer who writes again is a new contact) and ends with
`closed`, `ended` or `expired`. A measure belongs to the period in which it *begins* (a contact's
opening, a wait's queueing, an assignment, a contact's ending for satisfaction); its end is looked
up whenever it came, and a measure not ended yet is counted as open, never as a duration.

This walk is the definition: `reporting.contact_facts` runs it on each contact new events touch
and stores what it finds (`contact_facts`, `wait_facts`, `assignment_facts`), which the KPIs
read (docs/kpis.md, "Speed"). `load_contacts` still reads a period's contacts row by row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from handover.models import RecordedEvent

Db = Session | Connection
EVENTS = RecordedEvent.__table__
OPENINGS = ("started", "reopened")
ENDINGS = ("closed", "ended", "expired")
# What ends a wait or an assignment: the conversation changed hands or the contact ended.
WAIT_ENDS = ("assigned", "handed_back", *ENDINGS)
ASSIGNMENT_ENDS = ("assigned", "transferred", "requeued", "handed_back", *ENDINGS)


@dataclass(frozen=True)
class Scope:
    """The period [start, end) and the filters a KPI applies (None: every value)."""

    start: datetime
    end: datetime
    language: str | None = None
    channel: str | None = None
    skill: str | None = None
    agent: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if self.end < self.start:
            raise ValueError("end must not be before start")

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def matches(self, row: Row, agent: str | None = None) -> bool:
        """Whether the row that begins a measure passes the skill and agent filters."""
        return (self.skill is None or row.skill == self.skill) and (
            self.agent is None or agent == self.agent
        )


@dataclass(frozen=True)
class Row:
    kind: str
    at: datetime
    skill: str | None
    reason: str | None
    agent: str | None
    to_agent: str | None
    outcome: str | None
    score: int | None


@dataclass(frozen=True)
class Contact:
    conversation_id: str
    episode: int
    customer_id: str | None
    rows: tuple[Row, ...]  # in time order
    language: str | None = None  # its first row's that has one
    channel: str | None = None  # its first row's

    def first(self, *kinds: str) -> Row | None:
        return next((row for row in self.rows if row.kind in kinds), None)

    @property
    def opening(self) -> Row | None:
        return self.first(*OPENINGS)

    @property
    def ending(self) -> Row | None:
        return self.first(*ENDINGS)

    @property
    def score(self) -> int | None:
        """The customer's rating: a second one replaces the first."""
        rated = [row.score for row in self.rows if row.kind == "rated"]
        return rated[-1] if rated else None


@dataclass(frozen=True)
class Wait:
    """From queueing (or a requeue, or a transfer to a skill) to whatever took it out."""

    begin: Row
    end: Row | None


@dataclass(frozen=True)
class Assignment:
    """One agent's hold of a contact: accepted, given by a supervisor or transferred to them."""

    agent: str
    begin: Row
    end: Row | None
    first_reply: Row | None


def load_contacts(db: Db, scope: Scope) -> list[Contact]:
    """Every contact with a row in the period, with all its rows (before and after it too)."""
    events = EVENTS.c
    touched = (
        select(events.conversation_id, events.episode)
        .where(events.at >= scope.start, events.at < scope.end)
        .distinct()
    )
    # A conversation's rows all carry its language and channel, so these filter in SQL.
    if scope.language is not None:
        touched = touched.where(events.language == scope.language)
    if scope.channel is not None:
        touched = touched.where(events.channel == scope.channel)
    keys = touched.subquery()
    query = (
        select(EVENTS)
        .join(
            keys,
            and_(
                events.conversation_id == keys.c.conversation_id,
                events.episode == keys.c.episode,
            ),
        )
        .order_by(events.conversation_id, events.episode, events.at, events.id)
    )
    return contacts_of(db.execute(query).mappings())


def contacts_of(mappings: Iterable[Mapping[str, Any]]) -> list[Contact]:
    """Contacts from `conversation_events` rows ordered by conversation, episode, time and id."""
    contacts = []
    for (cid, episode), group in itertools.groupby(
        mappings, key=lambda m: (m["conversation_id"], m["episode"])
    ):
        listed = list(group)
        customer = next((m["customer_id"] for m in listed if m["customer_id"]), None)
        language = next((m["language"] for m in listed if m["language"]), None)
        rows = tuple(
            Row(
                m["kind"],
                m["at"],
                m["skill"],
                m["reason"],
                m["agent"],
                m["to_agent"],
                m["outcome"],
                m["score"],
            )  # fmt: skip
            for m in listed
        )
        contacts.append(Contact(cid, episode, customer, rows, language, listed[0]["channel"]))
    return contacts


def starts_wait(row: Row) -> bool:
    return row.kind in ("queued", "requeued") or (row.kind == "transferred" and not row.to_agent)


def waits(contact: Contact) -> list[Wait]:
    """The contact's waits in a queue; a move between queues does not restart the clock."""
    found: list[Wait] = []
    begin: Row | None = None
    for row in contact.rows:
        if begin is None and starts_wait(row):
            begin = row
        elif begin is not None and row.kind in WAIT_ENDS:
            found.append(Wait(begin, row))
            begin = None
    if begin is not None:
        found.append(Wait(begin, None))
    return found


def assignments(contact: Contact) -> list[Assignment]:
    """The contact's assignments, each with its agent's first reply within it, if any."""
    found: list[Assignment] = []
    agent: str | None = None
    begin: Row | None = None
    reply: Row | None = None
    for row in contact.rows:
        if agent is not None and begin is not None and row.kind in ASSIGNMENT_ENDS:
            found.append(Assignment(agent, begin, row, reply))
            agent, begin, reply = None, None, None
        if row.kind == "assigned" and row.agent:
            agent, begin = row.agent, row
        elif row.kind == "transferred" and row.to_agent:
            agent, begin = row.to_agent, row
        elif row.kind == "agent_replied" and reply is None and row.agent == agent:
            reply = row
    if agent is not None and begin is not None:
        found.append(Assignment(agent, begin, None, reply))
    return found


def seconds(begin: Row, end: Row) -> float:
    return (end.at - begin.at).total_seconds()


def nearest_rank(ordered: list[float], percent: int) -> float:
    """The nearest-rank percentile of a sorted, non-empty list (an observed value, no blending)."""
    rank = -(-percent * len(ordered) // 100)  # ceil in integers: no float rounding at the edges
    return ordered[max(rank, 1) - 1]


def mean(values: Iterable[float]) -> float | None:
    listed = list(values)
    return sum(listed) / len(listed) if listed else None
