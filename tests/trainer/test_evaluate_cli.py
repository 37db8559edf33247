"""`python -m trainer evaluate` (`trainer.evaluate_cli`): what it prints and its exit status. The
model is stood in for by predictions from a table (the real in-process evaluation is tested in
test_evaluation.py), so the sets are really read and scored and the gates really applied."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from trainer import evaluate_cli, evaluation
from trainer.evaluation import EvalSet, Evaluation, read_set, score_set
from trainer.gates import Verdict

ROWS = [
    *[(f"where is order {i}", "track_order") for i in range(10)],
    *[(f"my bill {i}", "check_bill_balance") for i in range(10)],
    *[(f"poem {i}", "OOS") for i in range(5)],
]
REGRESSION = [("\x1b[31mwhere's my stuff", "track_order"), ("facture ?", "check_bill_balance")]


def _predict(model: Path, text: str, intent: str) -> str:
    """ "good" gets everything right; "bad" takes two orders as bills and one poem as an order."""
    if intent == "OOS":
        return (
            "track_order" if model.name.startswith("bad") and text == "poem 0" else "nlu_fallback"
        )
    if model.name.startswith("bad") and text in ("where is order 0", "where is order 1"):
        return "check_bill_balance"
    if model.name.startswith("bad") and text.startswith("\x1b"):
        return "nlu_fallback"
    return intent


def _fake_evaluate(model: Path, sets: list[EvalSet]) -> Evaluation:
    scores = {}
    for s in sets:
        rows = read_set(s.path)
        predicted = {row.text: _predict(model, row.text, row.intent) for row in rows}
        scores[s.name] = score_set(s.name, rows, predicted, keep_misses=s.name == "regression")
    return Evaluation(model=model.name, sets=scores, seconds=3.0)


@pytest.fixture()
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setattr(evaluate_cli, "evaluate_model", _fake_evaluate)
    # Its sets are a few messages: the limits alone, without the noise allowance of big sets.
    monkeypatch.setenv("TRAINER_NOISE_SIGMAS", "0")
    paths = {}
    for name, rows in (("dev.jsonl", ROWS), ("regression.jsonl", REGRESSION)):
        paths[name] = tmp_path / name
        lines = [json.dumps({"text": t, "intent": i}) for t, i in rows]
        paths[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("good.tar.gz", "bad.tar.gz", "live.tar.gz"):
        paths[name] = tmp_path / name
        paths[name].write_bytes(b"a model")
    return paths


def _run(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer")
    evaluate_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return evaluate_cli.run(parser.parse_args(["evaluate", *arguments]))


def _sets(files: dict[str, Path]) -> list[str]:
    return [f"--set=dev={files['dev.jsonl']}", f"--set=regression={files['regression.jsonl']}"]


def test_a_candidate_as_good_passes_with_exit_0(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run([str(files["good.tar.gz"]), f"--against={files['live.tar.gz']}", *_sets(files)])
    out = capsys.readouterr().out
    assert code == 0
    assert "model good.tar.gz: 27 labelled messages in 2 sets, 3.0 s" in out
    assert "live  live.tar.gz" in out
    dev_row = next(line for line in out.splitlines() if line.startswith("dev "))
    assert dev_row.split()[:5] == ["dev", "25", "1.0000", "(+0.0000)", "0.0000"]
    assert "verdict: PASS (5 checks held)" in out
    assert "0 lost of 2 the live model gets right" in out
    assert "recall per intent where it changed" not in out and "top confusions" not in out


def test_a_worse_candidate_fails_with_exit_1_and_says_why(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run([str(files["bad.tar.gz"]), f"--against={files['live.tar.gz']}", *_sets(files)])
    out = capsys.readouterr().out
    assert code == 1
    dev_row = next(line for line in out.splitlines() if line.startswith("dev "))
    assert dev_row.split()[2:6] == ["0.9000", "(-0.1000)", "0.2000", "(+0.2000)"]
    assert "  dev          track_order              1.0000 -> 0.8000  -0.2000" in out
    assert "  dev          track_order -> check_bill_balance 2, OOS -> track_order 1" in out
    assert "verdict: FAIL (4 of 5 checks failed)" in out
    assert "intent_recall: track_order: 1.0000 -> 0.8000 (-0.2000, n=10) (limit >= 0.9500)" in out
    assert "oos_false_accept: OOS false-accept 0.0000 -> 0.2000 (+0.2000, n=5)" in out
    # The regression text's escape sequence is shown, not sent to the terminal.
    assert '"\\u001b[31mwhere\'s my stuff": track_order, predicted nlu_fallback' in out
    assert "\x1b" not in out


def test_json_carries_both_evaluations_and_the_verdict(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(
        [str(files["bad.tar.gz"]), f"--against={files['live.tar.gz']}", "--json", *_sets(files)]
    )
    out = capsys.readouterr().out
    assert code == 1 and out.isascii()
    data = json.loads(out)
    assert Evaluation.from_json(json.dumps(data["candidate"])).sets["dev"].macro == 0.9
    assert Evaluation.from_json(json.dumps(data["live"])).model == "live.tar.gz"
    verdict = Verdict.from_json(json.dumps(data["verdict"]))
    assert not verdict.passed and len(verdict.failed()) == 4


def test_without_a_live_model_only_the_regression_set_counts(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run([str(files["good.tar.gz"]), *_sets(files)]) == 0
    assert "verdict: PASS (1 checks held)" in capsys.readouterr().out
    assert _run([str(files["bad.tar.gz"]), *_sets(files)]) == 1
    assert "regression: 1 of 2 right" in capsys.readouterr().out
    assert _run([str(files["bad.tar.gz"]), f"--set=dev={files['dev.jsonl']}"]) == 0
    assert "verdict: PASS (nothing to check" in capsys.readouterr().out


def test_gates_come_from_the_trainer_settings(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRAINER_MAX_INTENT_DROP", "0.25")
    monkeypatch.setenv("TRAINER_MACRO_TOLERANCE", "0.2")
    monkeypatch.setenv("TRAINER_OOS_FALSE_ACCEPT_TOLERANCE", "0.2")
    sets = [f"--set=dev={files['dev.jsonl']}"]
    assert _run([str(files["bad.tar.gz"]), f"--against={files['live.tar.gz']}", *sets]) == 0
    monkeypatch.setenv("TRAINER_MACRO_TOLERANCE", "not a number")
    assert _run([str(files["bad.tar.gz"]), *sets]) == 2
    assert "macro_tolerance" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["absent.tar.gz"], "no model file absent.tar.gz"),
        (["good.tar.gz", "--against=absent.tar.gz"], "no model file absent.tar.gz"),
        (["good.tar.gz", "--set=dev=absent.jsonl"], "no set file absent.jsonl"),
        (["good.tar.gz", "--set=a=dev.jsonl", "--set=a=dev.jsonl"], "a name of its own"),
        (["good.tar.gz", "--set=bad=malformed.jsonl"], "malformed.jsonl:2: not a JSON line"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(files["dev.jsonl"].parent)
    Path("malformed.jsonl").write_text('{"text": "hi", "intent": "greet"}\n{oops\n')
    monkeypatch.setattr(evaluate_cli, "evaluate_model", evaluation.evaluate_model)
    assert _run(arguments) == 2
    captured = capsys.readouterr()
    last = captured.err.splitlines()[-1]
    assert last.startswith("error: ") and message in last
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.parametrize("value", ["dev", "=dev.jsonl", "dev="])
def test_a_set_must_be_name_equals_path(value: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        _run(["good.tar.gz", f"--set={value}"])
    assert stopped.value.code == 2
