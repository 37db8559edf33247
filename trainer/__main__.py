"""Command line for bot trainers who prefer git and CI:

- `python -m trainer inbox [--days 7] [--language en|fr] [--channel socketio|rest] [--json]`:
  the messages the bot did not understand, grouped by meaning (`trainer.inbox_cli`);
- `python -m trainer label --language fr --intent check_bill_balance TEXT [TEXT ...]`: add
  them to the training data after the conflict and evaluation checks (`trainer.label_cli`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trainer import inbox_cli, label_cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    inbox_cli.add_parser(commands)
    label_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns its exit status (2: bad arguments)."""
    args = _parser().parse_args(argv)
    if args.command == "inbox":
        return inbox_cli.run(args)
    return label_cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
