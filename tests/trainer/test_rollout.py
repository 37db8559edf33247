"""The roll-out's transitions (`trainer.rollout`) on SQLite and PostgreSQL: the first and later
starts, publish, share, promote and rollback with every refusal, their audit lines, and two
deciders at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover.db import session_factory, session_scope
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.rollout_rows import (
    BAD,
    GOOD,
    LIVE,
    NOW,
    UNJUDGED,
    at_once,
    canary,
    lines,
    started,
)
from trainer import rollout
from trainer.rollout import RolloutError

LATER = NOW + timedelta(minutes=30)


def test_the_first_start_puts_the_live_model_on_every_server(session: Session) -> None:  # noqa: F811
    state = started(session)

    assert (state.mode, state.live_model, state.live_server, state.share) == ("idle", LIVE, "a", 0)
    assert (state.candidate_model, state.candidate_server, state.started_at) == (None, None, None)
    assert (state.updated_at, state.updated_by, state.standby_server) == (NOW, "make model", "b")
    assert rollout.server_models(session) == {"a": LIVE, "b": LIVE}
    assert [(e.actor, e.action, e.model_id) for e in lines(session)] == [
        ("make model", "initial", LIVE)
    ]
    # Started again with the same file: nothing changes, nothing is written.
    assert rollout.ensure_initial(session, LIVE, by="make model", now=LATER) == state
    assert len(lines(session)) == 1


def test_a_start_with_a_new_file_makes_it_live_on_the_live_server(session: Session) -> None:  # noqa: F811
    state = started(session)
    rollout.publish(session, GOOD, share=0.5, by="tess", now=NOW)
    rollout.promote(session, by="tess", now=NOW)  # GOOD is live on "b", "a" keeps LIVE

    # Started again with the same `make model` file: the promoted model stays live.
    again = rollout.ensure_initial(session, LIVE, by="make model", now=LATER)
    assert (again.live_model, again.live_server) == (GOOD, "b")

    # A new file (make model since): live on the live server, the other keeps its model.
    state = rollout.ensure_initial(session, UNJUDGED, by="make model", now=LATER)

    assert (state.mode, state.live_model, state.live_server) == ("idle", UNJUDGED, "b")
    assert rollout.server_models(session) == {"a": LIVE, "b": UNJUDGED}
    last = lines(session)[-1]
    assert (last.actor, last.action, last.model_id, last.at, last.details) == (
        "make model", "imported_live", UNJUDGED, LATER, {"previous": GOOD, "server": "b"}
    )  # fmt: skip
    assert rollout.ensure_initial(session, UNJUDGED, by="make model") == state


def test_a_new_file_waits_for_the_canary_to_end(session: Session) -> None:  # noqa: F811
    canary(session)
    during = rollout.ensure_initial(session, UNJUDGED, by="make model", now=LATER)
    assert (during.mode, during.live_model) == ("canary", LIVE)

    rollout.rollback(session, by="tess", now=LATER)
    after = rollout.ensure_initial(session, UNJUDGED, by="make model", now=LATER)

    assert (after.mode, after.live_model, after.live_server) == ("idle", UNJUDGED, "a")
    assert rollout.server_models(session) == {"a": UNJUDGED, "b": GOOD}


def test_a_start_with_an_unregistered_model_is_refused(session: Session) -> None:  # noqa: F811
    with pytest.raises(RolloutError) as refused:
        rollout.ensure_initial(session, "nowhere")
    assert refused.value.code == "not_found"
    assert rollout.current(session) is None and rollout.server_models(session) == {}


def test_publish_puts_the_candidate_on_the_standby_server(session: Session) -> None:  # noqa: F811
    started(session)

    state = rollout.publish(session, GOOD, share=0.25, by="tess", now=LATER)

    assert (state.mode, state.live_model, state.live_server) == ("canary", LIVE, "a")
    assert (state.candidate_model, state.candidate_server, state.share) == (GOOD, "b", 0.25)
    assert (state.started_at, state.updated_at, state.updated_by) == (LATER, LATER, "tess")
    assert rollout.server_models(session) == {"a": LIVE, "b": GOOD}
    last = lines(session)[-1]
    assert (last.actor, last.action, last.model_id, last.at) == ("tess", "published", GOOD, LATER)
    assert last.details == {
        "share": 0.25, "server": "b", "verdict": "pass", "replaced": LIVE, "forced": False
    }  # fmt: skip


@pytest.mark.parametrize(
    ("prepare", "model_id", "share", "code"),
    [
        (None, GOOD, 0.5, "no_rollout"),
        (started, "nowhere", 0.5, "not_found"),
        (started, "", 0.5, "not_found"),
        (started, LIVE, 0.5, "same_model"),
        (canary, UNJUDGED, 0.5, "busy"),
        (started, BAD, 0.5, "verdict_failed"),
        (started, UNJUDGED, 0.5, "verdict_failed"),
        (started, GOOD, 0, "bad_share"),
        (started, GOOD, -0.1, "bad_share"),
        (started, GOOD, 1.01, "bad_share"),
        (started, GOOD, float("nan"), "bad_share"),
        (started, GOOD, True, "bad_share"),
    ],
)
def test_publish_refusals_change_nothing(
    session: Session,  # noqa: F811
    prepare: Callable[[Session], Any] | None,
    model_id: str,
    share: float,
    code: str,
) -> None:
    if prepare is not None:
        prepare(session)
    before = (rollout.current(session), rollout.server_models(session), len(lines(session)))

    with pytest.raises(RolloutError) as refused:
        rollout.publish(session, model_id, share=share, by="tess")

    assert refused.value.code == code
    assert (rollout.current(session), rollout.server_models(session), len(lines(session))) == before


@pytest.mark.parametrize(("model_id", "verdict"), [(BAD, "fail"), (UNJUDGED, None)])
def test_force_publishes_a_model_without_a_pass_and_says_so(
    session: Session,  # noqa: F811
    model_id: str,
    verdict: str | None,
) -> None:
    started(session)
    state = rollout.publish(session, model_id, share=1, by="tess", force=True)
    assert (state.mode, state.candidate_model, state.share) == ("canary", model_id, 1)
    details = lines(session)[-1].details
    assert (details["verdict"], details["forced"]) == (verdict, True)


def test_promote_flips_the_live_server_and_keeps_the_old_model_there(session: Session) -> None:  # noqa: F811
    canary(session)

    state = rollout.promote(session, by="system", reason="looks good", now=LATER)

    assert (state.mode, state.live_model, state.live_server, state.share) == ("idle", GOOD, "b", 0)
    assert (state.candidate_model, state.candidate_server) == (None, None)
    assert (state.updated_by, state.updated_at, state.standby_server) == ("system", LATER, "a")
    assert rollout.server_models(session) == {"a": LIVE, "b": GOOD}
    last = lines(session)[-1]
    assert (last.actor, last.action, last.model_id) == ("system", "promoted", GOOD)
    assert last.details == {
        "reason": "looks good", "live_model": LIVE, "live_server": "a", "candidate_server": "b",
        "share": 0.5, "started_at": (NOW + timedelta(minutes=1)).isoformat(),
    }  # fmt: skip
    # The next candidate goes where the old live model was.
    assert (
        rollout.publish(session, UNJUDGED, share=0.5, by="tess", force=True).candidate_server == "a"
    )
    assert rollout.server_models(session) == {"a": UNJUDGED, "b": GOOD}


def test_rollback_keeps_the_candidate_on_the_standby(session: Session) -> None:  # noqa: F811
    canary(session)

    state = rollout.rollback(session, by="system", reason="fallback rate 40% against 10%",
                             details={"figures": {"live": 1}}, now=LATER)  # fmt: skip

    assert (state.mode, state.live_model, state.live_server) == ("idle", LIVE, "a")
    assert (state.candidate_model, state.candidate_server, state.share) == (None, None, 0)
    assert rollout.server_models(session) == {"a": LIVE, "b": GOOD}
    last = lines(session)[-1]
    assert (last.actor, last.action, last.model_id) == ("system", "rolled_back", GOOD)
    assert last.details["reason"] == "fallback rate 40% against 10%"
    assert last.details["figures"] == {"live": 1}


def test_a_persons_reason_is_redacted(session: Session) -> None:  # noqa: F811
    canary(session)
    rollout.rollback(session, by="tess", reason="  customer jane.doe@example.com complained ")
    assert lines(session)[-1].details["reason"] == "  customer [email] complained "


@pytest.mark.parametrize("end", [rollout.promote, rollout.rollback])
def test_ending_without_a_canary_or_another_one_is_refused(
    session: Session,  # noqa: F811
    end: Callable[..., Any],
) -> None:
    with pytest.raises(RolloutError) as refused:
        end(session, by="tess")
    assert refused.value.code == "no_rollout"
    started(session)
    with pytest.raises(RolloutError) as refused:
        end(session, by="tess")
    assert refused.value.code == "no_candidate"

    decided_on = rollout.publish(session, GOOD, share=0.5, by="tess", now=NOW)
    rollout.rollback(session, by="tess")
    rollout.publish(session, GOOD, share=0.5, by="tess", now=LATER)  # same model, a new canary
    with pytest.raises(RolloutError) as refused:
        end(session, by="system", canary=decided_on)
    assert refused.value.code == "busy"
    assert rollout.current(session).started_at == LATER  # type: ignore[union-attr]


def test_the_share_changes_during_a_canary_only(session: Session) -> None:  # noqa: F811
    started(session)
    with pytest.raises(RolloutError) as refused:
        rollout.set_share(session, 0.2, by="tess")
    assert refused.value.code == "no_candidate"
    rollout.publish(session, GOOD, share=0.5, by="tess")

    assert rollout.set_share(session, 0, by="tess").share == 0  # paused
    assert rollout.set_share(session, 0.2, by="ana").share == 0.2
    for bad in (-0.5, 1.5, float("inf")):
        with pytest.raises(RolloutError) as refused:
            rollout.set_share(session, bad, by="tess")
        assert refused.value.code == "bad_share"
    assert [(e.actor, e.action, e.details) for e in lines(session)[-2:]] == [
        ("tess", "share_changed", {"from": 0.5, "to": 0}),
        ("ana", "share_changed", {"from": 0, "to": 0.2}),
    ]


@pytest.mark.parametrize("by", ["", "   ", "x" * 65])
def test_who_acts_must_be_named(session: Session, by: str) -> None:  # noqa: F811
    canary(session)
    with pytest.raises(ValueError, match="by must name who acts"):
        rollout.promote(session, by=by)
    with pytest.raises(ValueError, match="at most 1000 characters"):
        rollout.rollback(session, by="tess", reason="r" * 1001)
    assert rollout.current(session).mode == "canary"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "deciders",
    [(rollout.promote, rollout.rollback), (rollout.promote, rollout.promote),
     (rollout.rollback, rollout.rollback)],
)  # fmt: skip
def test_two_deciders_at_once_one_wins(
    session: Session,  # noqa: F811
    engine: Engine,  # noqa: F811
    deciders: tuple[Callable[..., Any], Callable[..., Any]],
) -> None:
    sessions = session_factory(engine)
    for round_ in range(3):
        if round_ == 0:
            canary(session)
        else:
            live = rollout.current(session).live_model  # type: ignore[union-attr]
            model_id = next(m for m in (GOOD, UNJUDGED, BAD) if m != live)
            rollout.publish(session, model_id, share=0.5, by="t", force=True)
        session.commit()

        def decide(decider: Callable[..., Any], name: str) -> str:
            with session_scope(sessions) as db:
                decider(db, by=name, reason="")
            return name

        results = at_once([partial(decide, d, f"d{n}") for n, d in enumerate(deciders)])
        won = [r for r in results if isinstance(r, str)]
        lost = [r.code for r in results if isinstance(r, RolloutError)]
        assert len(won) == 1 and lost == ["no_candidate"]
        session.expire_all()
        state = rollout.current(session)
        assert state is not None and (state.mode, state.updated_by) == ("idle", won[0])
        ends = [e for e in lines(session) if e.action in ("promoted", "rolled_back")]
        assert len(ends) == round_ + 1 and ends[-1].actor == won[0]


@pytest.mark.parametrize("end", [rollout.promote, rollout.rollback, rollout.set_share])
def test_a_transition_on_a_stale_view_changes_nothing(
    session: Session,  # noqa: F811
    engine: Engine,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    end: Callable[..., Any],
) -> None:
    # What the loser of a race does: it read the canary, then the other decider committed.
    seen = canary(session)
    session.commit()
    with session_scope(session_factory(engine)) as other:
        rollout.rollback(other, by="ana")
    after = (rollout.current(session), rollout.server_models(session), len(lines(session)))
    monkeypatch.setattr(rollout, "require", lambda db: seen)

    with pytest.raises(RolloutError) as refused:
        end(session, **({"share": 0.3} if end is rollout.set_share else {}), by="tess")

    assert refused.value.code == ("busy" if end is rollout.set_share else "no_candidate")
    assert (rollout.current(session), rollout.server_models(session), len(lines(session))) == after
