"""`python -m bot.bench_table`: the scale issue's load table, re-run side by side in one run.

Rows, one after the other on this machine: bare Rasa 3.6 (the model `rasa init` trains, on its
REST channel), this assistant's Rasa REST channel directly, and this assistant through the
gateway's socket with each `--workers` count of Rasa processes. Every row is loaded by the same
closed loop, the team's `eval/load.py` (`--load-script`), at `--levels`, and the table printed
in Markdown with the JSON lines behind it.

With `--cpu`, each stack is loaded once more through the gateway at the last level and the CPU
time each of its processes used is read from /proc around that run: how many cores each kept
busy and its milliseconds of CPU per answered message (the loop's rate over the whole run, its
warm-up included), beside how busy the machine was.

Benchmark sockets send faster than a customer may (a closed loop with 0.3 s pauses), so the
gateway's per-socket and per-conversation rate limits are lifted for the run; the bot backlog
bound (`HANDOVER_MAX_BOT_BACKLOG`) stays the product's.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from bot.bench_workers import free_port, plot, start, stores, whole_numbers
from bot.stack import ROOT, Stack
from handover.load.procs import cpu_seconds, machine_cpu_seconds

RASA = Path(sys.executable).with_name("rasa")
TEAM_LOAD = ROOT.parent / "shared" / "eval" / "load.py"
UNLIMITED = {
    "HANDOVER_SOCKET_EVENT_LIMIT": "1000000 per 10 seconds",
    "HANDOVER_CUSTOMER_MESSAGE_LIMIT": "1000000 per 10 seconds",
    "HANDOVER_CONVERSATION_MESSAGE_LIMIT": "1000000/minute",
}


def load(script: Path, mode: str, url: str, levels: list[int], seconds: float) -> list[dict]:
    """The closed loop's JSON lines, one per level."""
    command = [sys.executable, str(script), mode, url, "--levels", ",".join(map(str, levels)),
               "--seconds", str(seconds)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=None)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} {mode} failed: {done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def wait_until_up(url: str, process: subprocess.Popen[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before answering")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def bare_rasa(folder: Path) -> Iterator[str]:
    """Rasa's starter project (`rasa init`, trained here) served on its REST channel."""
    project = folder / "bare"
    project.mkdir()  # rasa init wants the folder to exist
    subprocess.run([str(RASA), "init", "--no-prompt", "--init-dir", str(project)],
                   cwd=folder, check=True, capture_output=True, timeout=1800)  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [str(RASA), "run", "--model", "models", "--port", str(port), "--interface", "127.0.0.1"],
        cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, timeout=600)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def cell(row: dict[str, Any], first: bool, last: bool) -> str:
    p50, p95 = f"{row['p50_ms']:,}", f"{row['p95_ms']:,}"
    latency = f"{p50} / {p95}" if last else (p50 if first else p95)
    errors = f", {row['errors']} errors" if row.get("errors") else ""
    return f"{row['msg_per_s']}, {latency} ms{errors}"


def markdown(levels: list[int], rows: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """The issue's layout: c=1 msg/s and p50; middle levels msg/s and p95; the last both."""
    heads = []
    for i, c in enumerate(levels):
        first, last = i == 0, i == len(levels) - 1
        what = "p50 / p95" if last else ("p50" if first else "p95")
        heads.append(f"c={c} msg/s, {what}")
    lines = ["| system | " + " | ".join(heads) + " |", "|---" * (len(levels) + 1) + "|"]
    for name, measured in rows:
        by_c = {r["c"]: r for r in measured}
        cells = [
            cell(by_c[c], i == 0, i == len(levels) - 1) if c in by_c else "–"
            for i, c in enumerate(levels)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_split(stack: Stack, script: Path, c: int, seconds: float) -> tuple[dict[str, Any], str]:
    """The gateway loaded at `c` once more, and a Markdown table of each process's CPU."""
    roots = {p.name: p.popen.pid for p in stack.processes if p.popen is not None}
    before, machine_before, started = cpu_seconds(roots), machine_cpu_seconds(), time.monotonic()
    (row,) = load(script, "sio", stack.bot.gateway_url, [c], seconds)
    wall = time.monotonic() - started
    after, machine_after = cpu_seconds(roots), machine_cpu_seconds()
    answered = max(row["msg_per_s"] * wall, 1)
    lines = [
        f"c={c}: {row['msg_per_s']} msg/s; the machine busy "
        f"{(machine_after - machine_before) / wall:.2f} cores",
        "",
        "| process | cores busy | CPU ms per message |",
        "|---|---|---|",
    ]
    for name in roots:
        used = after[name] - before[name]
        lines.append(f"| {name} | {used / wall:.2f} | {1000 * used / answered:.1f} |")
    return row, "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.bench_table", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--levels", type=whole_numbers, default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=20, help="measured per level")
    parser.add_argument("--workers", type=whole_numbers, default=[1, 2],
                        help="Rasa processes behind the gateway, one row each")  # fmt: skip
    parser.add_argument("--load-script", type=Path, default=TEAM_LOAD)
    parser.add_argument("--redis-url", help="Rasa's lock store and the gateway's state")
    parser.add_argument("--no-bare", action="store_true", help="skip the `rasa init` row")
    parser.add_argument("--plots", type=Path, help="write workers-levels.png (msg/s by N) here")
    parser.add_argument("--cpu", action="store_true", help="each process's CPU at the last level")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be more than 0")
    if not args.load_script.is_file():
        parser.error(f"no load script at {args.load_script}")

    rows: list[tuple[str, list[dict[str, Any]]]] = []
    splits: list[str] = []
    by_workers: list[dict[str, Any]] = []  # the gateway's rows, for the plot

    def measured(name: str, mode: str, url: str, workers: int = 1) -> None:
        found = load(args.load_script, mode, url, args.levels, args.seconds)
        for line in found:
            print(json.dumps({"system": name, **line}), flush=True)
        rows.append((name, found))
        if mode == "sio":
            by_workers.extend({"n": workers, **line} for line in found)

    with tempfile.TemporaryDirectory(prefix="bench-table-") as folder:
        if not args.no_bare:
            with bare_rasa(Path(folder)) as url:
                measured("bare Rasa 3.6 (`rasa init` model), REST", "rest", url)
        for workers in args.workers:
            log = io.StringIO()
            place = Path(folder) / f"stack-{workers}"
            place.mkdir()
            with stores(place, None, args.redis_url) as env:
                try:
                    stack = start(workers, {**env, **UNLIMITED}, log)
                except RuntimeError as error:
                    sys.stderr.write(log.getvalue()[-3000:])
                    print(f"the stack with {workers} Rasa process(es) did not start: {error}")
                    return 1
                try:
                    if workers == args.workers[0]:
                        measured("this assistant, Rasa REST directly", "rest",
                                 stack.bot.rasa_urls[0])  # fmt: skip
                    plural = "es" if workers > 1 else ""
                    measured(f"this assistant through the gateway, {workers} Rasa process{plural}",
                             "sio", stack.bot.gateway_url, workers)  # fmt: skip
                    if args.cpu:
                        row, table = cpu_split(stack, args.load_script, args.levels[-1],
                                               args.seconds)  # fmt: skip
                        print(json.dumps({"cpu": workers, **row}), flush=True)
                        splits.append(f"{workers} Rasa process{plural}, {table}")
                finally:
                    stack.stop()
    print()
    print(markdown(args.levels, rows))
    for split in splits:
        print(f"\n{split}")
    if args.plots and by_workers:
        print(f"wrote {plot(args.plots, by_workers)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
