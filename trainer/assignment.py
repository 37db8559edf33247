"""Which model answers each conversation: drawn once, then kept while the conversation is
active (`model_assignments`; docs/rollout.md, "Stickiness").

A conversation seen within `idle_minutes` keeps its server and model whatever the roll-out did
since: a promotion or a rollback changes only what new conversations draw. The one exception is
a server told to hold another model meanwhile (a new candidate published on the standby that
still served the conversations of the last one, or a new live file at a start): the model the
conversation had is gone, so it is drawn again and the answer says `switched`.

Both functions work in the caller's transaction, and two requests of one conversation at once
get one answer: the first write wins (INSERT ... ON CONFLICT DO NOTHING, or an UPDATE naming
the row it replaces), the other reads it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, select, update

from handover.models import UtcDateTime, utcnow
from trainer import audit
from trainer.rollout_state import Db, Rollout, insert_for, require, server_models
from trainer.tables import MAX_CONVERSATION, MODEL_ASSIGNMENTS, Arm

FAILED = "candidate_failed"  # the audit line of a candidate server that did not answer
random_draw = random.random  # the draw of a new conversation's arm


@dataclass(frozen=True)
class Assignment:
    conversation_id: str
    arm: Arm
    model_id: str
    server: str
    new: bool  # this call drew it (a new conversation, or one idle for too long, or switched)
    switched: bool  # drawn again while active: its server was given another model meanwhile


def assign(
    db: Db,
    conversation_id: str,
    *,
    now: datetime,
    idle_minutes: int,
    draw: Callable[[], float] = random_draw,
) -> Assignment:
    """The server and model that answer this conversation's message at `now`.

    Kept when the conversation was assigned or answered (`record_answer`) within
    `idle_minutes` and its server still holds its model; otherwise drawn: the candidate when a
    canary runs and `draw()` < its share.

    Raises:
        ValueError: an empty or too long conversation id, a naive `now`, `idle_minutes` < 1.
        RolloutError: "no_rollout" before the first start.
    """
    if not isinstance(conversation_id, str) or not 1 <= len(conversation_id) <= MAX_CONVERSATION:
        raise ValueError(f"a conversation id has 1 to {MAX_CONVERSATION} characters")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if idle_minutes < 1:
        raise ValueError("idle_minutes must be at least 1")
    table = MODEL_ASSIGNMENTS.c
    mine = table.conversation_id == conversation_id
    found = db.execute(select(MODEL_ASSIGNMENTS).where(mine)).first()
    active = found is not None and found.last_seen_at >= now - timedelta(minutes=idle_minutes)
    if found is not None and active and server_models(db).get(found.server) == found.model_id:
        # Read only: `record_answer` notes the activity, in the one write of a message.
        return Assignment(conversation_id, found.arm, found.model_id, found.server, False, False)
    arm, server, model_id = _drawn(require(db), draw)
    values = {
        "arm": arm, "model_id": model_id, "server": server, "assigned_at": now,
        "last_seen_at": now, "messages": 0, "latency_ms": 0.0,
    }  # fmt: skip
    if found is None:
        insert = insert_for(db, MODEL_ASSIGNMENTS).values(conversation_id=conversation_id, **values)
        written = db.execute(insert.on_conflict_do_nothing()).rowcount
    else:
        as_seen = (
            table.model_id == found.model_id,
            table.server == found.server,
            table.assigned_at == found.assigned_at,
            table.last_seen_at == found.last_seen_at,
        )
        statement = update(MODEL_ASSIGNMENTS).where(mine, *as_seen).values(**values)
        written = db.execute(statement).rowcount
    if written:
        return Assignment(conversation_id, arm, model_id, server, True, active)
    won = db.execute(select(MODEL_ASSIGNMENTS).where(mine)).one()  # another request's answer
    return Assignment(conversation_id, won.arm, won.model_id, won.server, False, False)


def record_answer(db: Db, conversation_id: str, *, latency_ms: float, now: datetime) -> bool:
    """Count one answered message and its latency on the conversation's assignment, and note
    the conversation active at `now`; False when it has no assignment (nothing written)."""
    if not isinstance(latency_ms, (int, float)) or not math.isfinite(latency_ms) or latency_ms < 0:
        raise ValueError("latency_ms must be a finite number of milliseconds, 0 or more")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    table = MODEL_ASSIGNMENTS.c
    statement = (
        update(MODEL_ASSIGNMENTS)
        .where(table.conversation_id == conversation_id)
        .values(
            messages=table.messages + 1,
            latency_ms=table.latency_ms + float(latency_ms),
            last_seen_at=_later(now),
        )
    )
    return bool(db.execute(statement).rowcount)


def assignment_of(db: Db, conversation_id: str) -> Assignment | None:
    """The conversation's assignment as it stands, without drawing or counting anything."""
    query = select(MODEL_ASSIGNMENTS).where(MODEL_ASSIGNMENTS.c.conversation_id == conversation_id)
    found = db.execute(query).first()
    if found is None:
        return None
    return Assignment(conversation_id, found.arm, found.model_id, found.server, False, False)


def move_to_live(db: Db, conversation_id: str, *, now: datetime | None = None) -> Assignment:
    """The conversation's server did not answer: it goes to the live model for good (drawn
    anew, `switched`), and the failure is audited ("candidate_failed", with the model it was
    on): the canary's check rolls back a candidate whose server fails (`trainer.canary`)."""
    if not isinstance(conversation_id, str) or not 1 <= len(conversation_id) <= MAX_CONVERSATION:
        raise ValueError(f"a conversation id has 1 to {MAX_CONVERSATION} characters")
    at = now or utcnow()
    state = require(db)
    was = assignment_of(db, conversation_id)
    values = {
        "arm": "live", "model_id": state.live_model, "server": state.live_server,
        "assigned_at": at, "last_seen_at": at, "messages": 0, "latency_ms": 0.0,
    }  # fmt: skip
    insert = insert_for(db, MODEL_ASSIGNMENTS).values(conversation_id=conversation_id, **values)
    db.execute(insert.on_conflict_do_update(index_elements=["conversation_id"], set_=values))
    if was is not None and (was.server, was.model_id) != (state.live_server, state.live_model):
        # No conversation id: the audit log names no customer (erasure has nothing to find).
        details = {"server": was.server, "arm": was.arm}
        audit.record(db, actor=audit.SYSTEM, action=FAILED, model_id=was.model_id,
                     details=details, now=at)  # fmt: skip
    return Assignment(conversation_id, "live", state.live_model, state.live_server, True, True)


def _drawn(state: Rollout, draw: Callable[[], float]) -> tuple[Arm, str, str]:
    """(arm, server, model) for a new conversation."""
    canary = state.mode == "canary" and state.candidate_model and state.candidate_server
    if canary and draw() < state.share:
        assert state.candidate_model is not None and state.candidate_server is not None
        return "candidate", state.candidate_server, state.candidate_model
    return "live", state.live_server, state.live_model


def _later(now: datetime) -> object:
    """`last_seen_at` moved to `now`, never back (requests may finish out of order)."""
    column = MODEL_ASSIGNMENTS.c.last_seen_at
    return case((column < now, literal(now, UtcDateTime())), else_=column)
