"""Which model answers each conversation (`trainer.assignment`) on SQLite and PostgreSQL: the
draw and its share, stickiness across promote and rollback, the switch when a server is given
another model, many requests of one conversation at once, and the answers' counts."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import session_factory, session_scope
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.rollout_rows import (
    GOOD,
    LIVE,
    NOW,
    UNJUDGED,
    assignments,
    at_once,
    canary,
    lines,
    started,
)
from trainer import rollout
from trainer.assignment import Assignment, assign, assignment_of, move_to_live, record_answer
from trainer.rollout import RolloutError
from trainer.tables import MODEL_ASSIGNMENTS

IDLE = 60


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def draws(*values: float) -> object:
    """A draw that returns `values` in turn, and fails if asked once more."""
    left = list(values)
    return lambda: left.pop(0)


def never() -> float:
    raise AssertionError("no draw expected")


def test_without_a_rollout_nothing_is_assigned(session: Session) -> None:  # noqa: F811
    with pytest.raises(RolloutError) as refused:
        assign(session, "c1", now=NOW, idle_minutes=IDLE)
    assert refused.value.code == "no_rollout"


def test_when_idle_everyone_gets_the_live_model_without_a_draw(session: Session) -> None:  # noqa: F811
    started(session)
    found = assign(session, "c1", now=NOW, idle_minutes=IDLE, draw=never)
    assert found == Assignment("c1", "live", LIVE, "a", new=True, switched=False)
    assert assign(session, "c1", now=at(1), idle_minutes=IDLE, draw=never) == Assignment(
        "c1", "live", LIVE, "a", new=False, switched=False
    )


def test_during_a_canary_the_draw_picks_the_arm(session: Session) -> None:  # noqa: F811
    canary(session, share=0.3)
    draw = draws(0.0, 0.2999, 0.3, 0.99)
    found = [assign(session, f"c{n}", now=at(2), idle_minutes=IDLE, draw=draw) for n in range(4)]  # type: ignore[arg-type]
    assert [(a.arm, a.server, a.model_id, a.new) for a in found] == [
        ("candidate", "b", GOOD, True), ("candidate", "b", GOOD, True),
        ("live", "a", LIVE, True), ("live", "a", LIVE, True),
    ]  # fmt: skip
    assert assignments(session) == {
        "c0": ("candidate", "b", GOOD), "c1": ("candidate", "b", GOOD),
        "c2": ("live", "a", LIVE), "c3": ("live", "a", LIVE),
    }  # fmt: skip


def test_the_candidate_takes_its_share_of_new_conversations(session: Session) -> None:  # noqa: F811
    canary(session, share=0.3)
    seeded = random.Random(12)
    n = 600
    found = [
        assign(session, f"c{i}", now=at(2), idle_minutes=IDLE, draw=seeded.random) for i in range(n)
    ]
    taken = sum(a.arm == "candidate" for a in found)
    # Within four standard deviations of 30 % (a seeded draw: the same every run).
    assert abs(taken / n - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)
    stored = assignments(session)
    assert sum(arm == "candidate" for arm, _, _ in stored.values()) == taken
    assert all(a.new and not a.switched for a in found)


def test_a_conversation_keeps_its_model_across_promote_and_rollback(session: Session) -> None:  # noqa: F811
    canary(session, share=0.5)
    on_candidate = assign(session, "c1", now=at(2), idle_minutes=IDLE, draw=draws(0.1))
    on_live = assign(session, "c2", now=at(2), idle_minutes=IDLE, draw=draws(0.9))

    rollout.promote(session, by="tess")  # GOOD is live on "b"; "a" keeps LIVE
    kept = [assign(session, c, now=at(30), idle_minutes=IDLE, draw=never) for c in ("c1", "c2")]
    newcomer = assign(session, "c3", now=at(30), idle_minutes=IDLE, draw=never)

    assert (on_candidate.server, on_live.server) == ("b", "a")
    assert [(a.arm, a.server, a.model_id, a.new, a.switched) for a in kept] == [
        ("candidate", "b", GOOD, False, False), ("live", "a", LIVE, False, False),
    ]  # fmt: skip
    assert (newcomer.arm, newcomer.server, newcomer.model_id) == ("live", "b", GOOD)

    rollout.publish(session, UNJUDGED, share=0.5, by="tess", force=True, now=at(40))
    on_second = assign(session, "c4", now=at(41), idle_minutes=IDLE, draw=draws(0.1))
    rollout.rollback(session, by="tess")
    again = assign(session, "c4", now=at(50), idle_minutes=IDLE, draw=never)
    assert (on_second.server, on_second.model_id) == ("a", UNJUDGED)
    assert (again.server, again.model_id, again.new) == ("a", UNJUDGED, False)


def test_activity_keeps_the_model_and_idleness_draws_again(session: Session) -> None:  # noqa: F811
    canary(session, share=0.5)
    assign(session, "c1", now=at(2), idle_minutes=IDLE, draw=draws(0.1))
    # Answered at 50 minutes, then at 100: still within an hour of each.
    assert not assign(session, "c1", now=at(50), idle_minutes=IDLE, draw=never).new
    assert record_answer(session, "c1", latency_ms=120, now=at(50))
    assert not assign(session, "c1", now=at(100), idle_minutes=IDLE, draw=never).new
    assert record_answer(session, "c1", latency_ms=120, now=at(100))
    assert not assign(session, "c1", now=at(160), idle_minutes=IDLE, draw=never).new

    later = assign(session, "c1", now=at(221), idle_minutes=IDLE, draw=draws(0.9))

    assert (later.arm, later.server, later.model_id, later.new, later.switched) == (
        "live", "a", LIVE, True, False
    )  # fmt: skip
    row = session.execute(select(MODEL_ASSIGNMENTS)).one()
    assert (row.assigned_at, row.last_seen_at, row.messages, row.latency_ms) == (
        at(221), at(221), 0, 0
    )  # fmt: skip


def test_a_conversation_whose_server_got_another_model_is_switched(session: Session) -> None:  # noqa: F811
    canary(session, share=0.5)
    assign(session, "c1", now=at(2), idle_minutes=IDLE, draw=draws(0.1))  # GOOD on "b"
    rollout.rollback(session, by="tess", now=at(3))
    # A new candidate on "b" while c1 is still active there: GOOD is gone from every server.
    rollout.publish(session, UNJUDGED, share=0.5, by="tess", force=True, now=at(4))

    switched = assign(session, "c1", now=at(5), idle_minutes=IDLE, draw=draws(0.9))

    assert switched == Assignment("c1", "live", LIVE, "a", new=True, switched=True)
    assert not assign(session, "c1", now=at(6), idle_minutes=IDLE, draw=never).switched


def test_a_new_live_file_switches_the_live_servers_conversations(session: Session) -> None:  # noqa: F811
    started(session)
    assign(session, "c1", now=at(2), idle_minutes=IDLE)
    rollout.ensure_initial(session, UNJUDGED, by="make model", now=at(3))

    switched = assign(session, "c1", now=at(4), idle_minutes=IDLE, draw=never)

    assert (switched.server, switched.model_id, switched.switched) == ("a", UNJUDGED, True)


def test_one_conversation_asked_at_once_gets_one_answer(
    session: Session,  # noqa: F811
    engine: Engine,  # noqa: F811
) -> None:
    canary(session, share=0.5)
    session.commit()
    sessions = session_factory(engine)
    for moment in (at(2), at(200)):  # a new conversation, then one idle for too long

        def ask(value: float, moment: datetime = moment) -> Assignment:
            with session_scope(sessions) as db:
                return assign(db, "c1", now=moment, idle_minutes=IDLE, draw=lambda: value)

        # Half would draw the candidate, half the live model: one draw must win for all.
        answers = at_once([partial(ask, n / 6) for n in range(6)])

        assert all(isinstance(answer, Assignment) for answer in answers), answers
        assert len({(a.arm, a.server, a.model_id) for a in answers}) == 1
        assert sum(a.new for a in answers) == 1
        session.expire_all()
        assert (answers[0].arm, answers[0].server, answers[0].model_id) == assignments(session)[
            "c1"
        ]


def test_answers_add_up_and_never_move_the_last_seen_back(session: Session) -> None:  # noqa: F811
    started(session)
    assign(session, "c1", now=at(2), idle_minutes=IDLE)
    assert record_answer(session, "c1", latency_ms=100, now=at(3))
    assert record_answer(session, "c1", latency_ms=250.5, now=at(2.5))  # finished out of order
    assert not record_answer(session, "unknown", latency_ms=10, now=at(3))

    row = session.execute(select(MODEL_ASSIGNMENTS)).one()

    assert (row.messages, row.latency_ms, row.last_seen_at) == (2, 350.5, at(3))


@pytest.mark.parametrize(
    ("conversation", "moment", "idle", "says"),
    [
        ("", NOW, IDLE, "a conversation id has 1 to 128 characters"),
        ("c" * 129, NOW, IDLE, "a conversation id has 1 to 128 characters"),
        ("c1", NOW.replace(tzinfo=None), IDLE, "timezone-aware"),
        ("c1", NOW, 0, "idle_minutes must be at least 1"),
    ],
)
def test_bad_input_is_refused(
    session: Session,  # noqa: F811
    conversation: str,
    moment: datetime,
    idle: int,
    says: str,
) -> None:
    started(session)
    with pytest.raises(ValueError, match=says):
        assign(session, conversation, now=moment, idle_minutes=idle)
    for latency in (-1, float("nan"), float("inf"), "12"):
        with pytest.raises(ValueError, match="latency_ms must be"):
            record_answer(session, "c1", latency_ms=latency, now=NOW)  # type: ignore[arg-type]
    assert assignments(session) == {}


def test_a_conversation_whose_server_failed_goes_live_for_good(session: Session) -> None:  # noqa: F811
    canary(session, share=0.5)
    rollout.assign(session, "c1", now=at(2), idle_minutes=IDLE, draw=draws(0.1))
    assert assignment_of(session, "c1") == Assignment("c1", "candidate", GOOD, "b", False, False)

    moved = rollout.move_to_live(session, "c1", now=at(3))

    assert moved == Assignment("c1", "live", LIVE, "a", new=True, switched=True)
    assert assignment_of(session, "c1") == Assignment("c1", "live", LIVE, "a", False, False)
    assert not assign(session, "c1", now=at(4), idle_minutes=IDLE, draw=never).new
    last = lines(session)[-1]
    assert (last.actor, last.action, last.model_id, last.at) == (
        "system", "candidate_failed", GOOD, at(3)
    )  # fmt: skip
    assert last.details == {"server": "b", "arm": "candidate"}  # no conversation id
    # One without an assignment (or on the live model already) goes live, nothing to audit.
    assert move_to_live(session, "c2", now=at(5)).server == "a"
    assert move_to_live(session, "c2", now=at(6)).model_id == LIVE
    assert [e.action for e in lines(session)].count("candidate_failed") == 1
    assert assignment_of(session, "nobody") is None
