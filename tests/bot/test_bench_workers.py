"""`python -m bot.bench_workers`: its arguments and its plot (the runs are benchmarks)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot import bench_workers


def test_worker_counts_are_whole_numbers_in_range() -> None:
    assert bench_workers.whole_numbers("1,2, 3") == [1, 2, 3]
    for bad in ("", "two", "0", "1,65", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench_workers.whole_numbers(bad)


def test_bad_arguments_are_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_workers.main(["--seconds", "0"])
    assert exit_.value.code == 2
    assert "--seconds must be more than 0" in capsys.readouterr().err


def test_the_plot_has_a_line_per_mode_and_level(tmp_path: Path) -> None:
    rows = [
        {"n": n, "mode": mode, "c": 32, "msg_per_s": rate, "p50_ms": 1, "p95_ms": 2, "errors": 0}
        for n, mode, rate in ((1, "rest", 8.0), (2, "rest", 8.1), (1, "sio", 7.0), (2, "sio", 12.0))
    ]
    path = bench_workers.plot(tmp_path, rows)
    assert path == tmp_path / "workers-levels.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_servers_every_store_is_a_sqlite_file(tmp_path: Path) -> None:
    with bench_workers.stores(tmp_path, None, None) as env:
        assert set(env) == {"DATABASE_URL", "ACTIONS_DATABASE_URL", "PRIVACY_TRACKER_STORE_URL",
                            "REPORTING_EVENTS_URL"}  # fmt: skip
        assert all(url.startswith(f"sqlite:///{tmp_path}/") for url in env.values())
