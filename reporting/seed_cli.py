"""`python -m handover reports seed --conversations N [--days D] [--seed S] [--force | --if-empty]`.

Writes a seeded history (`reporting.seed`) into the gateway's database (`DATABASE_URL`,
migrated first) and the events database (`REPORTING_EVENTS_URL`), then folds it into the
facts tables so that the first dashboard load is quick. Development only. Exit status: 0 done
(or, with `--if-empty`, nothing to do), 2 refused or bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from pydantic import ValidationError

from handover.config import settings
from handover.db import migrate, session_factory
from reporting.seed import (
    DEFAULT_DAYS,
    DEFAULT_SEED,
    SeedRefused,
    bulk_engine,
    has_history,
    refuse_outside_development,
    seed_history,
)
from reporting.settings import ReportingSettings

MAX_DAYS = 366


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _days(text: str) -> int:
    value = _positive(text)
    if value > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"at most {MAX_DAYS}")
    return value


def add_parser(commands: Any) -> None:
    """Add the `reports` command (with `seed`) to the subparsers of `python -m handover`."""
    parser = commands.add_parser("reports", help="reports: seed a history for demos and tests")
    actions = parser.add_subparsers(dest="reports_command", required=True)
    seed = actions.add_parser(
        "seed",
        help="development only: write N realistic conversations over the last D days into"
        " conversation_events and rasa_events",
    )
    seed.add_argument("--conversations", type=_positive, required=True)
    seed.add_argument("--days", type=_days, default=DEFAULT_DAYS, help="default: %(default)s")
    seed.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="the same seed, the same history"
    )
    when = seed.add_mutually_exclusive_group()
    when.add_argument("--force", action="store_true", help="add to a history that has rows")
    when.add_argument("--if-empty", action="store_true",
                      help="do nothing, successfully, when there is a history already")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run `reports seed`; returns the exit status."""
    config = settings()
    try:
        refuse_outside_development(config.environment)
        events_url = ReportingSettings().events_url
    except (SeedRefused, ValidationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    migrate(config.database_url)
    gateway, events = bulk_engine(config.database_url), bulk_engine(events_url)
    try:
        if args.if_empty and has_history(gateway, events):
            return 0
        seeded = seed_history(gateway, events, conversations=args.conversations,
                              days=args.days, seed=args.seed, force=args.force)  # fmt: skip
        from reporting import reports  # the report service: not needed to parse arguments

        began = time.monotonic()
        with session_factory(gateway)() as session:
            reports.refresh(session, events)
        folded = time.monotonic() - began
    except SeedRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        gateway.dispose()
        events.dispose()
    print(
        f"seeded {seeded.conversations:,} conversations from {seeded.start:%Y-%m-%d %H:%M} to"
        f" {seeded.end:%Y-%m-%d %H:%M} UTC: {seeded.gateway_rows:,} conversation_events rows,"
        f" {seeded.rasa_rows:,} rasa_events rows in {seeded.seconds:.1f} s; facts refreshed in"
        f" {folded:.1f} s"
    )
    return 0
