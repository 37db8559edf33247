"""Dialogue tests: `rasa test core` on tests/stories, with the model `make test` trained."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import BotSettings

ROOT = Path(__file__).resolve().parents[2]


def test_every_story_is_predicted(tmp_path: Path) -> None:
    model = ROOT / BotSettings().model
    if not model.exists():
        pytest.fail("no trained model: `make test` trains it before running the tests")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"), "test", "core",
            "--model", str(model),
            "--stories", "tests/stories/test_stories.yml",
            "--out", str(tmp_path),
            "--no-plot",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = tmp_path / "failed_test_stories.yml"
    assert failed.exists(), "rasa test core wrote no report"
    assert "story:" not in failed.read_text(), failed.read_text()[:5000]
