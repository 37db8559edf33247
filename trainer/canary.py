"""The canary's decision: wait, promote or roll back, from the two arms' figures
(docs/rollout.md, "The gates").

`decide` is pure: it rolls back at once when the candidate's server failed to answer (more
than `max_failures` times); otherwise it waits until each arm has `min_conversations`, rolls
back when any gate breaks (the candidate's fallback or hand-over rate higher than the live
arm's by more than allowed, its containment or its CSAT lower by more than allowed; CSAT only
when both arms have `min_ratings` ratings), and promotes when every gate holds. A figure one
arm could not measure (no Rasa events folded, no request yet) is not judged, and the reasons
say so.
`check_canary` reads the figures, decides, and applies the decision as "system", audited with
the figures; a person who decided first wins, and the check changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy.engine import Engine

from trainer import audit, rollout
from trainer.arms import ArmFigures, arm_figures
from trainer.rollout import Db, RolloutError

if TYPE_CHECKING:
    from trainer.settings import TrainerSettings

Action = Literal["wait", "promote", "rollback"]
EPSILON = 1e-9  # a difference exactly at the limit holds, whatever the floats' rounding


@dataclass(frozen=True)
class CanaryGates:
    min_conversations: int = 20
    max_fallback_increase: float = 0.10  # of the fallback rate, as a fraction (0.10: 10 points)
    max_handover_increase: float = 0.10
    max_containment_drop: float = 0.10
    max_csat_drop: float = 0.5  # on the 1-5 scale
    min_ratings: int = 5
    max_failures: int = 0  # times the candidate's server may fail to answer

    @classmethod
    def from_settings(cls, settings: TrainerSettings) -> CanaryGates:
        """The gates `TRAINER_CANARY_*` set."""
        return cls(
            min_conversations=settings.canary_min_conversations,
            max_fallback_increase=settings.canary_max_fallback_increase,
            max_handover_increase=settings.canary_max_handover_increase,
            max_containment_drop=settings.canary_max_containment_drop,
            max_csat_drop=settings.canary_max_csat_drop,
            min_ratings=settings.canary_min_ratings,
        )


@dataclass(frozen=True)
class Decision:
    action: Action
    reasons: tuple[str, ...]  # in plain words, with the figures
    figures: dict[str, ArmFigures]
    applied: bool = False  # `check_canary` promoted or rolled back


def decide(figures: dict[str, ArmFigures], gates: CanaryGates) -> Decision:
    """What the gates say of these figures (`arms.arm_figures`)."""
    live, candidate = figures.get("live"), figures.get("candidate")
    if live is None or candidate is None:
        return Decision("wait", ("no canary is running",), figures)
    if candidate.failures > gates.max_failures:
        failed = (
            f"the candidate's server failed to answer {candidate.failures} times (the live server"
            f" answered instead), more than the {gates.max_failures} allowed"
        )
        return Decision("rollback", (failed,), figures)
    short = [
        f"the {name} arm has {arm.conversations} of the {gates.min_conversations} conversations"
        " needed"
        for name, arm in (("candidate", candidate), ("live", live))
        if arm.conversations < gates.min_conversations
    ]
    if short:
        return Decision("wait", tuple(short), figures)
    verdicts = [
        _higher("fallback rate", candidate.fallback_rate, live.fallback_rate,
                gates.max_fallback_increase, (candidate.fallbacks, candidate.measured),
                (live.fallbacks, live.measured), "conversations"),
        _higher("hand-over rate", candidate.handover_rate, live.handover_rate,
                gates.max_handover_increase, (candidate.handovers, candidate.conversations),
                (live.handovers, live.conversations), "conversations"),
        _lower_rate("containment", candidate, live, gates.max_containment_drop),
        _csat(candidate, live, gates),
    ]  # fmt: skip
    broken = tuple(reason for holds, reason in verdicts if holds is False)
    if broken:
        return Decision("rollback", broken, figures)
    return Decision("promote", tuple(reason for _, reason in verdicts), figures)


def check_canary(
    db: Db, gates: CanaryGates, *, now: datetime | None = None, events: Engine | None = None
) -> Decision:
    """Read the running canary's figures, decide, and apply a promotion or a rollback as
    "system" (audited with the reasons, figures and gates), in the caller's transaction.
    `events`: fold Rasa's new events first (`arms.arm_figures`). Nothing to do when idle."""
    state = rollout.current(db)
    if state is None or state.mode != "canary":
        return Decision("wait", ("no canary is running",), {})
    decision = decide(arm_figures(db, state, events=events), gates)
    if decision.action == "wait":
        return decision
    details = {
        "reasons": list(decision.reasons),
        "figures": {arm: asdict(figures) for arm, figures in decision.figures.items()},
        "gates": asdict(gates),
    }
    reason = "; ".join(decision.reasons)[: rollout.MAX_REASON]
    apply = rollout.promote if decision.action == "promote" else rollout.rollback
    try:
        apply(db, by=audit.SYSTEM, reason=reason, details=details, canary=state, now=now)
    except RolloutError as error:  # someone decided first: theirs stands
        return replace(decision, reasons=(*decision.reasons, f"not applied: {error}"))
    return replace(decision, applied=True)


def _higher(
    name: str,
    candidate: float | None,
    live: float | None,
    allowed: float,
    candidate_count: tuple[int, int],
    live_count: tuple[int, int],
    basis: str,
) -> tuple[bool | None, str]:
    """(holds, reason) for a rate the candidate must not raise by more than `allowed`."""
    if candidate is None or live is None:
        return None, f"{name} not judged: not measured on both arms"
    said = (
        f"{name} {_pct(candidate)} ({candidate_count[0]} of {candidate_count[1]} {basis})"
        f" against {_pct(live)} ({live_count[0]} of {live_count[1]}) live"
    )
    change = candidate - live
    if change > allowed + EPSILON:
        return False, f"{said}: up {_points(change)}, more than the {_points(allowed)} allowed"
    return True, f"{said}: within {_points(allowed)}"


def _lower_rate(
    name: str, candidate: ArmFigures, live: ArmFigures, allowed: float
) -> tuple[bool | None, str]:
    if candidate.containment is None or live.containment is None:
        return None, f"{name} not judged: no session with a request on both arms yet"
    said = (
        f"{name} {_pct(candidate.containment)} ({candidate.contained} of {candidate.requests}"
        f" sessions with a request) against {_pct(live.containment)} ({live.contained} of"
        f" {live.requests}) live"
    )
    change = live.containment - candidate.containment
    if change > allowed + EPSILON:
        return False, f"{said}: down {_points(change)}, more than the {_points(allowed)} allowed"
    return True, f"{said}: within {_points(allowed)}"


def _csat(candidate: ArmFigures, live: ArmFigures, gates: CanaryGates) -> tuple[bool | None, str]:
    if (
        candidate.csat is None
        or live.csat is None
        or min(candidate.ratings, live.ratings) < gates.min_ratings
    ):
        return None, (
            f"CSAT not judged: {candidate.ratings} and {live.ratings} ratings (candidate, live),"
            f" {gates.min_ratings} needed on each"
        )
    said = (
        f"CSAT {candidate.csat:.2f} ({candidate.ratings} ratings) against {live.csat:.2f}"
        f" ({live.ratings}) live"
    )
    change = live.csat - candidate.csat
    if change > gates.max_csat_drop + EPSILON:
        return False, f"{said}: down {change:.2f}, more than the {gates.max_csat_drop:g} allowed"
    return True, f"{said}: within {gates.max_csat_drop:g}"


def _pct(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def _points(fraction: float) -> str:
    return f"{fraction * 100:.0f} points"
