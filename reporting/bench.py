"""`python -m reporting bench`: how fast the dashboard's reports answer on a big history.

For each database asked for, a fresh one is made (two SQLite files in a temporary folder, or
two new schemas on the PostgreSQL server of `--postgres-url`, dropped afterwards: the gateway's
database and the events database, as deployed), migrated, and seeded with `--conversations`
conversations (`reporting.seed`). Then it times the first full facts refresh, and each function
of `reporting.reports` as the API calls it (refresh included: cheap once nothing is new) over
the default period (the last 7 days) and over the whole seeded range, `--runs` times each,
and prints the median seconds per query and database, with the row counts. A measurement, not
a test: nothing fails when a query is slow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from handover.db import make_engine, migrate, scratch_schema, session_factory
from handover.models import Base
from reporting import reports
from reporting.broker_table import EVENTS, events_engine
from reporting.kpis_contacts import Scope
from reporting.seed import DEFAULT_DAYS, DEFAULT_SEED, bulk_engine, seed_history

DATABASES = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"  # the tests' server
DEFAULT_PERIOD = timedelta(days=7)  # the dashboard's default
UTC = ZoneInfo("UTC")
# Each report as the API asks for it: (name, call with the gateway session, events, scope).
Query = Callable[[Any, Engine, Scope], object]
QUERIES: tuple[tuple[str, Query], ...] = (
    ("summary", lambda db, ev, sc: reports.summary(db, events=ev, scope=sc)),
    ("series (day)", lambda db, ev, sc: reports.series(db, events=ev, scope=sc, bucket="day",
                                                      tz=UTC)),
    ("series (hour)", lambda db, ev, sc: reports.series(db, events=ev, scope=sc, bucket="hour",
                                                       tz=UTC)),
    ("agents", lambda db, ev, sc: reports.agents(db, scope=sc)),
    ("transfer_reasons", lambda db, ev, sc: reports.transfer_reasons(db, scope=sc)),
    ("top_requests", lambda db, ev, sc: reports.top_requests(db, events=ev, scope=sc)),
    ("misunderstood", lambda db, ev, sc: reports.misunderstood(db, events=ev, scope=sc)),
    ("breakdown (language)", lambda db, ev, sc: reports.breakdown(db, events=ev, scope=sc,
                                                                 by="language")),
    ("breakdown (channel)", lambda db, ev, sc: reports.breakdown(db, events=ev, scope=sc,
                                                                by="channel")),
    ("breakdown (skill)", lambda db, ev, sc: reports.breakdown(db, events=ev, scope=sc,
                                                              by="skill")),
    ("csat", lambda db, ev, sc: reports.csat(db, scope=sc)),
)  # fmt: skip


@dataclass
class Measured:
    """One database's figures: seconds by step, medians by (query, period), row counts."""

    database: str
    steps: dict[str, float] = field(default_factory=dict)
    queries: dict[tuple[str, str], float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def add_parser(commands: Any) -> None:
    """Add the `bench` command to the subparsers of `python -m reporting`."""
    bench = commands.add_parser(
        "bench", help="seed fresh databases and time every report (prints a table)"
    )
    bench.add_argument("--conversations", type=int, default=100_000)
    bench.add_argument("--days", type=int, default=DEFAULT_DAYS)
    bench.add_argument("--seed", type=int, default=DEFAULT_SEED)
    bench.add_argument("--database", choices=(*DATABASES, "both"), default="both")
    bench.add_argument("--runs", type=int, default=3, help="runs per query (the median shows)")
    bench.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL server where schemas may be created (default: TEST_POSTGRES_URL)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print its table; returns the exit status."""
    if args.conversations < 1 or args.days < 1 or args.runs < 1:
        print("error: --conversations, --days and --runs must be at least 1", file=sys.stderr)
        return 2
    wanted = DATABASES if args.database == "both" else (args.database,)
    now = datetime.now(timezone.utc)  # one for all: each database gets the same history
    results = []
    for database in wanted:
        _say(f"{database}: seeding {args.conversations:,} conversations...")
        with _fresh(database, args.postgres_url) as (gateway_url, events_url):
            results.append(measure(database, gateway_url, events_url, args, now))
    print(table(results, args))
    return 0


def measure(
    database: str, gateway_url: str, events_url: str, args: argparse.Namespace, now: datetime
) -> Measured:
    """Seed (ending `now`), refresh and time every query on one pair of fresh databases."""
    measured = Measured(database)
    migrate(gateway_url)
    gateway, events = bulk_engine(gateway_url), bulk_engine(events_url)
    try:
        seeded = seed_history(gateway, events, conversations=args.conversations,
                              days=args.days, seed=args.seed, now=now)  # fmt: skip
    finally:
        gateway.dispose()
        events.dispose()
    measured.steps["seed"] = seeded.seconds
    _say(f"{database}: seeded in {seeded.seconds:.1f} s; folding the facts...")
    gateway, events = make_engine(gateway_url), events_engine(events_url)
    periods = {
        "7 days": Scope(seeded.end - DEFAULT_PERIOD, seeded.end),
        f"{args.days} days": Scope(seeded.start, seeded.end),
    }
    try:
        with session_factory(gateway)() as db:
            began = time.perf_counter()
            reports.refresh(db, events)
            measured.steps["facts refresh"] = time.perf_counter() - began
            _say(f"{database}: facts folded in {measured.steps['facts refresh']:.1f} s")
            for name, query in QUERIES:
                for period, scope in periods.items():
                    measured.queries[name, period] = _median(query, db, events, scope, args.runs)
                    _say(f"{database}: {name}, {period}: {measured.queries[name, period]:.3f} s")
        measured.rows = _row_counts(gateway, events)
    finally:
        gateway.dispose()
        events.dispose()
    return measured


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)  # progress; the table goes to stdout


def _median(query: Query, db: Any, events: Engine, scope: Scope, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        query(db, events, scope)
        seconds.append(time.perf_counter() - began)
        db.rollback()  # each run in a transaction of its own, as each API request
    return statistics.median(seconds)


def _row_counts(gateway: Engine, events: Engine) -> dict[str, int]:
    counted = {}
    with gateway.connect() as connection:
        present = set(inspect(connection).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name in present and ("events" in table.name or "facts" in table.name):
                counted[table.name] = connection.execute(
                    select(func.count()).select_from(table)
                ).scalar_one()
    with events.connect() as connection:
        counted[EVENTS.name] = connection.execute(select(func.count()).select_from(EVENTS)).scalar()
    return counted


def table(results: list[Measured], args: argparse.Namespace) -> str:
    """The figures as a plain-text table: one column per (database, period)."""
    periods = ["7 days", f"{args.days} days"]
    columns = [(m, p) for m in results for p in periods]
    width = 24
    lines = [
        f"reports benchmark: {args.conversations:,} conversations over {args.days} days"
        f" (seed {args.seed}); median of {args.runs} runs, seconds",
        "",
        "".ljust(width) + "".join(f"{m.database} {p}".rjust(20) for m, p in columns),
    ]
    for name, _ in QUERIES:
        cells = "".join(f"{m.queries[name, p]:.3f}".rjust(20) for m, p in columns)
        lines.append(name.ljust(width) + cells)
    lines += ["", "".ljust(width) + "".join(m.database.rjust(20) for m in results)]
    for step in ("seed", "facts refresh"):
        lines.append(step.ljust(width) + "".join(f"{m.steps[step]:.1f}".rjust(20) for m in results))
    for name in results[0].rows:
        counts = "".join(f"{m.rows.get(name, 0):,}".rjust(20) for m in results)
        lines.append(f"rows {name}".ljust(width) + counts)
    return "\n".join(lines)


@contextmanager
def _fresh(database: str, postgres_url: str) -> Iterator[tuple[str, str]]:
    """URLs of an empty gateway database and an empty events database."""
    if database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="reports-bench-") as folder:
            yield (f"sqlite:///{Path(folder) / 'handover.db'}",
                   f"sqlite:///{Path(folder) / 'rasa-events.db'}")  # fmt: skip
        return
    with ExitStack() as stack:
        yield (
            stack.enter_context(scratch_schema(postgres_url, "reports_bench")),
            stack.enter_context(scratch_schema(postgres_url, "reports_bench")),
        )
