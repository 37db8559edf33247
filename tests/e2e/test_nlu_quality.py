"""NLU quality on labelled sets of real-style messages, scored by ../shared/eval/nlu_eval.py.

Two sets, neither used for training: the shared evaluation set beside the repo, and
tests/data/holdout.jsonl, written independently of the training data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"
SETS = {"dev": EVAL / "dev.jsonl", "holdout": ROOT / "tests" / "data" / "holdout.jsonl"}

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", SETS)
def test_scores(stack, tmp_path: Path, name: str) -> None:
    if not SETS[name].exists() or not (EVAL / "nlu_eval.py").exists():
        pytest.skip(f"{SETS[name]} or the shared scorer is not here")
    report = tmp_path / "nlu_eval.json"
    subprocess.run(
        [sys.executable, str(EVAL / "nlu_eval.py"), str(SETS[name]),
         "--url", stack.bot.rasa_url, "--token", stack.bot.rasa_token, "--json", str(report)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    scores = json.loads(report.read_text())
    print(f"\nNLU on {name}:", json.dumps({k: scores[k] for k in list(scores)[:5]}))
    assert scores["in_scope_macro_accuracy"] >= 0.92, scores
    assert scores["oos_false_accept"] <= 0.08, scores
