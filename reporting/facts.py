"""A period's contact facts, loaded once per report (`reporting.contact_facts` builds them).

`load_facts` reads the three fact tables for a `Scope`: each row whose attribution time (a
contact's opening, first queueing or ending; a wait's or an assignment's beginning) falls in
the period, by the index on that time, with the language and channel filters in SQL. The
KPI functions of `reporting.kpis` and `reporting.kpis_agents` then compute from the loaded
`Facts` with no further query (first-contact resolution aside), applying the skill and agent
filters to whichever event each KPI is attributed to. `reporting.light_counts` and
`reporting.contact_counts` count in SQL what the reports need of every contact.

Times in the rows are Unix seconds (floats, as stored: `handover.models_reporting`);
`Scope.start.timestamp()` gives the bound to compare them with (`bounds`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import starmap
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from handover.models_reporting import AssignmentFact, ContactFact, WaitFact
from reporting.kpis_contacts import Db, Scope

CONTACTS = ContactFact.__table__
WAITS = WaitFact.__table__
ASSIGNMENTS = AssignmentFact.__table__
PARTS = frozenset({"contacts", "served", "waits", "assignments"})
# An agent had the contact at its end: `kpis_agents` follows these customers.
AGENT_OUTCOMES = ("resolved_by_agent", "ended_by_customer")
T = TypeVar("T")


class ContactRow(NamedTuple):
    conversation_id: str
    episode: int
    customer_id: str | None
    language: str | None
    channel: str
    opened_at: float | None  # Unix seconds, as every time below
    queued_at: float | None
    queued_skill: str | None
    queued_reason: str | None
    queue_seconds: float | None
    ended_at: float | None
    ending_kind: str | None
    outcome: str | None
    ended_skill: str | None
    ended_agent: str | None
    score: int | None


class WaitRow(NamedTuple):
    conversation_id: str
    episode: int
    language: str | None
    channel: str
    began_at: float
    begin_kind: str
    skill: str | None
    end_kind: str | None
    seconds: float | None  # None while waiting


class AssignmentRow(NamedTuple):
    conversation_id: str
    episode: int
    language: str | None
    channel: str
    agent: str
    began_at: float
    skill: str | None
    ended_at: float | None
    reply_seconds: float | None
    handle_seconds: float | None


class Queueing(NamedTuple):
    """A contact put in a queue by the bot (`queued`), and whether it ended by expiring."""

    conversation_id: str
    episode: int
    at: datetime
    expired: bool


@dataclass(frozen=True)
class Facts:
    """The facts of a scope's period: what the pure KPI functions read."""

    scope: Scope
    contacts: list[ContactRow] = field(default_factory=list)
    waits: list[WaitRow] = field(default_factory=list)
    assignments: list[AssignmentRow] = field(default_factory=list)
    # False when `contacts` holds only those a person was asked for or had ("served"):
    # enough for the queue's and the agents' KPIs, not for those that count every contact.
    every_contact: bool = True


def _columns(table: Any, row: type[NamedTuple]) -> list[Any]:
    return [table.c[name] for name in row._fields]


def bounds(scope: Scope) -> tuple[float, float]:
    """The period [start, end) in Unix seconds, as the fact rows keep times."""
    return scope.start.timestamp(), scope.end.timestamp()


def _within(column: Any, start: float, end: float) -> Any:
    return and_(column >= start, column < end)


def _filtered(query: Any, table: Any, scope: Scope) -> Any:
    # A conversation's events all carry its language and channel.
    if scope.language is not None:
        query = query.where(table.c.language == scope.language)
    if scope.channel is not None:
        query = query.where(table.c.channel == scope.channel)
    return query


def in_period(column: Any, scope: Scope) -> Any:
    """The condition that a time column (Unix seconds) falls in the scope's period."""
    return _within(column, *bounds(scope))


def scoped(table: Any, scope: Scope, *conditions: Any) -> list[Any]:
    """`conditions`, and the scope's language and channel (every fact row carries them)."""
    listed = list(conditions)
    if scope.language is not None:
        listed.append(table.c.language == scope.language)
    if scope.channel is not None:
        listed.append(table.c.channel == scope.channel)
    return listed


def fetch(db: Db, query: Any, row: Callable[..., T]) -> list[T]:
    """The query's rows, made by `row`, read through the driver's cursor.

    The fact columns are floats, integers and strings, which need no conversion, and
    SQLAlchemy's per-row work would double the time a month of facts takes to load.
    """
    connection = db if isinstance(db, Connection) else db.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return list(starmap(row, cursor.fetchall()))
    finally:
        cursor.close()


def load_facts(
    db: Db, scope: Scope, parts: Collection[str] = ("contacts", "waits", "assignments")
) -> Facts:
    """The facts of the scope's period (only the `parts` asked for: contacts, waits,
    assignments), filtered by its language and channel.

    "served" instead of "contacts" loads only the contacts that were queued for a person or
    ended with one: most contacts stay with the bot, and the KPIs of queues and agents
    (queue abandonment, time to queue, first-contact resolution, the agents' table) read
    nothing else. `reporting.contact_counts` counts every contact in SQL.
    """
    unknown = set(parts) - PARTS
    if unknown:
        raise ValueError(f"unknown parts: {sorted(unknown)}")
    if {"contacts", "served"} <= set(parts):
        raise ValueError("ask for contacts or served contacts, not both")
    start, end = bounds(scope)
    contacts: list[ContactRow] = []
    waits: list[WaitRow] = []
    held: list[AssignmentRow] = []
    if "contacts" in parts or "served" in parts:
        c = CONTACTS.c
        query = select(*_columns(CONTACTS, ContactRow)).where(
            or_(
                _within(c.opened_at, start, end),
                _within(c.queued_at, start, end),
                _within(c.ended_at, start, end),
            )
        )
        if "served" in parts:
            query = query.where(
                or_(
                    c.queued_at.is_not(None),
                    c.ended_agent.is_not(None),
                    c.outcome.in_(AGENT_OUTCOMES),
                )
            )
        contacts = fetch(db, _filtered(query, CONTACTS, scope), ContactRow)
    if "waits" in parts:
        query = select(*_columns(WAITS, WaitRow)).where(_within(WAITS.c.began_at, start, end))
        waits = fetch(db, _filtered(query, WAITS, scope), WaitRow)
    if "assignments" in parts:
        query = select(*_columns(ASSIGNMENTS, AssignmentRow)).where(
            _within(ASSIGNMENTS.c.began_at, start, end)
        )
        held = fetch(db, _filtered(query, ASSIGNMENTS, scope), AssignmentRow)
    return Facts(scope, contacts, waits, held, every_contact="served" not in parts)


def load_contact_facts(
    db: Db,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    conversation_ids: Collection[str] | None = None,
) -> list[ContactRow]:
    """Contacts whose first to last event meets [start, end) (either bound may be open), of
    these conversations if given; ordered by conversation and episode."""
    c = CONTACTS.c
    query = select(*_columns(CONTACTS, ContactRow)).order_by(c.conversation_id, c.episode)
    if start is not None:
        query = query.where(c.last_at >= start.timestamp())
    if end is not None:
        query = query.where(c.first_at < end.timestamp())
    if conversation_ids is not None:
        if not conversation_ids:
            return []
        query = query.where(c.conversation_id.in_(sorted(conversation_ids)))
    return fetch(db, query, ContactRow)


def queueings(
    db: Db, start: datetime, end: datetime, conversation_ids: Collection[str] | None = None
) -> list[Queueing]:
    """The bot's `queued` events in [start, end), of these conversations if given, each with
    whether its contact ended by expiry (whenever that was); by conversation and time."""
    w, c = WAITS.c, CONTACTS.c
    query = (
        select(w.conversation_id, w.episode, w.began_at, c.ending_kind)
        .join(CONTACTS, and_(c.conversation_id == w.conversation_id, c.episode == w.episode))
        .where(w.begin_kind == "queued", _within(w.began_at, start.timestamp(), end.timestamp()))
        .order_by(w.conversation_id, w.began_at)
    )
    if conversation_ids is not None:
        if not conversation_ids:
            return []
        query = query.where(w.conversation_id.in_(sorted(conversation_ids)))
    return [
        Queueing(cid, episode, datetime.fromtimestamp(at, timezone.utc), kind == "expired")
        for cid, episode, at, kind in db.execute(query)
    ]
