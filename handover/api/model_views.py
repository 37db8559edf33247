"""How the trainer's API shows a registered model (`trainer.registry.ModelRecord`): where it
runs, its verdict with each failed check in plain words, and, asked for one model, its
evaluation set by set against the live model it was judged with (`trainer.gates.Verdict`).

Deltas are the verdict's: the candidate against the live model of the day it was evaluated
(the one its gates judged), not today's live model. Texts shown come from the regression set
only (its misses), which holds what trainers labelled, redacted when labelled.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from trainer.evaluation import REGRESSION, SetScore
from trainer.gates import Check, Verdict
from trainer.registry import ModelRecord
from trainer.rollout import Rollout

TOP_CONFUSIONS = 10
TOP_MISSES = 10
Role = Literal["live", "candidate"]
_LIMIT = re.compile(r"^(>=|<=) (-?[0-9.]+)$")


class CheckView(BaseModel):
    name: str = Field(..., description="intent_recall, macro, oos_false_accept or regression")
    set_name: str
    passed: bool
    candidate: float | None
    live: float | None
    limit: str
    detail: str
    says: str = Field(..., description="the check in plain words")


class ModelSummary(BaseModel):
    id: str
    created_at: datetime
    author: str
    source: Literal["trained", "imported"]
    job_id: str | None
    size_bytes: int
    sha256: str
    data_fingerprint: str
    summary: str | None
    evaluated: bool
    verdict: Literal["pass", "fail"] | None = Field(..., description="null: not judged yet")
    checks: int = Field(..., description="how many checks the verdict made")
    failed_checks: list[CheckView]
    servers: list[str] = Field(..., description="the Rasa servers that hold it")
    role: Role | None = Field(..., description="live, candidate (in a canary), or neither")


class IntentDelta(BaseModel):
    intent: str
    support: int | None = Field(..., description="its messages in the set (the candidate's)")
    live: float | None = Field(..., description="the live model's recall")
    candidate: float | None
    delta: float | None


class Confusion(BaseModel):
    expected: str
    predicted: str
    count: int


class MissView(BaseModel):
    text: str = Field(..., description="as labelled (redacted)")
    expected: str
    predicted: str


class SetView(BaseModel):
    name: str
    n: int
    macro: float | None = Field(..., description="in-scope macro recall, 0 to 1")
    live_macro: float | None
    macro_delta: float | None
    oos_n: int
    oos_false_accept: float | None = Field(..., description="out-of-scope taken as a request")
    live_oos_false_accept: float | None
    oos_false_accept_delta: float | None
    oos_handled: float | None
    intents: list[IntentDelta] = Field(..., description="worst change first")
    confusions: list[Confusion] = Field(..., description=f"the {TOP_CONFUSIONS} most frequent")
    misses: list[MissView] = Field(..., description="regression set only")


class EvaluationView(BaseModel):
    model: str
    seconds: float
    sets: list[SetView]


class ModelDetail(ModelSummary):
    all_checks: list[CheckView]
    evaluation: EvaluationView | None


def placement(rollout: Rollout | None, servers: dict[str, str], model: str) -> dict[str, Any]:
    """Which servers hold `model`, and whether it is live or the canary's candidate."""
    role: Role | None = None
    if rollout is not None and rollout.live_model == model:
        role = "live"
    elif rollout is not None and rollout.mode == "canary" and rollout.candidate_model == model:
        role = "candidate"
    return {
        "servers": sorted(name for name, held in servers.items() if held == model),
        "role": role,
    }


def summary_view(record: ModelRecord, where: dict[str, Any]) -> dict[str, Any]:
    """A model as the registry's list shows it; `where` from `placement`."""
    verdict = record.verdict
    return {
        "id": record.id,
        "created_at": record.created_at,
        "author": record.author,
        "source": record.source,
        "job_id": record.job_id,
        "size_bytes": record.size_bytes,
        "sha256": record.sha256,
        "data_fingerprint": record.data_fingerprint,
        "summary": record.summary,
        "evaluated": record.evaluation is not None,
        "verdict": None if verdict is None else ("pass" if verdict.passed else "fail"),
        "checks": 0 if verdict is None else len(verdict.checks),
        "failed_checks": [] if verdict is None else [check_view(c) for c in verdict.failed()],
        **where,
    }


def detail_view(record: ModelRecord, where: dict[str, Any]) -> dict[str, Any]:
    """A model with its evaluation, set by set, and every check of its verdict."""
    verdict, evaluation = record.verdict, record.evaluation
    shown = summary_view(record, where)
    shown["all_checks"] = [] if verdict is None else [check_view(c) for c in verdict.checks]
    shown["evaluation"] = None
    if evaluation is not None:
        shown["evaluation"] = {
            "model": evaluation.model,
            "seconds": evaluation.seconds,
            "sets": [set_view(score, verdict) for score in evaluation.sets.values()],
        }
    return shown


def set_view(score: SetScore, verdict: Verdict | None) -> dict[str, Any]:
    """One set's scores, with the live model's where the verdict compared them."""
    live_macro = _live_figure(verdict, "macro", score.name)
    live_oos = _live_figure(verdict, "oos_false_accept", score.name)
    per_intent = (verdict.per_intent.get(score.name) if verdict else None) or {
        intent: (None, recall) for intent, recall in score.recall.items()
    }
    intents = [
        {"intent": intent, "support": score.support.get(intent), "live": live,
         "candidate": candidate, "delta": _delta(candidate, live)}
        for intent, (live, candidate) in per_intent.items()
    ]  # fmt: skip
    intents.sort(key=lambda i: (i["delta"] is None, i["delta"] or 0.0, i["intent"]))
    confusions = [
        {"expected": expected, "predicted": predicted, "count": count}
        for expected, predictions in score.confusions.items()
        for predicted, count in predictions.items()
    ]
    confusions.sort(key=lambda c: (-c["count"], c["expected"], c["predicted"]))
    misses = score.misses[:TOP_MISSES] if score.name == REGRESSION else ()
    return {
        "name": score.name,
        "n": score.n,
        "macro": score.macro,
        "live_macro": live_macro,
        "macro_delta": _delta(score.macro, live_macro),
        "oos_n": score.oos_n,
        "oos_false_accept": score.oos_false_accept,
        "live_oos_false_accept": live_oos,
        "oos_false_accept_delta": _delta(score.oos_false_accept, live_oos),
        "oos_handled": score.oos_handled,
        "intents": intents,
        "confusions": confusions[:TOP_CONFUSIONS],
        "misses": [
            {"text": m.text, "expected": m.expected, "predicted": m.predicted} for m in misses
        ],  # fmt: skip
    }


def check_view(check: Check) -> dict[str, Any]:
    return {
        "name": check.name,
        "set_name": check.set_name,
        "passed": check.passed,
        "candidate": check.candidate,
        "live": check.live,
        "limit": check.limit,
        "detail": check.detail,
        "says": says(check),
    }


def says(check: Check) -> str:
    """A check in plain words, e.g. "On holdout, check_bill_balance is recognised 80.0 % of the
    time against 95.0 % for the live model (-15.0 points; it must stay ≥ 90.0 %)."."""
    where = f"On {check.set_name}"
    versus = f"{_pct(check.candidate)} against {_pct(check.live)} for the live model"
    change = _points(_delta(check.candidate, check.live))
    bound = _bound(check.limit)
    if check.name == "intent_recall":
        intent = check.detail.split(":", 1)[0]
        return f"{where}, {intent} is recognised {versus} ({change}; it must stay {bound})."
    if check.name == "macro":
        return (
            f"{where}, the mean recall over in-scope intents (macro) is {versus} ({change}; it"
            f" must stay {bound})."
        )
    if check.name == "oos_false_accept":
        return (
            f"{where}, out-of-scope messages taken for a request: {versus} ({change}; it must"
            f" stay {bound})."
        )
    if check.name == "regression":
        return f"Regression set ({check.set_name}): {check.detail} (needed: {check.limit})."
    return f"{where}: {check.name}: {check.detail} (limit {check.limit})."


def _live_figure(verdict: Verdict | None, name: str, set_name: str) -> float | None:
    if verdict is None:
        return None
    found = [c.live for c in verdict.checks if c.name == name and c.set_name == set_name]
    return found[0] if found else None


def _delta(candidate: float | None, live: float | None) -> float | None:
    return None if candidate is None or live is None else candidate - live


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _points(value: float | None) -> str:
    return "no live figure" if value is None else f"{value * 100:+.1f} points"


def _bound(limit: str) -> str:
    """ ">= 0.9000" as "≥ 90.0 %"; any other limit as written."""
    found = _LIMIT.match(limit.strip())
    if not found:
        return limit
    sign = "≥" if found.group(1) == ">=" else "≤"
    return f"{sign} {float(found.group(2)) * 100:.1f} %"
