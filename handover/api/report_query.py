"""The reports' filters (query parameters, each refused with a clear 422) and their CSV files.

A period is `[start, end)`, both ISO 8601 with a UTC offset; without them it is the 7 days up to
now. It may not be longer than `MAX_DAYS`, nor end before it starts; hour buckets only for
`MAX_HOUR_DAYS`. Dates outside 2000-2099 are refused too: nothing was recorded then, and the
previous period of a year-1 date cannot be computed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from handover.models import utcnow
from reporting.kpis_contacts import Scope

DEFAULT_DAYS = 7
MAX_DAYS = 366
MAX_HOUR_DAYS = 31
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
Language = Literal["en", "fr"]
Channel = Literal["socketio", "rest"]
Skill = Literal["billing", "network", "orders", "accounts", "general"]  # models.SKILLS
# What a spreadsheet would run as a formula (OWASP's list: = + - @, tab and carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _refused(where: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", where), "msg": message,
                                     "type": "value_error.report_filter"}])  # fmt: skip


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones() | {"UTC"})


@dataclass(frozen=True)
class Filters:
    """The checked filters: the scope (period in UTC and filters) and the time zone."""

    scope: Scope
    tz: ZoneInfo

    def filename(self, name: str) -> str:
        """`name-2026-11-22_2026-11-29.csv`: the period's first and last dates in `tz`."""
        first = self.scope.start.astimezone(self.tz).date()
        last = self.scope.end.astimezone(self.tz).date()
        return f"{name}-{first.isoformat()}_{last.isoformat()}.csv"


def _moment(where: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise _refused(where, f"{where} needs a UTC offset, e.g. 2026-11-22T00:00:00+01:00")
    if not EARLIEST <= value < LATEST:
        raise _refused(where, f"{where} must be in the years 2000 to 2099")
    return value.astimezone(timezone.utc)


def report_filters(
    start: Annotated[
        datetime | None,
        Query(description="ISO 8601 with an offset; default: 7 days before `end`"),
    ] = None,
    end: Annotated[
        datetime | None, Query(description="ISO 8601 with an offset, excluded; default: now")
    ] = None,
    language: Language | None = None,
    channel: Annotated[
        Channel | None, Query(description="socketio: the widget; rest: Rasa's REST channel")
    ] = None,
    skill: Annotated[
        Skill | None, Query(description="the bot's figures have no skill: null with it")
    ] = None,
    tz: Annotated[
        str, Query(max_length=64, description="IANA time zone of the buckets and file names")
    ] = "UTC",
) -> Filters:
    """The period and filters of a report, or a 422 saying what is wrong."""
    if tz not in time_zones():
        raise _refused("tz", "unknown time zone: use an IANA name such as Europe/Paris or UTC")
    until = _moment("end", end) if end is not None else utcnow()
    since = _moment("start", start) if start is not None else until - timedelta(DEFAULT_DAYS)
    if until <= since:
        raise _refused("end", "end must be after start")
    if until - since > timedelta(days=MAX_DAYS):
        raise _refused("start", f"the period must not be longer than {MAX_DAYS} days")
    return Filters(Scope(since, until, language, channel, skill), ZoneInfo(tz))


ReportFilters = Annotated[Filters, Depends(report_filters)]


def check_hours(filters: Filters, bucket: str) -> None:
    if bucket == "hour" and filters.scope.end - filters.scope.start > timedelta(MAX_HOUR_DAYS):
        raise _refused("bucket", f"hour buckets need a period of at most {MAX_HOUR_DAYS} days")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    # Numbers stay numbers (-1.5 is not a formula); text that looks like one gets a quote.
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_response(rows: list[dict[str, Any]], columns: list[str], filename: str) -> Response:
    """A CSV file: a header row of `columns` (the JSON keys), then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
