"""Evaluation (`trainer.evaluation`): the scores on synthetic predictions, checked by hand and
against ../shared/eval/nlu_eval.py itself; reading the sets; JSON round trips; and one real
evaluation of models/nimbus.tar.gz on a small subset of the hold-outs (one model load)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from trainer.evaluation import (
    BUSINESS,
    REGRESSION,
    SHARED_EVAL,
    EvalSet,
    Evaluation,
    EvaluationError,
    Labelled,
    Miss,
    default_sets,
    evaluate_model,
    predicted_label,
    read_set,
    score_set,
)
from trainer.settings import TrainerSettings

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "nimbus.tar.gz"
HOLDOUT = ROOT / "tests" / "data" / "holdout.jsonl"
NLU_EVAL = SHARED_EVAL / "nlu_eval.py"


def _rows(*pairs: tuple[str, str]) -> list[Labelled]:
    return [Labelled(text, intent) for text, intent in pairs]


def test_scores_by_hand() -> None:
    rows = _rows(
        ("bill 1", "check_bill_balance"), ("bill 2", "check_bill_balance"),
        ("bill 3", "check_bill_balance"), ("bill 4", "check_bill_balance"),
        ("hi", "greet"),
        ("poem", "OOS"), ("weather", "OOS"), ("calories", "OOS"), ("joke", "out_of_scope"),
    )  # fmt: skip
    predicted = {
        "bill 1": "check_bill_balance", "bill 2": "check_bill_balance",
        "bill 3": "check_bill_balance", "bill 4": "nlu_fallback", "hi": "greet",
        "poem": "nlu_fallback", "weather": "check_outage", "calories": "greet",
        "joke": "out_of_scope",
    }  # fmt: skip
    score = score_set("dev", rows, predicted)
    assert score.n == 9 and score.support == {"check_bill_balance": 4, "greet": 1}
    assert score.recall == {"check_bill_balance": 0.75, "greet": 1.0}
    assert score.macro == pytest.approx((0.75 + 1.0) / 2)  # per label, not per message (0.8)
    # A trainer's out_of_scope label counts as OOS; "greet" on OOS is neither accepted nor handled.
    assert score.oos_n == 4
    assert score.oos_false_accept == pytest.approx(1 / 4)
    assert score.oos_handled == pytest.approx(2 / 4)
    assert score.confusions == {
        "OOS": {"check_outage": 1, "greet": 1},
        "check_bill_balance": {"nlu_fallback": 1},
    }
    assert score.misses == () and score.texts == ()


def test_no_in_scope_or_no_oos_gives_none() -> None:
    only_oos = score_set("x", _rows(("poem", "OOS")), {"poem": "track_order"})
    assert only_oos.macro is None and only_oos.recall == {}
    assert only_oos.oos_false_accept == 1.0 and only_oos.oos_handled == 0.0
    only_in = score_set("x", _rows(("hi", "greet")), {"hi": "greet"})
    assert only_in.macro == 1.0 and only_in.oos_false_accept is None
    assert only_in.oos_handled is None


def test_retrieval_intents_are_judged_on_their_topic_when_the_label_names_one() -> None:
    rows = _rows(("roam", "faq"), ("roam 2", "faq/roaming"), ("hours", "faq/opening_hours"))
    predicted = {"roam": "faq/roaming", "roam 2": "faq/roaming", "hours": "faq/roaming"}
    score = score_set(REGRESSION, rows, predicted, keep_misses=True)
    assert score.recall == {"faq": 1.0, "faq/opening_hours": 0.0, "faq/roaming": 1.0}
    assert score.misses == (Miss("hours", "faq/opening_hours", "faq/roaming"),)
    assert score.texts == ("roam", "roam 2", "hours")


def test_a_business_topic_counts_as_a_false_accept() -> None:
    assert "check_outage" in BUSINESS
    score = score_set("x", _rows(("a", "OOS"), ("b", "OOS")), {"a": "faq/roaming", "b": "nope"})
    assert score.oos_false_accept == 0.0 and score.oos_handled == 0.0


def test_predicted_label_is_what_model_parse_names() -> None:
    parsed = {"intent": {"name": "track_order", "confidence": 0.93}, "entities": []}
    assert predicted_label(parsed) == "track_order"
    faq = {"intent": {"name": "faq", "full_retrieval_intent_name": "faq/roaming"}}
    assert predicted_label(faq) == "faq/roaming"
    assert predicted_label({"intent": {"name": None, "confidence": 0.0}}) == "none"


class _Parse(BaseHTTPRequestHandler):
    """A stand-in for Rasa's /model/parse answering from a table of predictions."""

    predictions: dict[str, str] = {}

    def do_POST(self) -> None:
        text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"]
        body = json.dumps({"intent": {"name": self.predictions[text]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _synthetic(row: Labelled) -> str:
    """A repeatable, varied guess: right most of the time, otherwise one of several kinds."""
    wrong = ["nlu_fallback", "out_of_scope", "greet", "track_order", "check_outage"]
    digest = hashlib.sha256(row.text.encode()).digest()
    return row.intent if digest[0] < 150 and row.intent != "OOS" else wrong[digest[1] % 5]


def test_scores_equal_those_of_nlu_eval(tmp_path: Path) -> None:
    if not NLU_EVAL.is_file():
        pytest.skip(f"{NLU_EVAL} is not here")
    rows = read_set(HOLDOUT)
    predicted = {row.text: _synthetic(row) for row in rows}
    handler = type("Parse", (_Parse,), {"predictions": predicted})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        report = tmp_path / "report.json"
        subprocess.run(
            [sys.executable, str(NLU_EVAL), str(HOLDOUT), "--json", str(report),
             "--url", f"http://127.0.0.1:{server.server_address[1]}"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    theirs = json.loads(report.read_text())
    ours = score_set("holdout", rows, predicted)
    assert 0.3 < theirs["in_scope_macro_accuracy"] < 0.9  # the synthetic guesses are varied
    assert round(ours.macro or 0, 4) == theirs["in_scope_macro_accuracy"]
    assert {k: round(v, 4) for k, v in ours.recall.items()} == theirs["recall"]
    assert round(ours.oos_false_accept or 0, 4) == theirs["oos_false_accept"]
    assert round(ours.oos_handled or 0, 4) == theirs["oos_handled"]
    assert ours.n == theirs["n"]


def test_read_set_skips_empty_lines(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    lines = ['{"text": "hi", "intent": "greet", "source": "chat"}', "", "   ",
             '{"text": "où est ma commande", "intent": "track_order"}', ""]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")
    assert read_set(path) == _rows(("hi", "greet"), ("où est ma commande", "track_order"))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"text": "hi", "intent": ', "not a JSON line"),
        (b'["hi", "greet"]', "not a JSON object"),
        (b'{"text": "hi"}', '"intent" must be a non-empty string'),
        (b'{"text": "", "intent": "greet"}', '"text" must be a non-empty string'),
        (b'{"text": 3, "intent": "greet"}', '"text" must be a non-empty string'),
        (b'{"text": "\\ud800", "intent": "greet"}', '"text" is not valid Unicode'),
        (b'{"text": "caf\xe9", "intent": "greet"}', "not UTF-8"),
    ],
)
def test_a_malformed_line_is_an_error_naming_file_and_line(
    tmp_path: Path, line: bytes, reason: str
) -> None:
    path = tmp_path / "set.jsonl"
    path.write_bytes(b'{"text": "hi", "intent": "greet"}\n\n' + line + b"\n")
    with pytest.raises(EvaluationError, match=f"^{path}:3: {reason}"):
        read_set(path)


def test_a_missing_set_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="cannot read the set .*absent.jsonl"):
        read_set(tmp_path / "absent.jsonl")


def test_default_sets_add_the_regression_set_once_there(tmp_path: Path) -> None:
    regression = tmp_path / "regression.jsonl"
    names = [s.name for s in default_sets(regression)]
    assert names[-2:] == ["holdout", "holdout_fr"]
    assert ("dev" in names) == (SHARED_EVAL / "dev.jsonl").is_file()
    regression.write_text('{"text": "hi", "intent": "greet"}\n', encoding="utf-8")
    assert default_sets(regression)[-1] == EvalSet(REGRESSION, regression)


def test_the_settings_name_the_sets_and_pass_them_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regression = tmp_path / "regression.jsonl"
    monkeypatch.setenv("TRAINER_REGRESSION_FILE", str(regression))
    monkeypatch.setenv("TRAINER_EVALUATION_SETS", json.dumps({"mine": str(tmp_path / "m.jsonl")}))
    settings = TrainerSettings()
    assert settings.sets() == [EvalSet("mine", tmp_path / "m.jsonl")]
    regression.write_text('{"text": "hi", "intent": "greet"}\n', encoding="utf-8")
    assert [s.name for s in settings.sets()] == ["mine", REGRESSION]
    for name, value in settings.as_env().items():  # what a worker or a job's process reads
        monkeypatch.setenv(name, value)
    assert TrainerSettings().sets() == settings.sets()
    monkeypatch.delenv("TRAINER_EVALUATION_SETS")
    assert TrainerSettings().sets() == default_sets(regression)


def test_evaluation_json_round_trip() -> None:
    rows = _rows(("hi", "greet"), ("bye", "goodbye"), ("poem", "OOS"), ("ça 😬", "greet"))
    predicted = {"hi": "greet", "bye": "thank", "poem": "track_order", "ça 😬": "greet"}
    evaluation = Evaluation(
        model="candidate.tar.gz",
        sets={
            "dev": score_set("dev", rows, predicted),
            REGRESSION: score_set(REGRESSION, rows, predicted, keep_misses=True),
        },
        seconds=12.5,
    )
    text = evaluation.to_json()
    assert text.isascii()
    assert Evaluation.from_json(text) == evaluation
    assert Evaluation.from_json(text).sets[REGRESSION].misses[0] == Miss("bye", "goodbye", "thank")


@pytest.mark.parametrize(
    "text", ["", "[]", '{"model": "m"}', '{"model": "m", "seconds": 1, "sets": {"x": {}}}']
)
def test_from_json_refuses_what_is_not_an_evaluation(text: str) -> None:
    with pytest.raises(ValueError, match="not an evaluation"):
        Evaluation.from_json(text)


def test_a_bad_set_fails_before_the_model_is_loaded(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match=f"{bad}:1"):
        evaluate_model(tmp_path / "no-model.tar.gz", [EvalSet("bad", bad)])


def test_a_missing_or_invalid_model_is_an_error(tmp_path: Path) -> None:
    good = tmp_path / "set.jsonl"
    good.write_text('{"text": "hi", "intent": "greet"}\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match="no model file"):
        evaluate_model(tmp_path / "absent.tar.gz", [EvalSet("s", good)])
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a model")
    with pytest.raises(EvaluationError, match="cannot load the model"):
        evaluate_model(junk, [EvalSet("s", good)])


# --- one real evaluation -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Evaluation, list[EvalSet]]]:
    """models/nimbus.tar.gz on 20 lines of each hold-out and a small regression set, evaluated
    from inside a running event loop (as a caller in async code would)."""
    assert MODEL.is_file(), f"{MODEL} is missing: run `make model`"
    folder = tmp_path_factory.mktemp("sets")
    sets = []
    for name in ("holdout", "holdout_fr"):
        lines = (ROOT / "tests" / "data" / f"{name}.jsonl").read_text("utf-8").splitlines()
        path = folder / f"{name}.jsonl"
        path.write_text("\n".join(lines[::17][:20]) + "\n", encoding="utf-8")
        sets.append(EvalSet(name, path))
    regression = folder / "regression.jsonl"
    first = json.loads(lines[0])  # the same text in two sets is parsed once
    regression.write_text(
        json.dumps({**first, "language": "fr", "labelled_at": "2025-01-01T00:00:00+00:00",
                    "author": "tess"}) + "\n"
        + json.dumps({"text": "ma facture est de combien ?", "intent": "check_bill_balance"})
        + "\n",
        encoding="utf-8",
    )  # fmt: skip
    sets.append(EvalSet(REGRESSION, regression))

    async def in_a_loop() -> Evaluation:
        return evaluate_model(MODEL, sets)

    yield asyncio.run(in_a_loop()), sets


def test_real_evaluation_scores_every_set(real: tuple[Evaluation, list[EvalSet]]) -> None:
    evaluation, sets = real
    assert evaluation.model == "nimbus.tar.gz"
    assert list(evaluation.sets) == [s.name for s in sets]
    assert [score.n for score in evaluation.sets.values()] == [20, 20, 2]
    assert 0 < evaluation.seconds < 300


def test_real_evaluation_understands_well_above_chance(
    real: tuple[Evaluation, list[EvalSet]],
) -> None:
    evaluation, _ = real
    for name in ("holdout", "holdout_fr"):
        score = evaluation.sets[name]
        assert score.oos_n > 0 and len(score.recall) >= 5
        # About ten labels: chance is near 0.1; the model scores above 0.9 on the full sets.
        assert score.macro is not None and score.macro >= 0.7, score
        assert score.oos_false_accept is not None and score.oos_false_accept <= 0.25, score
    regression = evaluation.sets[REGRESSION]
    assert regression.texts == tuple(row.text for row in read_set(real[1][2].path))
    assert len(regression.misses) <= 1
