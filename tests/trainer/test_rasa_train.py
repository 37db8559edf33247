"""`rasa train` for a job (`trainer.rasa_train`): its progress read from what Rasa prints, the
components a config trains, and a training over its time stopped (with the fake `rasa`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.trainer.training_fakes import settings_for
from trainer import rasa_train


def test_a_training_over_its_time_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "sleep")
    settings = settings_for(tmp_path, "sqlite://")
    line = rasa_train.command(settings, settings.data_dir, tmp_path / "out", "m")
    started = time.monotonic()
    with (
        (tmp_path / "log").open("w") as log,
        pytest.raises(rasa_train.TrainFailed, match="ran over 1 s"),
    ):
        rasa_train.train(line, log, total=3, progress=lambda share: None, timeout=1)
    assert time.monotonic() - started < 30


def test_progress_follows_rasas_lines() -> None:
    shares: list[float] = []
    tracker = rasa_train._Progress(4, shares.append)
    for line in [
        "INFO rasa.engine.training.hooks - Starting to train component 'DIETClassifier'.",
        "Epochs:   0%|          | 0/60 [00:00<?, ?it/s]",
        "Epochs:  50%|#####     | 30/60 [00:05<00:05]",
        "Epochs:  50%|#####     | 30/60 [00:05<00:05]",  # no change: not reported again
        "INFO rasa.engine.training.hooks - Finished training component 'DIETClassifier'.",
        "INFO rasa.engine.training.hooks - Restored component 'CountVectorsFeaturizer' from cache.",
        "something else",
        "Finished training component 'A'.", "Finished training component 'B'.",
        "Finished training component 'C'.",  # more than counted: stays at 1
    ]:  # fmt: skip
        tracker.read(line)
    assert shares == [0.125, 0.25, 0.5, 0.75, 1.0]


def test_the_components_are_counted_from_the_config(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "sqlite://")
    assert rasa_train.components(settings.config) == 3
    root = Path(rasa_train.__file__).resolve().parents[1]
    # The project's: 14 components, less its tokenizer and the FallbackClassifier (Rasa
    # trains 11 of them: the sentence featurizer does not train either).
    assert rasa_train.components(root / "config.yml") == 12
    (tmp_path / "empty.yml").write_text("")
    assert rasa_train.components(tmp_path / "empty.yml") == 1
