"""The canary's decision (`trainer.canary`): every gate both ways and at its limit, waiting for
conversations and ratings, figures that could not be measured; and `check_canary` applying it
(SQLite and PostgreSQL), audited, unless a person decided first."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import session_factory, session_scope
from handover.models import RecordedEvent
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.rollout_rows import GOOD, LIVE, NOW, canary, lines, started
from trainer import canary as canary_module
from trainer import rollout
from trainer.arms import ArmFigures, Latency
from trainer.canary import CanaryGates, Decision, check_canary, decide
from trainer.settings import TrainerSettings
from trainer.tables import MODEL_ASSIGNMENTS

GATES = CanaryGates()  # 20 conversations; +10 points, +10 points, -10 points, -0.5; 5 ratings


def arm(name: str = "live", **changes: Any) -> ArmFigures:
    """40 conversations: 10 % fell back, 10 % handed over, 80 % contained, CSAT 4.0 of 10."""
    figures = ArmFigures(
        arm=name, model_id=name, conversations=40, messages=120, measured=40, fallbacks=4,  # type: ignore[arg-type]
        fallback_rate=0.1, handovers=4, handover_rate=0.1, requests=40, contained=32,
        containment=0.8, csat=4.0, ratings=10, latency_ms=Latency(300.0, 900.0),
    )  # fmt: skip
    return replace(figures, **changes)


def both(**candidate: Any) -> dict[str, ArmFigures]:
    return {"live": arm(), "candidate": arm("candidate", **candidate)}


def test_without_a_canary_there_is_nothing_to_decide() -> None:
    assert decide({}, GATES) == Decision("wait", ("no canary is running",), {})


def test_a_candidate_whose_server_fails_is_rolled_back_at_once() -> None:
    failing = both(conversations=2, failures=1)
    decision = decide(failing, GATES)
    assert (decision.action, decision.reasons) == ("rollback", (
        "the candidate's server failed to answer 1 times (the live server answered instead),"
        " more than the 0 allowed",
    ))  # fmt: skip
    assert decide(failing, replace(GATES, max_failures=1)).action == "wait"


def test_it_waits_for_enough_conversations_on_each_arm() -> None:
    short = both(conversations=19, fallback_rate=0.9)
    assert decide(short, GATES).reasons == (
        "the candidate arm has 19 of the 20 conversations needed",
    )
    live_short = {"live": arm(conversations=3), "candidate": arm("candidate")}
    decision = decide(live_short, GATES)
    assert (decision.action, decision.reasons) == (
        "wait", ("the live arm has 3 of the 20 conversations needed",)
    )  # fmt: skip


def test_when_every_gate_holds_it_promotes_and_says_why() -> None:
    decision = decide(both(fallback_rate=0.15, fallbacks=6, csat=3.6), GATES)
    assert decision.action == "promote"
    assert decision.reasons == (
        "fallback rate 15% (6 of 40 conversations) against 10% (4 of 40) live: within 10 points",
        "hand-over rate 10% (4 of 40 conversations) against 10% (4 of 40) live: within 10 points",
        "containment 80% (32 of 40 sessions with a request) against 80% (32 of 40) live:"
        " within 10 points",
        "CSAT 3.60 (10 ratings) against 4.00 (10) live: within 0.5",
    )
    assert decision.figures == both(fallback_rate=0.15, fallbacks=6, csat=3.6)


@pytest.mark.parametrize(
    ("changes", "action", "says"),
    [
        ({"fallback_rate": 0.21, "fallbacks": 8}, "rollback",
         "fallback rate 21% (8 of 40 conversations) against 10% (4 of 40) live: up 11 points,"
         " more than the 10 points allowed"),
        ({"fallback_rate": 0.2}, "promote", "fallback rate 20%"),
        ({"handover_rate": 0.25, "handovers": 10}, "rollback",
         "hand-over rate 25% (10 of 40 conversations) against 10% (4 of 40) live: up 15 points"),
        ({"handover_rate": 0.2}, "promote", "hand-over rate 20%"),
        ({"containment": 0.65, "contained": 26}, "rollback",
         "containment 65% (26 of 40 sessions with a request) against 80% (32 of 40) live:"
         " down 15 points, more than the 10 points allowed"),
        ({"containment": 0.7}, "promote", "containment 70%"),  # 0.8 - 0.7 is 0.1000...09
        ({"csat": 3.4}, "rollback",
         "CSAT 3.40 (10 ratings) against 4.00 (10) live: down 0.60, more than the 0.5 allowed"),
        ({"csat": 3.5}, "promote", "CSAT 3.50 (10 ratings) against 4.00 (10) live: within 0.5"),
        ({"csat": 1.0, "ratings": 4}, "promote",
         "CSAT not judged: 4 and 10 ratings (candidate, live), 5 needed on each"),
        ({"fallback_rate": None, "measured": 0}, "promote",
         "fallback rate not judged: not measured on both arms"),
        ({"containment": None, "requests": 0}, "promote",
         "containment not judged: no session with a request on both arms yet"),
    ],
)  # fmt: skip
def test_each_gate_both_ways(changes: dict[str, Any], action: str, says: str) -> None:
    decision = decide(both(**changes), GATES)
    assert decision.action == action
    assert [reason for reason in decision.reasons if reason.startswith(says)], decision.reasons
    if action == "rollback":
        assert len(decision.reasons) == 1  # only what broke


def test_every_broken_gate_is_listed_and_the_gates_are_settings() -> None:
    strict = CanaryGates(min_conversations=10, max_fallback_increase=0.0,
                         max_handover_increase=0.0, max_containment_drop=0.0, max_csat_drop=0.0,
                         min_ratings=10)  # fmt: skip
    decision = decide(both(fallback_rate=0.11, handover_rate=0.11, containment=0.79, csat=3.9),
                      strict)  # fmt: skip
    assert decision.action == "rollback" and len(decision.reasons) == 4
    settings = TrainerSettings(canary_min_conversations=10, canary_max_fallback_increase=0.0,
                               canary_max_handover_increase=0.0, canary_max_containment_drop=0.0,
                               canary_max_csat_drop=0.0, canary_min_ratings=10)  # fmt: skip
    assert CanaryGates.from_settings(settings) == strict


def conversations(db: Session, arm_name: str, model_id: str, count: int, queued: int = 0) -> None:
    """`count` conversations of an arm at minute 5, the first `queued` of them queued."""
    for n in range(count):
        conversation = f"{arm_name}-{n}"
        db.execute(
            MODEL_ASSIGNMENTS.insert().values(
                conversation_id=conversation,
                arm=arm_name,
                model_id=model_id,
                server="a",
                assigned_at=NOW + timedelta(minutes=5),
                last_seen_at=NOW + timedelta(minutes=5),
                messages=1,
                latency_ms=100.0,
            )  # fmt: skip
        )
        if n < queued:
            db.execute(
                RecordedEvent.__table__.insert().values(
                    conversation_id=conversation,
                    episode=1,
                    kind="queued",
                    at=NOW + timedelta(minutes=6),
                )  # fmt: skip
            )


SMALL = CanaryGates(min_conversations=4)


def test_check_canary_does_nothing_when_idle_or_waiting(session: Session) -> None:  # noqa: F811
    assert check_canary(session, SMALL).reasons == ("no canary is running",)
    started(session)
    assert check_canary(session, SMALL) == Decision("wait", ("no canary is running",), {})
    rollout.publish(session, GOOD, share=0.5, by="tess")
    conversations(session, "candidate", GOOD, 3)
    conversations(session, "live", LIVE, 5)

    decision = check_canary(session, SMALL)

    assert (decision.action, decision.applied) == ("wait", False)
    assert rollout.current(session).mode == "canary"  # type: ignore[union-attr]
    assert [e.action for e in lines(session)] == ["initial", "published"]


@pytest.mark.parametrize(("queued", "action", "ended"), [(3, "rollback", "rolled_back"),
                                                        (1, "promote", "promoted")])  # fmt: skip
def test_check_canary_applies_the_decision_as_system(
    session: Session,  # noqa: F811
    queued: int,
    action: str,
    ended: str,
) -> None:
    canary(session)
    conversations(session, "candidate", GOOD, 4, queued=queued)
    conversations(session, "live", LIVE, 4, queued=1)

    decision = check_canary(session, SMALL, now=NOW + timedelta(hours=1))

    assert (decision.action, decision.applied) == (action, True)
    state = rollout.current(session)
    assert state is not None and state.mode == "idle"
    assert state.live_model == (GOOD if action == "promote" else LIVE)
    line = lines(session)[-1]
    assert (line.actor, line.action, line.model_id, line.at) == (
        "system", ended, GOOD, NOW + timedelta(hours=1)
    )  # fmt: skip
    assert line.details["reasons"] == list(decision.reasons)
    assert line.details["reason"] == "; ".join(decision.reasons)
    assert line.details["gates"] == asdict(SMALL)
    assert line.details["figures"]["candidate"]["handovers"] == queued
    assert line.details["figures"]["live"]["latency_ms"] == {"p50": 100.0, "p95": 100.0}


def test_a_person_who_decided_first_wins(
    session: Session,  # noqa: F811
    engine: Engine,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary(session)
    conversations(session, "candidate", GOOD, 4)
    conversations(session, "live", LIVE, 4)
    session.commit()
    measured = canary_module.arm_figures

    def trainer_clicks_meanwhile(db: Any, state: Any, **kwargs: Any) -> Any:
        with session_scope(session_factory(engine)) as other:
            rollout.rollback(other, by="tess", reason="")
        return measured(db, state, **kwargs)

    monkeypatch.setattr(canary_module, "arm_figures", trainer_clicks_meanwhile)

    decision = check_canary(session, SMALL)

    assert (decision.action, decision.applied) == ("promote", False)
    assert decision.reasons[-1] == "not applied: tess ended the canary meanwhile"
    session.commit()
    assert [(e.actor, e.action) for e in lines(session)][-1] == ("tess", "rolled_back")
    assert rollout.current(session).live_model == LIVE  # type: ignore[union-attr]
