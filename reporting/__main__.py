"""Command line: `python -m reporting consume` (RabbitMQ's events into the events table), and
`python -m reporting bench` (the reports' speed on a seeded history, `reporting.bench`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from contextlib import suppress
from urllib.parse import urlsplit

from aio_pika.exceptions import AMQPConnectionError
from pydantic import ValidationError

from reporting import bench
from reporting.consumer import consume
from reporting.settings import AMQP_PORTS, ReportingSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reporting", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "consume",
        help="store the events Rasa publishes to RabbitMQ (REPORTING_RABBITMQ_URL) in the"
        " events table (REPORTING_EVENTS_URL); runs until stopped",
    )
    bench.add_parser(commands)
    return parser


async def _consume_until_stopped(settings: ReportingSettings) -> None:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    # Stopped politely: the connection closes and the unacknowledged messages go back at once.
    for stop in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop, task.cancel)
    with suppress(asyncio.CancelledError):
        await consume(settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit status (2: bad settings, 1: RabbitMQ unreachable)."""
    args = _parser().parse_args(argv)
    if args.command == "bench":
        return bench.run(args)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = ReportingSettings()
    except ValidationError as error:
        for problem in error.errors():
            print(f"error: {problem['msg']}", file=sys.stderr)
        return 2
    if settings.rabbitmq_url is None:
        print("error: set REPORTING_RABBITMQ_URL (without it Rasa writes the events table)",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        asyncio.run(_consume_until_stopped(settings))
    except (AMQPConnectionError, OSError) as error:
        # The host only: the URL holds the password.
        where = urlsplit(settings.rabbitmq_url)
        port = where.port or AMQP_PORTS[where.scheme]
        print(f"error: RabbitMQ at {where.hostname}:{port} could not be reached or refused the"
              f" user ({type(error).__name__})", file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
