"""NLU quality on the shared evaluation set, scored by ../shared/eval/nlu_eval.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(not (EVAL / "dev.jsonl").exists(), reason="no shared evaluation set")
def test_dev_set_scores(stack, tmp_path: Path) -> None:
    report = tmp_path / "nlu_eval.json"
    subprocess.run(
        [sys.executable, str(EVAL / "nlu_eval.py"), str(EVAL / "dev.jsonl"),
         "--url", stack.bot.rasa_url, "--json", str(report)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    scores = json.loads(report.read_text())
    print("\nNLU on dev.jsonl:", json.dumps(scores))
    assert scores["in_scope_macro_accuracy"] >= 0.92, scores
    assert scores["oos_false_accept"] <= 0.08, scores
