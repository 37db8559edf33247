"""The roll-out: which model serves customers, which one is tried on a share of new
conversations, and which model each Rasa server must hold (docs/rollout.md).

Two Rasa servers, "a" and "b", load the model the gateway's model server hands them
(`rasa_servers`). The live model is on the live server; a candidate goes on the other one, the
standby, and takes `share` of the new conversations (`trainer.assignment`, whose functions
this module also offers: `assign`, `record_answer`, `assignment_of`, `move_to_live`).
Promotion makes the candidate live where it already runs (the live server flips, no model is
loaded); the old live server keeps its model for the conversations still on it, as the
standby does after a rollback.

Every transition is here: checked, written in the caller's transaction (commit it:
`handover.db.session_scope`, or the gateway's `hub.db`), audited (`trainer.audit`), and
returned as the new `Rollout`. The row is changed by a conditional UPDATE naming the state the
caller saw, so two deciders at once (the canary's check and a trainer's click) cannot both
apply: the second gets `RolloutError` "busy" or "no_candidate" and changes nothing.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update

from handover.models import utcnow
from privacy.redaction import redact
from trainer import audit
from trainer.assignment import (  # noqa: F401  (the roll-out's API: the router calls them here)
    Assignment,
    assign,
    assignment_of,
    move_to_live,
    random_draw,
    record_answer,
)
from trainer.rollout_state import (  # noqa: F401  (the roll-out's API)
    SERVERS,
    Code,
    Db,
    Rollout,
    RolloutError,
    current,
    insert_for,
    require,
    server_models,
)
from trainer.tables import BOT_MODELS, MAX_BY, RASA_SERVERS, ROLLOUT, ROLLOUT_ROW, TRAINER_AUDIT

MAX_REASON = 1000
STARTS = ("initial", "imported_live")  # the audit lines that name the model a start was given


def ensure_initial(
    db: Db,
    live_model_id: str,
    *,
    by: str = audit.SYSTEM,
    servers: tuple[str, ...] = SERVERS,
    now: datetime | None = None,
) -> Rollout:
    """At a start with `live_model_id` (the `make model` file, registered): on the first, it
    is live on "a" and every server holds it. Later starts change nothing, unless the model
    differs from the one the last start was given (a new file) and no canary runs: then it
    becomes live on the live server ("imported_live"). Comparing with the last start's model,
    not the live one, keeps a promoted model live across restarts with the same file."""
    _check_by(by)
    _model_verdict(db, live_model_id)
    at = now or utcnow()
    for name in servers:
        db.execute(
            insert_for(db, RASA_SERVERS)
            .values(name=name, model_id=live_model_id, updated_at=at)
            .on_conflict_do_nothing()
        )
    values = {
        "id": ROLLOUT_ROW, "mode": "idle", "live_model": live_model_id, "live_server": servers[0],
        "share": 0.0, "updated_at": at, "updated_by": by,
    }  # fmt: skip
    if db.execute(insert_for(db, ROLLOUT).values(**values).on_conflict_do_nothing()).rowcount:
        audit.record(db, actor=by, action="initial", model_id=live_model_id, now=at)
        return _read(db)
    state = _read(db)
    if _last_start(db) in (None, live_model_id) or state.mode != "idle":
        return state  # the same file as before, or a canary to finish first
    changed = db.execute(
        update(ROLLOUT)
        .where(*_expecting(state))
        .values(live_model=live_model_id, updated_at=at, updated_by=by)
    ).rowcount
    if not changed:
        return _read(db)  # a transition came first: the next start tries again
    _hold(db, state.live_server, live_model_id, at)
    details = {"previous": state.live_model, "server": state.live_server}
    audit.record(
        db, actor=by, action="imported_live", model_id=live_model_id, details=details, now=at
    )
    return _read(db)


def publish(
    db: Db,
    model_id: str,
    *,
    share: float,
    by: str,
    force: bool = False,
    now: datetime | None = None,
) -> Rollout:
    """Start a canary: `model_id` goes on the standby server and takes `share` (0 < share <= 1)
    of new conversations. A model whose verdict failed, or that has none yet, needs `force`
    (audited as forced)."""
    _check_by(by)
    _check_share(share, allow_zero=False)
    state = require(db)
    verdict = _model_verdict(db, model_id)
    if state.mode == "canary":
        raise RolloutError("busy", f"a canary of {state.candidate_model} runs: decide it first")
    if model_id == state.live_model:
        raise RolloutError("same_model", f"{model_id} is the live model already")
    if verdict != "pass" and not force:
        said = "failed its evaluation" if verdict == "fail" else "has no evaluation verdict yet"
        raise RolloutError("verdict_failed", f"{model_id} {said}: publishing it needs force")
    at = now or utcnow()
    server = state.standby_server
    changed = db.execute(
        update(ROLLOUT)
        .where(*_expecting(state))
        .values(mode="canary", candidate_model=model_id, candidate_server=server, share=share)
        .values(started_at=at, updated_at=at, updated_by=by)
    ).rowcount
    if not changed:
        raise RolloutError("busy", "the roll-out changed meanwhile: look again")
    replaced = server_models(db).get(server)
    _hold(db, server, model_id, at)
    details: dict[str, Any] = {"share": share, "server": server, "verdict": verdict}
    details.update(replaced=replaced, forced=force and verdict != "pass")
    audit.record(db, actor=by, action="published", model_id=model_id, details=details, now=at)
    return _read(db)


def set_share(db: Db, share: float, *, by: str, now: datetime | None = None) -> Rollout:
    """Change the running canary's share of new conversations (0 pauses it)."""
    _check_by(by)
    _check_share(share, allow_zero=True)
    state = require(db)
    if state.mode != "canary":
        raise RolloutError("no_candidate", "no canary is running")
    at = now or utcnow()
    statement = update(ROLLOUT).where(*_expecting(state))
    if not db.execute(statement.values(share=share, updated_at=at, updated_by=by)).rowcount:
        raise RolloutError("busy", "the canary changed meanwhile: look again")
    details = {"from": state.share, "to": share}
    audit.record(
        db, actor=by, action="share_changed", model_id=state.candidate_model, details=details
    )
    return _read(db)


def promote(
    db: Db,
    *,
    by: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    canary: Rollout | None = None,
    now: datetime | None = None,
) -> Rollout:
    """The candidate becomes live where it runs (the live server flips); mode idle. `canary`:
    the canary a decision was made on (refused as "busy" if another runs now)."""
    return _end_canary(db, "promoted", by, reason, details, canary, now)


def rollback(
    db: Db,
    *,
    by: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    canary: Rollout | None = None,
    now: datetime | None = None,
) -> Rollout:
    """The canary ends, the live model stays; the standby keeps the candidate for the
    conversations already on it."""
    return _end_canary(db, "rolled_back", by, reason, details, canary, now)


def _end_canary(
    db: Db,
    action: Literal["promoted", "rolled_back"],
    by: str,
    reason: str,
    details: dict[str, Any] | None,
    canary: Rollout | None,
    now: datetime | None,
) -> Rollout:
    _check_by(by)
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise ValueError(f"a reason has at most {MAX_REASON} characters")
    state = require(db)
    if state.mode != "canary":
        ended = f"{state.updated_by} ended the canary meanwhile"
        raise RolloutError("no_candidate", ended if canary else "no canary is running")
    seen = canary or state
    if (seen.candidate_model, seen.started_at) != (state.candidate_model, state.started_at):
        raise RolloutError("busy", "another canary runs now than the one decided on")
    at = now or utcnow()
    values: dict[str, Any] = {"mode": "idle", "candidate_model": None, "candidate_server": None}
    values.update(share=0.0, updated_at=at, updated_by=by)
    if action == "promoted":
        values.update(live_model=state.candidate_model, live_server=state.candidate_server)
    if not db.execute(update(ROLLOUT).where(*_expecting(seen)).values(**values)).rowcount:
        after = _read(db)
        if after.mode != "canary":
            raise RolloutError("no_candidate", f"{after.updated_by} ended the canary meanwhile")
        raise RolloutError("busy", "the canary changed meanwhile: look again")
    lines: dict[str, Any] = {
        "reason": _redacted(reason, by),
        "live_model": state.live_model, "live_server": state.live_server,
        "candidate_server": state.candidate_server, "share": state.share,
        "started_at": state.started_at,
    }  # fmt: skip
    lines.update(details or {})
    audit.record(db, actor=by, action=action, model_id=state.candidate_model, details=lines, now=at)
    return _read(db)


def _redacted(reason: str, by: str) -> str:
    """A person's reason as stored: redacted, as every free text is. The canary's are built
    from figures (and redacting builds Presidio's engine: seconds, once per process)."""
    if by == audit.SYSTEM or not reason.strip():
        return reason.strip()
    return redact(reason)


def _expecting(state: Rollout) -> tuple[Any, ...]:
    """The WHERE of a conditional update: the row is still as `state` saw it."""
    c = ROLLOUT.c
    return (
        c.id == ROLLOUT_ROW,
        c.mode == state.mode,
        c.live_model == state.live_model,
        c.live_server == state.live_server,
        *(
            (c.candidate_model == state.candidate_model, c.started_at == state.started_at)
            if state.mode == "canary"
            else ()
        ),
    )


def _hold(db: Db, server: str, model_id: str, at: datetime) -> None:
    """Server `server` must now hold `model_id`."""
    insert = insert_for(db, RASA_SERVERS).values(name=server, model_id=model_id, updated_at=at)
    changes = {"model_id": model_id, "updated_at": at}
    db.execute(insert.on_conflict_do_update(index_elements=["name"], set_=changes))


def _read(db: Db) -> Rollout:
    found = current(db)
    assert found is not None  # written in this transaction
    return found


def _model_verdict(db: Db, model_id: str) -> str | None:
    """The verdict of a registered model ("pass", "fail" or None); "not_found" otherwise."""
    if not isinstance(model_id, str) or not model_id:
        raise RolloutError("not_found", "no model id given")
    query = select(BOT_MODELS.c.id, BOT_MODELS.c.verdict).where(BOT_MODELS.c.id == model_id)
    row = db.execute(query).first()
    if row is None:
        raise RolloutError("not_found", f"no model {model_id[:80]!r} in the registry")
    return row.verdict


def _last_start(db: Db) -> str | None:
    """The model the last start was given, as the audit log remembers it."""
    t = TRAINER_AUDIT.c
    query = select(t.model_id).where(t.action.in_(STARTS)).order_by(t.id.desc()).limit(1)
    return db.execute(query).scalar()


def _check_by(by: str) -> None:
    if not isinstance(by, str) or not by.strip() or len(by) > MAX_BY:
        raise ValueError(f"by must name who acts in 1 to {MAX_BY} characters")


def _check_share(share: float, *, allow_zero: bool) -> None:
    low = "0 <=" if allow_zero else "0 <"
    if (
        not isinstance(share, (int, float))
        or isinstance(share, bool)
        or not math.isfinite(share)
        or not (share >= 0 if allow_zero else share > 0)
        or share > 1
    ):
        raise RolloutError("bad_share", f"the share must be a number with {low} share <= 1")
