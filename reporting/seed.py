"""Seeded history for demos and for scale: `python -m handover reports seed --conversations N`.

`seed_history` writes N conversations over the `days` before now, as the platform would have
recorded them: Rasa's redacted events in `rasa_events` (events database) for every
conversation, and the gateway's lifecycle rows in `conversation_events` (gateway database) for
those on the widget, with the same ids and consistent times (`reporting.seed_story` says what
each holds, `reporting.seed_flows` what happens). More conversations by day than by night and
on weekdays; a few customers come back within a day or a week; both languages and channels.
The same seed, size and `now` give the same rows.

Development only (the command checks `SWITCHBOARD_ENVIRONMENT`), and never mixed into an
existing history unless forced. The agents named in it are created when missing (with
random passwords nobody knows: they are names in reports, not accounts to sign in with).
Rows go in by thousands of conversations per transaction: Rasa's through the driver (COPY on
PostgreSQL), the gateway's through SQLAlchemy's executemany (psycopg2's `execute_values`).
100,000 conversations (about 1.9 million rows) take a minute or two.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import random
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine, create_engine, make_url

from handover import crud
from handover.db import session_factory, session_scope
from handover.models import Agent, RecordedEvent
from handover.security import hash_password
from privacy.files import make_private
from reporting import broker_table
from reporting.events import WIDGET
from reporting.seed_flows import Team, converse
from reporting.seed_story import REST, Customer, Story
from reporting.seed_texts import texts

DEFAULT_DAYS = 30
DEFAULT_SEED = 11
BATCH = 2000  # conversations per transaction
# The seeded support team: username, display name, skills (none: every skill).
AGENTS = (
    ("amira", "Amira", ("billing", "accounts")), ("bruno", "Bruno", ("network",)),
    ("chloe", "Chloé", ("orders", "general")), ("dev", "Dev", ("billing", "network")),
    ("elena", "Elena", ("accounts", "orders")), ("farid", "Farid", ()),
    ("grace", "Grace", ("billing", "general")), ("hugo", "Hugo", ("network", "orders")),
)  # fmt: skip
SUPERVISOR = ("nadia", "Nadia")
TEAM = Team(agents=tuple((name, skills) for name, _, skills in AGENTS), supervisor=SUPERVISOR[0])
# Conversations started per hour of the day (UTC) and per weekday (Monday first), relative.
HOURS = (0.2, 0.12, 0.08, 0.06, 0.06, 0.1, 0.25, 0.6, 1.1, 1.6, 1.8, 1.8,
         1.5, 1.5, 1.7, 1.7, 1.6, 1.4, 1.2, 1.1, 1.0, 0.8, 0.55, 0.35)  # fmt: skip
WEEKDAYS = (1.15, 1.1, 1.05, 1.0, 0.95, 0.7, 0.55)
WIDGET_SHARE, FRENCH_SHARE, SIGNED_IN_SHARE = 0.7, 0.4, 0.45
# Customers who come back: within a day, within a week (else a new customer).
AGAIN_WITHIN_DAY, AGAIN_WITHIN_WEEK = 0.07, 0.07


class SeedRefused(Exception):
    """Seeding would touch a production database or mix into an existing history."""


@dataclass(frozen=True)
class Seeded:
    """What was written, over which period, and how long it took."""

    conversations: int
    gateway_rows: int
    rasa_rows: int
    start: datetime
    end: datetime
    seconds: float


def refuse_outside_development(environment: str) -> None:
    """Raise `SeedRefused` unless `environment` is development."""
    if environment != "development":
        raise SeedRefused(
            f"seeding is for development databases only (SWITCHBOARD_ENVIRONMENT={environment})"
        )


def bulk_engine(url: str) -> Engine:
    """An engine for bulk inserts: large `execute_values` pages on PostgreSQL; a SQLite file
    is created owner-only."""
    make_private(url)
    if make_url(url).get_backend_name() == "postgresql":
        return create_engine(url, future=True, executemany_values_page_size=5000)
    return create_engine(url, future=True)


def has_history(gateway: Engine, events: Engine) -> bool:
    """Whether either table holds a row (the events table may not exist yet)."""
    return any(_last_ids(gateway, events))


def ensure_team(gateway: Engine, *, capacity: int = 3) -> list[str]:
    """Create the seeded agents and supervisor that do not exist; returns their usernames.
    An existing account of the same name is left as it is."""
    people = [(name, shown, skills, "agent") for name, shown, skills in AGENTS]
    people.append((*SUPERVISOR, (), "supervisor"))
    created = []
    with session_scope(session_factory(gateway)) as session:
        missing = [p for p in people if crud.get_agent(session, username=p[0]) is None]
        # One hash for all: a password nobody was told, and one slow hash instead of nine.
        unusable = hash_password(secrets.token_urlsafe(24)) if missing else ""
        for username, shown, skills, role in missing:
            session.add(Agent(username=username, display_name=shown, password_hash=unusable,
                              skills=list(skills), capacity=capacity, role=role))  # fmt: skip
            created.append(username)
    return created


def seed_history(
    gateway: Engine,
    events: Engine,
    *,
    conversations: int,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    force: bool = False,
) -> Seeded:
    """Write `conversations` conversations over the `days` before `now` (default: the clock).

    The gateway database must be migrated; the events table is created if missing. Raises
    `SeedRefused` if either table has rows, unless `force` (then ids differ from an earlier
    run's, so conversations never merge).
    """
    if conversations < 1 or days < 1:
        raise ValueError("conversations and days must be at least 1")
    began = time.monotonic()
    broker_table.create_table(events)
    last = _last_ids(gateway, events)
    if any(last) and not force:
        raise SeedRefused("the history is not empty (add --force to add to it)")
    end = now or datetime.now(timezone.utc)
    start = end - timedelta(days=days)
    ensure_team(gateway)
    rng = random.Random(seed if not any(last) else f"{seed}:{last[0]}:{last[1]}")
    gateway_rows = rasa_rows = 0
    for batch in _batches(_stories(rng, conversations, start, end), BATCH):
        until = end.timestamp()
        rows = [row for story in batch for row in story.gateway_rows(until)]
        published = [
            (e["sender_id"], e["timestamp"], json.dumps(e))
            for story in batch
            for e in story.events(until)
        ]
        with gateway.begin() as connection:
            if rows:
                connection.execute(RecordedEvent.__table__.insert(), rows)
        with events.begin() as connection:
            _insert_published(connection, published)
        gateway_rows += len(rows)
        rasa_rows += len(published)
    seconds = time.monotonic() - began
    return Seeded(conversations, gateway_rows, rasa_rows, start, end, seconds)


def _insert_published(connection: Connection, rows: list[tuple[str, float, str]]) -> None:
    """`rasa_events` rows (sender_id, timestamp, JSON) as `broker_table.row_of` makes them,
    through the driver (SQLAlchemy's per-row work would double the time): PostgreSQL's COPY
    (a third of the time of multi-row INSERTs), SQLite's executemany."""
    columns = f"{broker_table.EVENTS.name} (sender_id, timestamp, data)"
    cursor = connection.connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            text = io.StringIO()
            csv.writer(text).writerows(rows)  # repr() of a float reads back as the same float
            text.seek(0)
            cursor.copy_expert(f"COPY {columns} FROM STDIN WITH (FORMAT csv)", text)
        else:  # SQLite
            cursor.executemany(f"INSERT INTO {columns} VALUES (?, ?, ?)", rows)
    finally:
        cursor.close()


def _last_ids(gateway: Engine, events: Engine) -> tuple[int, int]:
    """The highest row id of each table (0: empty), for the refusal and the ids' salt."""
    with gateway.connect() as connection:
        recorded = connection.execute(select(func.max(RecordedEvent.id))).scalar() or 0
    if not broker_table._present(events):
        return recorded, 0
    with events.connect() as connection:
        published = connection.execute(select(func.max(broker_table.EVENTS.c.id))).scalar()
    return recorded, published or 0


def _stories(rng: random.Random, count: int, start: datetime, end: datetime) -> Iterator[Story]:
    words = texts()
    customers = _Customers(rng)
    for at in _start_times(rng, count, start.timestamp(), end.timestamp()):
        widget = rng.random() < WIDGET_SHARE
        # The gateway's session ids are 32 hex digits; REST clients choose theirs (a UUID here).
        number = rng.getrandbits(128)
        sender = f"{number:032x}" if widget else str(uuid.UUID(int=number))
        story = Story(rng, words, sender=sender, channel=WIDGET if widget else REST,
                      customer=customers.next(at), at=at)  # fmt: skip
        converse(story, TEAM)
        yield story


def _start_times(rng: random.Random, count: int, start: float, end: float) -> list[float]:
    """`count` times in [start, end), denser in busy hours and on weekdays, sorted."""
    slots: list[tuple[float, float]] = []
    weights: list[float] = []
    hour = start - start % 3600
    while hour < end:
        low, high = max(hour, start), min(hour + 3600, end)
        moment = datetime.fromtimestamp(hour, tz=timezone.utc)
        slots.append((low, high))
        weights.append(WEEKDAYS[moment.weekday()] * HOURS[moment.hour] * (high - low) / 3600)
        hour += 3600
    picked = rng.choices(slots, weights=weights, k=count)
    return sorted(rng.uniform(low, high) for low, high in picked)


class _Customers:
    """New customers, and some who come back within a day or a week."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.times: list[float] = []
        self.seen: list[Customer] = []
        self.ids: set[str] = set()

    def next(self, at: float) -> Customer:
        rng, draw = self.rng, self.rng.random()
        window = 86400 if draw < AGAIN_WITHIN_DAY else 7 * 86400
        first = bisect.bisect_left(self.times, at - window)
        if draw < AGAIN_WITHIN_DAY + AGAIN_WITHIN_WEEK and first < len(self.seen):
            customer = self.seen[rng.randrange(first, len(self.seen))]
        else:
            customer = self._new()
        self.times.append(at)
        self.seen.append(customer)
        return customer

    def _new(self) -> Customer:
        rng = self.rng
        while (customer_id := f"CUS-{rng.randrange(10**6, 10**7)}") in self.ids:
            pass  # ids of 7 digits: never one of the mock CRM's demo customers (5 digits)
        self.ids.add(customer_id)
        return Customer(
            id=customer_id,
            language="fr" if rng.random() < FRENCH_SHARE else "en",
            signed_in=rng.random() < SIGNED_IN_SHARE,
            account=f"3{rng.randrange(10**7):07d}",
        )


def _batches(stories: Iterator[Story], size: int) -> Iterator[list[Story]]:
    batch: list[Story] = []
    for story in stories:
        batch.append(story)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
