"""Rows the roll-out tests start from: registered models, a started roll-out, a canary."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer import audit, rollout
from trainer.audit import AuditEntry
from trainer.rollout import Rollout
from trainer.tables import BOT_MODELS, MODEL_ASSIGNMENTS

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
LIVE, GOOD, BAD, UNJUDGED = "m-live", "m-good", "m-bad", "m-unjudged"


def add_model(db: Session, model_id: str, verdict: str | None = "pass") -> None:
    db.execute(
        BOT_MODELS.insert().values(
            id=model_id,
            file=f"{model_id}.tar.gz",
            sha256="0" * 64,
            data_fingerprint="1" * 64,
            size_bytes=1,
            author="tess",
            created_at=NOW,
            source="trained",
            verdict=verdict,
        )  # fmt: skip
    )


def started(db: Session) -> Rollout:
    """Four models (live, passed, failed, not judged yet) and the first start with the first."""
    for model_id, verdict in ((LIVE, "pass"), (GOOD, "pass"), (BAD, "fail"), (UNJUDGED, None)):
        add_model(db, model_id, verdict)
    return rollout.ensure_initial(db, LIVE, by="make model", now=NOW)


def canary(db: Session, share: float = 0.5, model_id: str = GOOD) -> Rollout:
    """A started roll-out with `model_id` published at NOW + 1 minute."""
    started(db)
    return rollout.publish(
        db, model_id, share=share, by="tess", force=True, now=NOW + timedelta(minutes=1)
    )


def lines(db: Session) -> list[AuditEntry]:
    """The audit log, oldest first."""
    return list(reversed(audit.recent(db, limit=1000)))


def assignments(db: Session) -> dict[str, tuple[str, str, str]]:
    """conversation -> (arm, server, model) as stored."""
    a = MODEL_ASSIGNMENTS.c
    rows = db.execute(select(a.conversation_id, a.arm, a.server, a.model_id))
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each one's result, or what it raised."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait(timeout=10)
        try:
            results[index] = calls[index]()
        except BaseException as error:  # returned for the test to look at
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
