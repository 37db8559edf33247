"""What the canary's figures and assignments cost: `python -m tests.trainer.arms_cost
[--conversations 1000] [--database sqlite|postgresql|both]` (development; PostgreSQL at
TEST_POSTGRES_URL, in a scratch schema dropped afterwards).

Seeds a day of `reporting.seed` history, assigns each of its conversations to an arm of a
canary, then times: the first fold of Rasa's events into the session facts, `arm_figures`
with the fold when nothing is new and after 20 new conversations, `check_canary`, and
`assign` + `record_answer` per message, each in its own transaction as the gateway runs them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from handover.db import make_engine, migrate, scratch_schema, session_factory, session_scope
from reporting import broker_table, seed, session_facts
from tests.trainer.rollout_rows import GOOD, LIVE, add_model
from trainer import rollout
from trainer.arms import arm_figures
from trainer.assignment import assign, record_answer
from trainer.canary import CanaryGates, check_canary
from trainer.tables import MODEL_ASSIGNMENTS

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def database(kind: str, name: str = "arms_cost") -> Iterator[str]:
    """A scratch database of `kind`: a PostgreSQL schema `name`, or a SQLite file."""
    if kind == "postgresql":
        with scratch_schema(POSTGRES_URL, name) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/gateway.db"


def timed(call: Callable[[], Any], runs: int = 5) -> float:
    """Median seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(kind: str, conversations: int) -> None:
    with database(kind) as url:
        migrate(url)
        gateway = make_engine(url)
        events = broker_table.events_engine(url)
        sessions = session_factory(gateway)
        seed.seed_history(gateway, events, conversations=conversations, days=1, now=NOW)
        with session_scope(sessions) as db:
            add_model(db, LIVE)
            add_model(db, GOOD)
            rollout.ensure_initial(db, LIVE, now=NOW - timedelta(days=2))
            state = rollout.publish(db, GOOD, share=0.5, by="bench", now=NOW - timedelta(days=2))
        _assign_senders(events, sessions)
        began = time.perf_counter()
        session_facts.refresh(gateway, events)
        first_fold = time.perf_counter() - began

        def figures(fold: bool) -> Any:
            with sessions() as db:
                return arm_figures(db, state, events=events if fold else None)

        found = figures(True)
        without_fold = timed(lambda: figures(False))
        nothing_new = timed(lambda: figures(True))
        seed.seed_history(gateway, events, conversations=20, days=1, now=NOW, force=True)
        began = time.perf_counter()
        figures(True)
        twenty_new = time.perf_counter() - began
        gates = CanaryGates(min_conversations=10**9)  # measure the check, never end the canary

        def check() -> None:
            with session_scope(sessions) as db:
                check_canary(db, gates, events=events)

        checking = timed(check)
        per_message = _per_message(sessions, 200)
        counts = {arm: (f.conversations, f.measured, f.requests) for arm, f in found.items()}
        print(
            f"{kind}: {conversations} conversations (arms: conversations, measured, requests"
            f" {counts}); first fold {first_fold:.2f} s; arm_figures {without_fold * 1000:.0f} ms"
            f" without the fold, {nothing_new * 1000:.0f} ms with nothing new to fold,"
            f" {twenty_new * 1000:.0f} ms after 20 new conversations; check_canary"
            f" {checking * 1000:.0f} ms; per message: assign {per_message[0] * 1000:.1f} ms,"
            f" record_answer {per_message[1] * 1000:.1f} ms"
        )
        gateway.dispose()
        events.dispose()


def _assign_senders(events: Engine, sessions: Any) -> None:
    """Every seeded conversation in an arm, assigned at its first event."""
    with events.connect() as connection:
        firsts = connection.execute(
            select(
                broker_table.EVENTS.c.sender_id, func.min(broker_table.EVENTS.c.timestamp)
            ).group_by(broker_table.EVENTS.c.sender_id)
        ).all()
    rows = []
    for n, (sender, first) in enumerate(sorted(firsts)):
        at = datetime.fromtimestamp(first, timezone.utc)
        arm, model_id = ("candidate", GOOD) if n % 2 else ("live", LIVE)
        rows.append({
            "conversation_id": sender[:64], "arm": arm, "model_id": model_id,
            "server": "b" if n % 2 else "a", "assigned_at": at, "last_seen_at": at,
            "messages": 4, "latency_ms": 4 * (150.0 + n % 200),
        })  # fmt: skip
    with session_scope(sessions) as db:
        db.execute(MODEL_ASSIGNMENTS.insert(), rows)


def _per_message(sessions: Any, count: int) -> tuple[float, float]:
    """Mean seconds of one message's `assign` and `record_answer`, each in its own transaction
    (50 conversations: the first message of each is a new draw, the others are kept)."""
    spent = [0.0, 0.0]
    for n in range(count):
        now = NOW + timedelta(seconds=n)
        for index, step in enumerate((assign, record_answer)):
            began = time.perf_counter()
            with session_scope(sessions) as db:
                if step is assign:
                    assign(db, f"bench-{n % 50}", now=now, idle_minutes=60)
                else:
                    record_answer(db, f"bench-{n % 50}", latency_ms=120, now=now)
            spent[index] += time.perf_counter() - began
    return spent[0] / count, spent[1] / count


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.trainer.arms_cost")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    seed.refuse_outside_development(os.environ.get("SWITCHBOARD_ENVIRONMENT", "production"))
    for kind in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        measure(kind, args.conversations)


if __name__ == "__main__":
    main()
