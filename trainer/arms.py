"""The two arms of a canary, side by side: what the conversations given each model since the
canary started went through (docs/rollout.md, "The arms' figures").

An arm is the conversations assigned to it since `started_at` (`model_assignments`; a
conversation kept from before the canary is in neither). Each figure comes from the cheapest
source that says it honestly, read only for those conversations (a few indexed queries):

- messages and latency: the assignment's own counts (`trainer.assignment.record_answer`);
- fallbacks and containment: the reports' session facts (`session_facts`, folded from Rasa's
  events by `reporting.session_facts.refresh`, which `events` runs first), the sessions of the
  conversation that went on after its assignment;
- hand-overs and ratings: the gateway's own rows (`conversation_events` "queued" and "rated"
  since the assignment), written as they happen, with nothing to fold;
- failures: the audit log's "candidate_failed" lines (a server that did not answer, its
  conversation moved to the live model: `trainer.assignment.move_to_live`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from handover.models import RecordedEvent
from reporting import session_facts
from reporting.session_tables import SESSION_FACTS
from trainer.assignment import FAILED
from trainer.rollout_state import Rollout
from trainer.tables import MODEL_ASSIGNMENTS, TRAINER_AUDIT, Arm

Db = Session | Connection
CHUNK = 500  # conversation ids per IN (...): far under any database's limit on parameters
GATEWAY = RecordedEvent.__table__


@dataclass(frozen=True)
class Latency:
    """Per-message latency in ms, nearest rank, approximated: each conversation's messages are
    taken at their mean (the assignment keeps a count and a sum, not each message's)."""

    p50: float | None
    p95: float | None


@dataclass(frozen=True)
class ArmFigures:
    arm: Arm
    model_id: str
    conversations: int
    messages: int  # answered by the bot
    measured: int  # conversations with session facts (Rasa's events folded): fallback's basis
    fallbacks: int  # of those, with a message the NLU could not place
    fallback_rate: float | None
    handovers: int  # conversations queued for a person, or whose bot handed over
    handover_rate: float | None  # over `conversations`
    requests: int  # sessions with a request (the reports' containment basis)
    contained: int  # of those, ended without a person or a ticket
    containment: float | None
    csat: float | None  # mean of the ratings given
    ratings: int
    latency_ms: Latency
    failures: int = 0  # times its server did not answer and the live one did instead


@dataclass
class _Tally:
    """One arm's counts, as its conversations are read."""

    conversations: int = 0
    messages: int = 0
    measured: int = 0
    fallbacks: int = 0
    handovers: int = 0
    requests: int = 0
    contained: int = 0
    scores: list[int] = field(default_factory=list)
    latencies: list[tuple[float, int]] = field(default_factory=list)  # (mean ms, messages)


def arm_figures(db: Db, rollout: Rollout, *, events: Engine | None = None) -> dict[str, ArmFigures]:
    """The figures of the running canary's two arms, "live" and "candidate"; {} when idle.

    With `events` (the `rasa_events` engine), Rasa's new events are folded into the session
    facts first, as every report does: call it outside a write transaction (SQLite would make
    the fold wait for it).
    """
    if rollout.mode != "canary" or rollout.candidate_model is None or rollout.started_at is None:
        return {}
    if events is not None:
        session_facts.refresh(db, events)
    models: dict[Arm, str] = {"live": rollout.live_model, "candidate": rollout.candidate_model}
    a = MODEL_ASSIGNMENTS.c
    members = db.execute(
        select(a.conversation_id, a.arm, a.assigned_at, a.messages, a.latency_ms).where(
            a.assigned_at >= rollout.started_at,
            or_(*(and_(a.arm == arm, a.model_id == model) for arm, model in models.items())),
        )
    ).all()
    ids = sorted(row.conversation_id for row in members)
    sessions = _sessions(db, ids, rollout.started_at.timestamp())
    gateway = _gateway_rows(db, ids, rollout.started_at)
    tallies: dict[Arm, _Tally] = {arm: _Tally() for arm in models}
    for member in members:
        _count(tallies[member.arm], member, sessions.get(member.conversation_id, ()), gateway)
    failures = _failures(db, rollout.started_at)
    return {
        arm: replace(_figures(arm, model_id, tallies[arm]), failures=failures.get(model_id, 0))
        for arm, model_id in models.items()
    }


def _count(tally: _Tally, member: Any, sessions: Sequence[Any], gateway: dict[str, Any]) -> None:
    since = member.assigned_at
    after = [s for s in sessions if s.ended >= since.timestamp()]
    rows = [row for row in gateway.get(member.conversation_id, ()) if row.at >= since]
    tally.conversations += 1
    tally.messages += member.messages
    if after:
        tally.measured += 1
        tally.fallbacks += any(s.fallbacks > 0 for s in after)
    asked = [s for s in after if s.requests]
    tally.requests += len(asked)
    tally.contained += sum(not _taken_over(s) for s in asked)
    tally.handovers += any(row.kind == "queued" for row in rows) or any(
        s.asked_for_person or s.gateway_queued for s in after
    )
    last: dict[int, int] = {}  # episode -> its last rating (a second one replaces the first)
    for row in sorted(rows, key=lambda row: row.id):
        if row.kind == "rated" and row.score is not None:
            last[row.episode] = row.score
    tally.scores.extend(last.values())
    if member.messages > 0:
        tally.latencies.append((member.latency_ms / member.messages, member.messages))


def _taken_over(session: Any) -> bool:
    """A person or a ticket took it (the reports' containment, `reporting.session_counts`)."""
    return bool(
        session.asked_for_person
        or session.gateway_queued
        or session.bot_ticket
        or session.gateway_expired
    )


def _figures(arm: Arm, model_id: str, tally: _Tally) -> ArmFigures:
    scores = tally.scores
    return ArmFigures(
        arm=arm,
        model_id=model_id,
        conversations=tally.conversations,
        messages=tally.messages,
        measured=tally.measured,
        fallbacks=tally.fallbacks,
        fallback_rate=_rate(tally.fallbacks, tally.measured),
        handovers=tally.handovers,
        handover_rate=_rate(tally.handovers, tally.conversations),
        requests=tally.requests,
        contained=tally.contained,
        containment=_rate(tally.contained, tally.requests),
        csat=sum(scores) / len(scores) if scores else None,
        ratings=len(scores),
        latency_ms=Latency(_rank(tally.latencies, 50), _rank(tally.latencies, 95)),
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rank(weighted: list[tuple[float, int]], percentile: int) -> float | None:
    """Nearest rank over values each counted `weight` times (docs/kpis.md, "Percentiles")."""
    total = sum(weight for _, weight in weighted)
    if not total:
        return None
    rank = math.ceil(percentile * total / 100)
    seen = 0
    for value, weight in sorted(weighted):
        seen += weight
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the total")


def _sessions(db: Db, ids: Sequence[str], since: float) -> dict[str, list[Any]]:
    """The conversations' sessions that went on after `since` (epoch seconds)."""
    s = SESSION_FACTS.c
    found: dict[str, list[Any]] = defaultdict(list)
    for chunk in _chunks(ids):
        query = select(
            s.sender_id, s.ended, s.requests, s.fallbacks, s.asked_for_person, s.gateway_queued,
            s.bot_ticket, s.gateway_expired,
        ).where(s.sender_id.in_(chunk), s.ended >= since)  # fmt: skip
        for row in db.execute(query):
            found[row.sender_id].append(row)
    return found


def _gateway_rows(db: Db, ids: Sequence[str], since: datetime) -> dict[str, list[Any]]:
    """The conversations' "queued" and "rated" rows since `since`."""
    g = GATEWAY.c
    found: dict[str, list[Any]] = defaultdict(list)
    for chunk in _chunks(ids):
        query = select(g.id, g.conversation_id, g.episode, g.kind, g.at, g.score).where(
            g.conversation_id.in_(chunk), g.kind.in_(("queued", "rated")), g.at >= since
        )
        for row in db.execute(query):
            found[row.conversation_id].append(row)
    return found


def _failures(db: Db, since: datetime) -> dict[str, int]:
    """How many times each model's server failed to answer since `since`."""
    t = TRAINER_AUDIT.c
    query = (
        select(t.model_id, func.count())
        .where(t.action == FAILED, t.at >= since)
        .group_by(t.model_id)
    )
    return {model_id: count for model_id, count in db.execute(query) if model_id}


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
