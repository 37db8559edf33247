"""`rasa train` in a child process for a training job: its command, its environment, its
output copied to the job's log, and how far it is, read from what it logs.

Rasa logs "Finished training component 'X'." (or "Restored component 'X' from cache.") as each
trained component of the graph ends, and a tqdm bar "Epochs: 40%|..." while the neural ones
(DIET, the response selector, TED) train; progress is the share of the config's components
done plus the running one's share of epochs. The child runs in the repository, where the custom
components (`nlu/`) import from and where Rasa keeps its cache (`.rasa/cache`), shared with
`make model`: components whose inputs did not change are restored, not trained again.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ruamel.yaml import YAML

from trainer.settings import ROOT, TrainerSettings

COMPONENT_DONE = re.compile(r"(?:Finished training|Restored) component '(\w+)'")
EPOCHS = re.compile(r"Epochs:\s+(\d{1,3})%")
COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # Rasa colours its warnings; the log is plain text
ERROR_LINE = re.compile(r"Cannot finetune|Error|Exception|error:")
UNTRAINED = ("Tokenizer", "FallbackClassifier")  # name endings of what Rasa does not train
KEPT_LINES = 50  # of the output, to find why a failed training failed
ENVIRONMENT = {
    # No usage data sent; reproducible training (config.yml fixes the seeds); TensorFlow's
    # info lines kept out of the log. The runner and the worker, which evaluate, get them too.
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_DETERMINISTIC_OPS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONUNBUFFERED": "1",
}


def quiet_environment() -> None:
    """Set `ENVIRONMENT`'s variables in this process where unset (before Rasa is imported)."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)


class TrainFailed(RuntimeError):
    """`rasa train` failed; the message says why, from its output."""


def command(
    settings: TrainerSettings,
    data_dir: Path,
    out: Path,
    model_id: str,
    finetune: Path | None = None,
    epoch_fraction: float = 1.0,
) -> list[str]:
    """The `rasa train` command line; with `finetune`, incremental training of that model."""
    line = [
        str(settings.rasa), "train",
        "--config", str(settings.config), "--domain", str(settings.domain),
        "--data", str(data_dir), "--out", str(out), "--fixed-model-name", model_id,
    ]  # fmt: skip
    if finetune is not None:
        line += ["--finetune", str(finetune), "--epoch-fraction", str(epoch_fraction)]
    return line


def components(config: Path) -> int:
    """About how many components the config trains: its pipeline's and its policies', but
    tokenizers and the FallbackClassifier, which Rasa never trains (a custom component that
    does not train either makes the estimate one too high: progress then ends a little short
    of 0.8 before the evaluation's 0.8)."""
    loaded = YAML(typ="safe").load(config.read_text(encoding="utf-8")) or {}
    names = [str(each.get("name", "")) for each in (loaded.get("pipeline") or [])]
    names += [str(each.get("name", "")) for each in (loaded.get("policies") or [])]
    trained = [name for name in names if not name.endswith(UNTRAINED)]
    return max(len(trained), 1)


def train(
    line: list[str],
    output: TextIO,
    *,
    total: int,
    progress: Callable[[float], None],
    timeout: float,
) -> Path:
    """Run `line`, its output appended to `output`, `progress` told the share done (0 to 1)
    when it changes; returns the model file (`--out`/`--fixed-model-name`.tar.gz).

    Raises:
        TrainFailed: it exited with an error, made no model, or ran over `timeout` seconds.
    """
    out, name = (line[line.index(option) + 1] for option in ("--out", "--fixed-model-name"))
    model = Path(out) / f"{name}.tar.gz"
    child = subprocess.Popen(
        line,
        cwd=ROOT,
        env={**os.environ, **ENVIRONMENT},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        child.kill()

    timer = threading.Timer(timeout, stop)
    timer.start()
    tracker = _Progress(total, progress)
    last: deque[str] = deque(maxlen=KEPT_LINES)
    try:
        assert child.stdout is not None
        for line_read in child.stdout:  # universal newlines: tqdm's "\r" updates are lines too
            text = COLOURS.sub("", line_read)
            output.write(text if text.endswith("\n") else text + "\n")
            output.flush()
            last.append(text.strip())
            tracker.read(text)
        code = child.wait()
    finally:
        timer.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
    if timed_out.is_set():
        raise TrainFailed(f"rasa train ran over {timeout:.0f} s and was stopped")
    if code != 0:
        raise TrainFailed(f"rasa train failed (exit {code}): {why(last)}")
    if not model.is_file():
        raise TrainFailed(f"rasa train made no model at {model}: {why(last)}")
    return model


def why(lines: deque[str]) -> str:
    """The last line of the output that says what went wrong, else its last line."""
    shown = [line for line in lines if line]
    errors = [line for line in shown if ERROR_LINE.search(line)]
    return (errors or shown or ["no output"])[-1]


class _Progress:
    """The share of a training done, from Rasa's log lines; reports when it grows by 1 %."""

    def __init__(self, total: int, report: Callable[[float], None]) -> None:
        self.total, self.report = total, report
        self.done, self.epochs, self.reported = 0, 0.0, 0.0

    def read(self, line: str) -> None:
        if COMPONENT_DONE.search(line):
            self.done, self.epochs = self.done + 1, 0.0
        elif match := EPOCHS.search(line):
            self.epochs = min(int(match[1]), 100) / 100
        else:
            return
        share = min((self.done + self.epochs) / self.total, 1.0)
        if share >= self.reported + 0.01:
            self.reported = share
            self.report(share)
