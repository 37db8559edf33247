"""nlu.bench_encoder refuses what it cannot run, with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu import bench_encoder


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--rounds", "0"], "--rounds must be"),
        (["--texts", "no/such/set.jsonl"], "no such file"),
    ],
)
def test_bad_arguments_get_a_clear_error(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_encoder.main(arguments)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_an_empty_set_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(SystemExit):
        bench_encoder.main(["--texts", str(empty)])
    assert "no text to encode" in capsys.readouterr().err
