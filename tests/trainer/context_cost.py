"""What the conversations around a text of the inbox cost: `python -m tests.trainer.context_cost
[--conversations 2000] [--days 30] [--database sqlite|postgresql|both]` (development;
PostgreSQL at TEST_POSTGRES_URL, in a scratch schema dropped afterwards).

Seeds `reporting.seed` history (Rasa's events: the excerpts come from them, as for Rasa's REST
channel), folds it, then times for the last 7 and 30 days: reading the inbox's messages
(`found_messages`, which each request reads again) and `conversations_around` for the five
texts with the most messages (median of 3 calls each), with how many lines they returned.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from handover.db import make_engine, migrate, session_factory
from reporting import broker_table, seed, session_facts
from reporting.kpis_contacts import Scope
from tests.trainer.arms_cost import database
from trainer.context import conversations_around
from trainer.inbox_sources import found_messages

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def timed(call: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    """Median seconds of `runs` calls, and the last call's result."""
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def measure(kind: str, conversations: int, days: int) -> None:
    with database(kind, "context_cost") as url:
        migrate(url)
        gateway = make_engine(url)
        events = broker_table.events_engine(url)
        seed.seed_history(gateway, events, conversations=conversations, days=days, now=NOW)
        session_facts.refresh(gateway, events)
        sessions = session_factory(gateway)
        for period in (7, 30):
            scope = Scope(NOW - timedelta(days=period), NOW + timedelta(seconds=1))
            with sessions() as db:
                reading, found = timed(lambda s=scope: found_messages(db, s, events=events))
                items = Counter(m.item for m in found)
                costs, lines = [], []
                for item, _ in items.most_common(5):
                    cost, around = timed(
                        lambda s=scope, i=item: conversations_around(
                            db, s, i, events=events, limit=5
                        )
                    )
                    costs.append(cost)
                    lines.append(sum(len(e.lines) for e in around.excerpts))
            print(
                f"{kind}, {conversations:,} conversations over {days} days, last {period} days:"
                f" {len(found):,} inbox messages, {len(items):,} texts; reading them"
                f" {reading * 1000:.0f} ms; conversations_around (5 conversations) for the 5"
                f" largest texts: median {statistics.median(costs) * 1000:.0f} ms, max"
                f" {max(costs) * 1000:.0f} ms, {min(lines)}-{max(lines)} lines"
            )
        gateway.dispose()
        events.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.trainer.context_cost")
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        measure(kind, args.conversations, args.days)


if __name__ == "__main__":
    main()
