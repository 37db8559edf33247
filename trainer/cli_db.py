"""The databases the trainer's reading commands (`inbox`, `around`) open: the gateway's
(`DATABASE_URL`, as `python -m handover` reads it) and Rasa's events (`REPORTING_EVENTS_URL`),
for the last `--days` days with the `--language` and `--channel` filters. Settings that do not
validate or a database that cannot be read are said on stderr in one line and end the command
(`Failed`, with its exit status: 2 settings, 1 a database)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from handover.config import settings
from handover.db import make_engine, session_factory
from reporting.kpis_contacts import Scope
from reporting.settings import ReportingSettings

T = TypeVar("T")
Read = Callable[[Session, Scope, Engine, float], T]  # session, period, events, low confidence


class Failed(Exception):
    """Said on stderr already; the command exits with `status`."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def read(args: argparse.Namespace, reader: Read[T]) -> T:
    """`reader`'s result on the databases, for `args.days`, `args.language`, `args.channel`."""
    try:
        url, reporting = settings().database_url, ReportingSettings()
    except ValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        raise Failed(2) from None
    now = datetime.now(timezone.utc)
    scope = Scope(now - timedelta(days=args.days), now, args.language, args.channel)
    # Rasa's events: read, never created.
    engine, events = make_engine(url), create_engine(reporting.events_url, future=True)
    try:
        with session_factory(engine)() as session:
            return reader(session, scope, events, reporting.low_confidence)
    except SQLAlchemyError as error:
        # The driver's first line ("no such table: ..."), never the statement or its values.
        reason = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
        print(f"error: cannot read the gateway's database: {reason}", file=sys.stderr)
        raise Failed(1) from None
    finally:
        engine.dispose()
        events.dispose()
