"""`python -m bot.bench_table`: its arguments, the loop's output it reads and the table it
prints (the runs themselves are benchmarks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import bench_table


def test_bad_arguments_are_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_table.main(["--seconds", "0"])
    assert exit_.value.code == 2
    assert "--seconds must be more than 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        bench_table.main(["--load-script", str(tmp_path / "missing.py")])
    assert exit_.value.code == 2
    assert "no load script" in capsys.readouterr().err


def test_the_loop_s_json_lines_are_read_and_its_failure_said(tmp_path: Path) -> None:
    script = tmp_path / "load.py"
    script.write_text(
        "import json, sys\n"
        "if sys.argv[1] == 'broken':\n"
        "    sys.exit('no such mode')\n"
        "print('warming up')\n"
        "for c in sys.argv[4].split(','):\n"
        "    print(json.dumps({'mode': sys.argv[1], 'c': int(c), 'msg_per_s': 1.5,"
        " 'p50_ms': 10, 'p95_ms': 20, 'errors': 0, 'url': sys.argv[2]}))\n"
    )
    rows = bench_table.load(script, "rest", "http://x", [1, 8], 0.1)
    assert [(r["c"], r["url"]) for r in rows] == [(1, "http://x"), (8, "http://x")]
    with pytest.raises(RuntimeError, match="no such mode"):
        bench_table.load(script, "broken", "http://x", [1], 0.1)


def test_the_table_has_the_issue_s_layout() -> None:
    def row(c: int, rate: float, errors: int = 0) -> dict:
        return {"c": c, "msg_per_s": rate, "p50_ms": 1200, "p95_ms": 3400, "errors": errors}

    table = bench_table.markdown(
        [1, 8, 32],
        [("bare", [row(1, 39.0), row(8, 42.7), row(32, 41.8, errors=2)]), ("gateway", [row(8, 5)])],
    )
    lines = table.splitlines()
    assert lines[0] == "| system | c=1 msg/s, p50 | c=8 msg/s, p95 | c=32 msg/s, p50 / p95 |"
    assert (
        lines[2] == "| bare | 39.0, 1,200 ms | 42.7, 3,400 ms | 41.8, 1,200 / 3,400 ms, 2 errors |"
    )
    assert lines[3] == "| gateway | – | 5, 3,400 ms | – |"


def test_the_team_s_loop_is_looked_for_beside_the_repository() -> None:
    assert bench_table.TEAM_LOAD.parts[-3:] == ("shared", "eval", "load.py")
    assert bench_table.RASA.parent == Path(sys.executable).parent
    assert all(key.startswith("HANDOVER_") for key in bench_table.UNLIMITED)


def test_the_cpu_split_reads_each_process_around_the_run(tmp_path: Path) -> None:
    script = tmp_path / "load.py"
    script.write_text(
        "import json, time\ntime.sleep(1.0)\n"
        "print(json.dumps({'mode': 'sio', 'c': 32, 'msg_per_s': 10.0, 'p50_ms': 1,"
        " 'p95_ms': 2, 'errors': 0}))\n"
    )
    burn = "import time\nend = time.time() + 30\nwhile time.time() < end: pass"
    busy = subprocess.Popen([sys.executable, "-c", burn])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    stack = SimpleNamespace(
        processes=[
            SimpleNamespace(name="rasa", popen=busy),
            SimpleNamespace(name="gateway", popen=idle),
            SimpleNamespace(name="not-started", popen=None),
        ],  # fmt: skip
        bot=SimpleNamespace(gateway_url="http://x"),
    )
    try:
        row, table = bench_table.cpu_split(stack, script, 32, 1.0)  # type: ignore[arg-type]
    finally:
        for process in (busy, idle):
            process.kill()
            process.wait(10)
    assert row["msg_per_s"] == 10.0
    lines = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in table.splitlines()
             if line.startswith("| ") and "process" not in line}  # fmt: skip
    assert set(lines) == {"rasa", "gateway"}
    rasa_cores, rasa_ms = (float(x.strip(" |")) for x in lines["rasa"])
    # It burns most of a core (shared with the rest of the machine), 10 messages a second.
    assert 0.3 < rasa_cores <= 1.05
    assert rasa_ms == pytest.approx(100 * rasa_cores, rel=0.1)
    assert float(lines["gateway"][0]) < 0.1
    assert table.startswith("c=32: 10.0 msg/s; the machine busy ")
