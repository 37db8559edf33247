"""`python -m bot.bench_workers`: throughput against the number of Rasa processes.

For each count N of `--workers`, starts the whole stack on free ports with N Rasa processes
(`BOT_RASA_WORKERS=N`; the gateway sticks each conversation to one of them), then runs
`handover.load`'s closed loop at each `--levels` concurrency: through the gateway's socket
(`sio`) and, beside it in the same run, straight at one Rasa process's REST channel (`rest`,
the "bare Rasa" line). It prints msg/s, p50 and p95 per (N, mode, c), and with `--plots` draws
msg/s against N, one line per mode and level (`workers-levels.png`).

The stores are those the deployment would use for several processes: with `--database-url`
(a PostgreSQL server: each N gets a schema of its own, dropped afterwards) and `--redis-url`
(Rasa's lock store, the gateway's state, under a namespace of their own); else the embedded
defaults, a SQLite file per store. Nothing of the machine's own data is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import secrets
import socket
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from bot.settings import BotSettings
from bot.stack import Stack
from connectors.settings import ConnectorSettings

SYSTEMS = ("crm", "billing", "orders", "network", "identity")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def whole_numbers(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not numbers or any(n < 1 or n > 64 for n in numbers):
        raise argparse.ArgumentTypeError("each must be between 1 and 64")
    return numbers


@contextmanager
def stores(folder: Path, database_url: str | None, redis_url: str | None) -> Iterator[dict]:
    """The variables that place every store: PostgreSQL and Redis when given, else SQLite."""
    from handover.db import scratch_schema

    schema = scratch_schema(database_url, "bench_workers") if database_url else nullcontext(None)
    with schema as scoped:
        url = scoped or f"sqlite:///{folder}/handover.db"
        env = {
            "DATABASE_URL": url,
            "ACTIONS_DATABASE_URL": scoped or f"sqlite:///{folder}/actions.db",
            "PRIVACY_TRACKER_STORE_URL": scoped or f"sqlite:///{folder}/rasa-trackers.db",
            "REPORTING_EVENTS_URL": scoped or f"sqlite:///{folder}/rasa-events.db",
        }
        if redis_url:
            namespace = f"bench-{secrets.token_hex(4)}"
            env |= {"REDIS_URL": redis_url, "HANDOVER_REDIS_NAMESPACE": namespace,
                    "TRAINER_QUEUE_NAME": namespace}  # fmt: skip
        yield env


def start(workers: int, env: dict[str, str], log: io.StringIO) -> Stack:
    bot = BotSettings(
        environment="development",
        rasa_workers=workers,
        rasa_ports=[free_port() for _ in range(workers)],
        action_port=free_port(),
        gateway_port=free_port(),
        action_token=secrets.token_urlsafe(32),
        startup_timeout_seconds=900,
    )
    backends = ConnectorSettings(**{f"{n}_url": f"http://127.0.0.1:{free_port()}" for n in SYSTEMS})
    stack = Stack(bot, backends, out=log, gateway_env=env, env=env)
    stack.start()
    return stack


async def measure(stack: Stack, levels: list[int], seconds: float) -> list[dict[str, Any]]:
    from handover.load.levels import LOOPS, level

    rows = []
    for mode, url in (("rest", stack.bot.rasa_urls[0]), ("sio", stack.bot.gateway_url)):
        for c in levels:
            row = await level(LOOPS[mode], url, c, seconds, timeout=60)
            rows.append({"mode": mode, **row})
    return rows


def plot(directory: Path, rows: list[dict[str, Any]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    axes.set_title("Closed loop: throughput by Rasa processes")
    axes.set_xlabel("Rasa processes")
    axes.set_ylabel("messages per second")
    axes.grid(alpha=0.3)
    for mode, c in sorted({(r["mode"], r["c"]) for r in rows}):
        mine = sorted((r for r in rows if (r["mode"], r["c"]) == (mode, c)), key=lambda r: r["n"])
        label = f"{'gateway' if mode == 'sio' else 'one Rasa, REST'}, c={c}"
        axes.plot([r["n"] for r in mine], [r["msg_per_s"] for r in mine], marker="o", label=label)
    axes.legend(fontsize="small")
    figure.tight_layout()
    path = directory / "workers-levels.png"
    figure.savefig(path)
    plt.close(figure)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.bench_workers", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workers", type=whole_numbers, default=[1, 2, 3], help="e.g. 1,2,3")
    parser.add_argument("--levels", type=whole_numbers, default=[32], help="concurrencies")
    parser.add_argument("--seconds", type=float, default=30, help="measured per level")
    parser.add_argument("--database-url", help="PostgreSQL server for the stores")
    parser.add_argument("--redis-url", help="Redis for locks and the gateway's state")
    parser.add_argument("--plots", type=Path, help="write workers-levels.png here")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be more than 0")

    from handover.load.report import levels_table

    rows: list[dict[str, Any]] = []
    for workers in args.workers:
        log = io.StringIO()
        with (
            tempfile.TemporaryDirectory(prefix="bench-workers-") as folder,
            stores(Path(folder), args.database_url, args.redis_url) as env,
        ):
            try:
                stack = start(workers, env, log)
            except RuntimeError as error:
                sys.stderr.write(log.getvalue()[-3000:])
                print(f"the stack with {workers} Rasa processes did not start: {error}")
                return 1
            try:
                measured = asyncio.run(measure(stack, args.levels, args.seconds))
            finally:
                stack.stop()
        rows += [{"n": workers, **row} for row in measured]
        print(f"{workers} Rasa process(es):")
        print(levels_table(measured), flush=True)
    if args.plots:
        print(f"wrote {plot(args.plots, rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
