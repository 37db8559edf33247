"""The trainer's audit log: who did what to which model, and why (`trainer_audit`).

One row per thing that changed what customers get: a training started or finished, a model
published, promoted or rolled back (by a person or by the canary, actor "system"), the live
model set at a start. Written in the caller's transaction, so that a change and its line are
committed together or not at all. `details` is a JSON object (reasons, figures, what was
forced); free text in it was written by staff and redacted by the writer (`trainer.rollout`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from handover.models import utcnow
from trainer.tables import MAX_BY, MAX_ID, TRAINER_AUDIT

Db = Session | Connection
MAX_ACTION = 32  # as the column
MAX_DETAILS = 100_000  # characters of JSON: figures of two arms and reasons are a few thousand
MAX_LIMIT = 1000
SYSTEM = "system"  # the actor of the canary's automatic decisions


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    model_id: str | None
    details: dict[str, Any]


def record(
    db: Db,
    *,
    actor: str,
    action: str,
    model_id: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add a line to the log, in the caller's transaction.

    Raises:
        ValueError: an empty or too long actor, action or model id, or details that are not
            JSON (NaN included) or too large.
    """
    _check("actor", actor, MAX_BY)
    _check("action", action, MAX_ACTION)
    if model_id is not None:
        _check("model_id", model_id, MAX_ID)
    text = _json(details or {})
    db.execute(
        TRAINER_AUDIT.insert().values(
            at=now or utcnow(), actor=actor, action=action, model_id=model_id, details=text
        )
    )


def recent(db: Db, limit: int = 50, *, model_id: str | None = None) -> list[AuditEntry]:
    """The last `limit` lines (of one model's, if given), newest first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_LIMIT}")
    table = TRAINER_AUDIT.c
    query = select(TRAINER_AUDIT).order_by(table.id.desc()).limit(limit)
    if model_id is not None:
        query = query.where(table.model_id == model_id)
    return [
        AuditEntry(row.id, row.at, row.actor, row.action, row.model_id, _details(row.details))
        for row in db.execute(query)
    ]


def _check(name: str, value: str, length: int) -> None:
    if not isinstance(value, str) or not value or len(value) > length:
        raise ValueError(f"{name} must be a string of 1 to {length} characters")


def _json(details: dict[str, Any]) -> str:
    if not isinstance(details, dict):
        raise ValueError("details must be a JSON object")
    try:
        # ASCII: control characters and lone surrogates are stored escaped, readable anywhere.
        text = json.dumps(details, sort_keys=True, allow_nan=False, default=_plain)
    except (TypeError, ValueError) as error:
        raise ValueError(f"details must be JSON: {error}") from None
    if len(text) > MAX_DETAILS:
        raise ValueError(f"details must take at most {MAX_DETAILS:,} characters of JSON")
    return text


def _plain(value: Any) -> Any:
    """Times as ISO 8601; anything else JSON does not know is refused."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _details(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {"unreadable": True}  # written by hand in the database: shown, not fatal
    return found if isinstance(found, dict) else {"value": found}
