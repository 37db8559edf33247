"""`python -m bot.profile_live`: where the running Rasa process spends its time under load.

`bot.profile` times Rasa's graph in-process with the custom actions stubbed; this starts the
whole assistant on free ports (`bot.bench_workers`: mock back-ends, action server, Rasa, the
gateway; SQLite stores, Redis with `--redis-url`), loads it with the team's closed loop
(`eval/load.py`, REST or the gateway's socket) and samples Rasa, the action server and the
gateway with py-spy meanwhile. Prints each process's CPU samples by where they were spent
(the first matching part of the stack, in the order of `PARTS`), and keeps py-spy's raw stacks
in `--out` for a closer look. Samples are CPU only (py-spy leaves idle threads out).
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.bench_table import TEAM_LOAD, UNLIMITED, load
from bot.bench_workers import start, stores

# (label, a piece of a frame's file path), first match wins: the models before the graph that
# runs them, our stores before SQLAlchemy under them.
PARTS: list[tuple[str, str]] = [
    ("TEDPolicy", "rasa/core/policies/ted_policy.py"),
    ("DIET and the response selector", "rasa/nlu/classifiers/diet_classifier.py"),
    ("Rasa's graph, other nodes", "rasa/engine/graph.py"),
    ("action server calls (Rasa side)", "rasa/core/actions/action.py"),
    ("tracker store and event broker", "rasa/core/tracker_store.py"),
    ("lock store", "rasa/core/lock_store.py"),
    ("the gateway's database", "handover/crud/"),
    ("redaction", "privacy/"),
    ("custom actions", "actions/"),
    ("connectors", "connectors/"),
    ("Rasa's message handling", "rasa/core/"),
    ("web server and event loop", "sanic/"),
    ("web server and event loop", "uvicorn/"),
]
PROCESSES = ("rasa", "actions", "gateway")


def shares(raw: Iterable[str]) -> tuple[int, Counter[str]]:
    """The samples in py-spy's raw (collapsed) lines, and how many fell in each part."""
    counted: Counter[str] = Counter()
    total = 0
    for line in raw:
        stack, _, number = line.rstrip().rpartition(" ")
        if not number.isdigit():
            continue
        samples = int(number)
        total += samples
        label = next((name for name, piece in PARTS if piece in stack), "other")
        counted[label] += samples
    return total, counted


def table(profiles: dict[str, tuple[int, Counter[str]]]) -> str:
    lines = ["| process | part | share of its CPU samples |", "|---|---|---|"]
    for process, (total, counted) in profiles.items():
        for label, samples in counted.most_common():
            lines.append(f"| {process} | {label} | {samples / total:.1%} |")
        lines.append(f"| {process} | **samples** | {total:,} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.profile_live", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--mode", choices=["rest", "sio"], default="rest")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=40, help="sampled (the load runs 4 s less)")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples a second")
    parser.add_argument("--redis-url", help="Rasa's lock store and the gateway's state")
    parser.add_argument("--load-script", type=Path, default=TEAM_LOAD)
    parser.add_argument("--out", type=Path, default=Path("var/profile"), help="raw stacks here")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    args.out.mkdir(parents=True, exist_ok=True)
    log = io.StringIO()
    with tempfile.TemporaryDirectory() as folder, stores(Path(folder), None, args.redis_url) as env:
        stack = start(1, {**env, **UNLIMITED}, log)
        try:
            pids = {p.name: p.popen.pid for p in stack.processes if p.popen is not None}
            spies = {
                name: subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(pids[name]),
                        "--duration",
                        str(args.seconds),
                        "--rate",
                        str(args.rate),
                        "--format",
                        "raw",
                        "--nonblocking",
                        "--output",
                        str(args.out / f"{name}.txt"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
                for name in PROCESSES
            }
            url = stack.bot.rasa_urls[0] if args.mode == "rest" else stack.bot.gateway_url
            measured: list[dict] = []
            loading = threading.Thread(
                target=lambda: measured.extend(
                    load(args.load_script, args.mode, url, [args.concurrency], args.seconds - 4)
                )
            )
            loading.start()
            for spying in spies.values():
                spying.wait()
            loading.join()
        finally:
            stack.stop()
    for row in measured:
        print(row)
    profiles = {}
    for name in PROCESSES:
        path = args.out / f"{name}.txt"
        if path.exists():
            with path.open() as raw:
                profiles[name] = shares(raw)
    print(table(profiles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
