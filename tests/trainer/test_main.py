"""`python -m trainer`: every command reachable from the one entry point, in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


COMMANDS = (
    "inbox", "label", "evaluate", "train", "models", "run-job", "worker",
    "publish", "promote", "rollback", "status", "bootstrap",
)  # fmt: skip


def test_every_command_is_listed_in_the_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trainer", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SWITCHBOARD_ENVIRONMENT": "development"},
    )
    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ")}
    assert listed >= set(COMMANDS)


@pytest.mark.parametrize(
    "arguments",
    [[], ["retrain"], ["label", "--language=de", "--intent=greet", "hallo"], ["inbox", "--days=0"]],
)
def test_bad_arguments_exit_2(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(arguments)
    assert stopped.value.code == 2


def test_a_label_refused_exits_1_and_changes_nothing(tmp_path: Path) -> None:
    # An intent the domain does not have, on a copy of nothing: refused before any write.
    (tmp_path / "nlu" / "en").mkdir(parents=True)
    domain = tmp_path / "domain.yml"
    domain.write_text('version: "3.1"\nintents:\n  - greet\n', encoding="utf-8")
    code = main(
        ["label", f"--data-dir={tmp_path / 'nlu'}", f"--domain={domain}",
         f"--regression-file={tmp_path / 'regression.jsonl'}", "--author=ana",
         "--language=en", "--intent=no_such_intent", "hello there"]
    )  # fmt: skip
    assert code == 1
    assert not (tmp_path / "regression.jsonl").exists()
    assert domain.read_text(encoding="utf-8") == 'version: "3.1"\nintents:\n  - greet\n'
