"""The hours or days of a period in a time zone, which series split their figures by."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from reporting.kpis_contacts import Scope

Bucket = Literal["hour", "day"]


def bucket_starts(scope: Scope, bucket: Bucket, tz: ZoneInfo) -> list[datetime]:
    """The starts of the buckets (hours or days in `tz`) that meet the period, in `tz`."""
    local = scope.start.astimezone(tz)
    starts: list[datetime] = []
    if bucket == "day":
        day = local.date()
        while (at := datetime.combine(day, time(), tzinfo=tz)) < scope.end:
            starts.append(at)
            day += timedelta(days=1)
    elif bucket == "hour":
        # Step in UTC: an hour on a clock that jumps (summer time) is still 3600 s.
        at = local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
        while at < scope.end:
            starts.append(at.astimezone(tz))
            at += timedelta(hours=1)
    else:
        raise ValueError(f"unknown bucket: {bucket}")
    return starts
