"""`python -m trainer evaluate MODEL [--against LIVE_MODEL] [--json] [--set NAME=PATH ...]`.

Scores MODEL on the evaluation sets (`trainer.evaluation`; by default the dev sets, the
hold-outs and the regression set), then judges it against LIVE_MODEL with the gates of
`TRAINER_*` settings (`trainer.gates`), or, without LIVE_MODEL, on the regression set alone (a
first model). Prints each set's scores, the per-intent changes, the top confusions and the
verdict. Exit status: 0 passed, 1 failed, 2 bad arguments (a missing or unreadable file
included).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trainer.evaluation import (
    REGRESSION,
    EvalSet,
    Evaluation,
    EvaluationError,
    SetScore,
    evaluate_model,
)
from trainer.gates import Verdict, compare
from trainer.settings import TrainerSettings

SHOWN_CHARACTERS = 100  # of a regression text, in what is printed
TOP_CONFUSIONS = 5  # per set
SHOWN_MISSES = 20


def _eval_set(text: str) -> EvalSet:
    name, sign, path = text.partition("=")
    if not sign or not name.strip() or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, not {text!r}")
    return EvalSet(name.strip(), Path(path))


def add_parser(commands: Any) -> None:
    """Add the `evaluate` command to the subparsers of `python -m trainer`."""
    parser = commands.add_parser(
        "evaluate",
        help="score a model on the evaluation sets and judge it against the live one",
        description="Loads each model in this process (about a minute per model on the"
        " default sets) and parses every distinct text once, as Rasa's /model/parse does.",
    )
    parser.add_argument("model", type=Path, metavar="MODEL", help="a model file (.tar.gz)")
    parser.add_argument("--against", type=Path, metavar="LIVE_MODEL", help="the live model")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--set",
        type=_eval_set,
        action="append",
        dest="sets",
        metavar="NAME=PATH",
        help="an evaluation set instead of the defaults; repeat; the one named"
        f" {REGRESSION!r} is judged message by message",
    )


def run(args: argparse.Namespace) -> int:
    """Run `evaluate`; returns the exit status."""
    try:
        settings = TrainerSettings()
    except ValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sets = args.sets or settings.sets()
    problem = _argument_problem(args.model, args.against, sets)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        candidate = _evaluate(args.model, sets)
        live = _evaluate(args.against, sets) if args.against else None
    except EvaluationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verdict = compare(candidate, live, settings.gates())
    print(as_json(candidate, live, verdict) if args.json else as_text(candidate, live, verdict))
    return 0 if verdict.passed else 1


def _argument_problem(model: Path, against: Path | None, sets: list[EvalSet]) -> str:
    for path in (model, against):
        if path is not None and not path.is_file():
            return f"no model file {path}"
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        return f"each set needs a name of its own: {', '.join(names)}"
    missing = [str(s.path) for s in sets if not s.path.is_file()]
    return f"no set file {', '.join(missing)}" if missing else ""


def _evaluate(model: Path, sets: list[EvalSet]) -> Evaluation:
    print(f"evaluating {model} on {', '.join(s.name for s in sets)} ...", file=sys.stderr)
    return evaluate_model(model, sets)


def as_json(candidate: Evaluation, live: Evaluation | None, verdict: Verdict) -> str:
    """Both evaluations and the verdict, as one JSON object (ASCII: texts come out escaped)."""
    return json.dumps(
        {
            "candidate": json.loads(candidate.to_json()),
            "live": json.loads(live.to_json()) if live else None,
            "verdict": json.loads(verdict.to_json()),
        },
        indent=2,
    )


def as_text(candidate: Evaluation, live: Evaluation | None, verdict: Verdict) -> str:
    """The scores, changes, confusions and verdict for a terminal."""
    lines = [_timing("model", candidate)]
    if live:
        lines.append(_timing("live", live))
    lines += ["", f"{'set':12} {'n':>5}  {'macro':18} {'OOS false-accept':18} {'OOS handled':18}"]
    for name, score in candidate.sets.items():
        before = live.sets.get(name) if live else None
        lines.append(
            f"{name:12} {score.n:>5}  " + " ".join(_figure(score, before, key) for key in _FIGURES)
        )
    lines += _intent_changes(verdict)
    lines += _confusions(candidate)
    lines += _misses(candidate.sets.get(REGRESSION))
    lines += _verdict(verdict)
    return "\n".join(line.rstrip() for line in lines)


_FIGURES = ("macro", "oos_false_accept", "oos_handled")


def _timing(role: str, evaluation: Evaluation) -> str:
    texts = sum(score.n for score in evaluation.sets.values())
    return (
        f"{role:5} {evaluation.model}: {texts:,} labelled messages in {len(evaluation.sets)}"
        f" sets, {evaluation.seconds:.1f} s (load and parse)"
    )


def _figure(score: SetScore, before: SetScore | None, key: str) -> str:
    value = getattr(score, key)
    if value is None:
        return f"{'-':18}"
    old = getattr(before, key) if before else None
    change = f" ({value - old:+.4f})" if old is not None else ""
    return f"{f'{value:.4f}{change}':18}"


def _intent_changes(verdict: Verdict) -> list[str]:
    changed = [
        f"  {name:12} {intent:24} {_recall(old)} -> {_recall(new)}"
        + (f"  {new - old:+.4f}" if old is not None and new is not None else "")
        for name, intents in verdict.per_intent.items()
        for intent, (old, new) in intents.items()
        if old != new and old is not None
    ]
    return ["", "recall per intent where it changed (live -> model):", *changed] if changed else []


def _recall(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _confusions(evaluation: Evaluation) -> list[str]:
    lines = []
    for name, score in evaluation.sets.items():
        pairs = sorted(
            (-count, true, guess)
            for true, row in score.confusions.items()
            for guess, count in row.items()
        )[:TOP_CONFUSIONS]
        if pairs:
            shown = ", ".join(f"{true} -> {guess} {-count}" for count, true, guess in pairs)
            lines.append(f"  {name:12} {shown}")
    return ["", "top confusions (label -> predicted, count):", *lines] if lines else []


def _misses(score: SetScore | None) -> list[str]:
    if score is None or not score.misses:
        return []
    lines = ["", f"regression messages missed ({len(score.misses)} of {score.n}):"]
    for miss in score.misses[:SHOWN_MISSES]:
        lines.append(f"  {_shown(miss.text)}: {miss.expected}, predicted {miss.predicted}")
    if len(score.misses) > SHOWN_MISSES:
        lines.append(f"  ... and {len(score.misses) - SHOWN_MISSES} more (--json lists them)")
    return lines


def _verdict(verdict: Verdict) -> list[str]:
    failed = verdict.failed()
    if not verdict.checks:
        head = "verdict: PASS (nothing to check: no live model and no regression set)"
    elif verdict.passed:
        head = f"verdict: PASS ({len(verdict.checks)} checks held)"
    else:
        head = f"verdict: FAIL ({len(failed)} of {len(verdict.checks)} checks failed)"
    lines = ["", head]
    for check in failed:
        lines.append(f"  {check.set_name:12} {check.name}: {check.detail} (limit {check.limit})")
    regression = [c for c in verdict.checks if c.name == "regression" and c.passed]
    lines += [f"  {c.set_name:12} regression: {c.detail}" for c in regression]
    return lines


def _shown(text: str) -> str:
    """`text` quoted and inert: what the terminal would act on (escape sequences, surrogates)
    shown as \\uXXXX, long texts cut."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    cut = shown[:SHOWN_CHARACTERS] + ("..." if len(shown) > SHOWN_CHARACTERS else "")
    return f'"{cut}"'
