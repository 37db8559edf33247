"""Whether a candidate model may reach customers: its evaluation against the live model's.

Checked on each set both evaluations have, except the regression set, which is judged message by
message instead:
- `intent_recall`: no intent's recall down by more than `max_intent_drop` *and* by more than
  the noise of its counts (below);
- `macro`: in-scope macro accuracy not below the live model's minus `macro_tolerance`;
- `oos_false_accept`: not above the live model's plus `oos_false_accept_tolerance` and the noise;
- `regression`: every regression message the live model gets right, the candidate gets right
  too. Messages the live model misses (labelled after it) are counted in the check's detail,
  right or not: teaching them is the point of a new model, not a condition of it.
The first model (no live one) is held to the regression set alone, all of it right.

Noise: two trainings of the same data with one example more differ by a few messages per intent
(measured: a full retrain moved 3 of 25 French outage messages and 3 of 42 French order ones,
and failed 7 checks of fixed limits). A change counts only beyond `Gates.noise_sigmas` standard
errors of the difference two trainings of an unchanged model would show on that many messages
(`noise`); a model that really lost an intent (swapped examples: 90 points) is far beyond it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import islice

from trainer.evaluation import REGRESSION, Evaluation, Miss, SetScore

# An intent is compared on a set only when it has this many examples there: below it, one message
# moves its recall by 20 points or more, which would fail models on noise. Small intents still
# count in the macro check, and every labelled message in the regression check.
MIN_SUPPORT = 5
# Recalls are ratios of small counts: 18/20 - 17/20 is 0.05000000000000004 in floating point, and
# a drop exactly at the limit must pass.
EPSILON = 1e-9


@dataclass(frozen=True)
class Gates:
    """The limits a candidate must keep to (TrainerSettings holds the configured values)."""

    max_intent_drop: float = 0.05
    macro_tolerance: float = 0.01
    oos_false_accept_tolerance: float = 0.01
    keep_regression: bool = True
    # How many standard errors of a retrain's noise a change must exceed (0: the limits alone).
    noise_sigmas: float = 2.5


@dataclass(frozen=True)
class Check:
    """One condition on one set: the two figures, the limit as text, and what was found."""

    name: str  # intent_recall, macro, oos_false_accept or regression
    set_name: str
    passed: bool
    candidate: float | None
    live: float | None
    limit: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    """All checks (passed only when every one did) and each set's recall per intent."""

    passed: bool
    checks: tuple[Check, ...]
    per_intent: dict[
        str, dict[str, tuple[float | None, float | None]]
    ]  # set -> intent -> (live, candidate)

    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Verdict:
        """The verdict `to_json` wrote. Raises ValueError on anything else."""
        try:
            data = json.loads(text)
            return cls(
                passed=bool(data["passed"]),
                checks=tuple(Check(**check) for check in data["checks"]),
                per_intent={
                    set_name: {intent: (pair[0], pair[1]) for intent, pair in intents.items()}
                    for set_name, intents in data["per_intent"].items()
                },
            )
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as error:
            raise ValueError(f"not a verdict: {error!r}") from error


def compare(candidate: Evaluation, live: Evaluation | None, gates: Gates) -> Verdict:
    """The candidate's verdict; `live` None for the first model."""
    checks: list[Check] = []
    for name, score in candidate.sets.items():
        before = live.sets.get(name) if live else None
        if name == REGRESSION:
            if gates.keep_regression:
                checks.append(_regression(score, before, first=live is None))
        elif before is not None:
            checks += _intent_recall(score, before, gates.max_intent_drop, gates.noise_sigmas)
            checks += _macro(score, before, gates.macro_tolerance)
            checks += _false_accept(
                score, before, gates.oos_false_accept_tolerance, gates.noise_sigmas
            )
    return Verdict(
        passed=all(check.passed for check in checks),
        checks=tuple(checks),
        per_intent=_per_intent(candidate, live),
    )


def _intent_recall(
    score: SetScore, before: SetScore, max_drop: float, sigmas: float
) -> list[Check]:
    checks = []
    for intent, recall in score.recall.items():
        support = min(score.support[intent], before.support.get(intent, 0))
        if support < MIN_SUPPORT:
            continue
        was = before.recall[intent]
        allowed = max(max_drop, noise(was, support, sigmas))
        checks.append(
            Check(
                name="intent_recall",
                set_name=score.name,
                passed=was - recall <= allowed + EPSILON,
                candidate=recall,
                live=was,
                limit=f">= {was - allowed:.4f}",
                detail=f"{intent}: {was:.4f} -> {recall:.4f} ({recall - was:+.4f}, n={support})",
            )
        )
    return checks


def noise(before: float, n: int, sigmas: float) -> float:
    """`Gates.noise_sigmas` standard errors of the difference between two trainings' proportions on
    `n` messages each, were the model unchanged: the live proportion's variance, twice, add-one
    smoothed (100 % and 0 % have an error too)."""
    if n <= 0:
        return 1.0
    smoothed = (before * n + 1) / (n + 2)
    return sigmas * math.sqrt(2 * smoothed * (1 - smoothed) / n)


def _macro(score: SetScore, before: SetScore, tolerance: float) -> list[Check]:
    if score.macro is None or before.macro is None:
        return []
    change = score.macro - before.macro
    return [
        Check(
            name="macro",
            set_name=score.name,
            passed=change >= -tolerance - EPSILON,
            candidate=score.macro,
            live=before.macro,
            limit=f">= {before.macro - tolerance:.4f}",
            detail=f"in-scope macro {before.macro:.4f} -> {score.macro:.4f} ({change:+.4f})",
        )
    ]


def _false_accept(
    score: SetScore, before: SetScore, tolerance: float, sigmas: float
) -> list[Check]:
    if score.oos_false_accept is None or before.oos_false_accept is None:
        return []
    now, was = score.oos_false_accept, before.oos_false_accept
    allowed = max(tolerance, noise(was, min(score.oos_n, before.oos_n), sigmas))
    return [
        Check(
            name="oos_false_accept",
            set_name=score.name,
            passed=now - was <= allowed + EPSILON,
            candidate=now,
            live=was,
            limit=f"<= {was + allowed:.4f}",
            detail=f"OOS false-accept {was:.4f} -> {now:.4f} ({now - was:+.4f}, n={score.oos_n})",
        )
    ]


def _regression(score: SetScore, before: SetScore | None, *, first: bool) -> Check:
    missed = {miss.text: miss for miss in score.misses}
    right = score.n - len(missed)
    share = right / score.n if score.n else None
    if first:
        return Check(
            name="regression",
            set_name=score.name,
            passed=not missed,
            candidate=share,
            live=None,
            limit="all right (first model)",
            detail=f"{right} of {score.n} right" + _examples(missed.values()),
        )
    # What the live model got right: the messages of its evaluation that it did not miss. A
    # message its evaluation lacks was labelled after, like those it missed.
    live_right = set(before.texts) - {miss.text for miss in before.misses} if before else set()
    lost = [miss for text, miss in missed.items() if text in live_right]
    new = [text for text in dict.fromkeys(score.texts) if text not in live_right]
    learnt = sum(text not in missed for text in new)
    live_share = len(live_right) / before.n if before and before.n else None
    return Check(
        name="regression",
        set_name=score.name,
        passed=not lost,
        candidate=share,
        live=live_share,
        limit="none the live model gets right lost",
        detail=f"{len(lost)} lost of {len(live_right)} the live model gets right"
        + (f"; {learnt} of {len(new)} it misses (labelled after it) now right" if new else "")
        + _examples(lost),
    )


def _examples(misses: Iterable[Miss]) -> str:
    """A few of `misses`, for the detail (regression texts are redacted when labelled)."""
    shown = ", ".join(
        f"{_cut(m.text)!r} ({m.expected} -> {m.predicted})" for m in islice(misses, 3)
    )
    return f"; e.g. {shown}" if shown else ""


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _per_intent(
    candidate: Evaluation, live: Evaluation | None
) -> dict[str, dict[str, tuple[float | None, float | None]]]:
    table: dict[str, dict[str, tuple[float | None, float | None]]] = {}
    for name, score in candidate.sets.items():
        before = live.sets.get(name) if live else None
        old = before.recall if before else {}
        intents = sorted(set(score.recall) | set(old))
        table[name] = {i: (old.get(i), score.recall.get(i)) for i in intents}
    return table
