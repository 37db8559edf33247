"""Command line for bot trainers who prefer git and CI:

- `python -m trainer inbox [--days 7] [--language en|fr] [--json]`: the messages the bot did not
  understand, grouped by meaning (`trainer.inbox_cli`);
- `python -m trainer label --language fr --intent check_bill_balance TEXT [TEXT ...]`: add
  them to the training data after the conflict and evaluation checks (`trainer.label_cli`);
- `python -m trainer evaluate MODEL [--against LIVE]`: score a model on the evaluation sets and
  judge it against the gates (`trainer.evaluate_cli`);
- `python -m trainer train [--wait]`, `models`: train a candidate on the job queue, list the
  registry (`trainer.train_cli`; `worker` and `run-job` run the trainings);
- `python -m trainer publish MODEL_ID [--share 0.5]`, `promote`, `rollback`, `status`: the
  canary roll-out (`trainer.rollout_cli`);
- `python -m trainer bootstrap --model FILE`: the model a stack starts with (`make run`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trainer import (
    around_cli,
    bootstrap,
    evaluate_cli,
    inbox_cli,
    label_cli,
    rollout_cli,
    train_cli,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (
        inbox_cli,
        around_cli,
        label_cli,
        evaluate_cli,
        train_cli,
        rollout_cli,
        bootstrap,
    ):
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns its exit status (2: bad arguments)."""
    args = _parser().parse_args(argv)
    if args.command == "inbox":
        return inbox_cli.run(args)
    if args.command == "around":
        return around_cli.run(args)
    if args.command == "label":
        return label_cli.run(args)
    if args.command == "evaluate":
        return evaluate_cli.run(args)
    if args.command in train_cli.COMMANDS:
        return train_cli.run(args)
    if args.command in rollout_cli.COMMANDS:
        return rollout_cli.run(args)
    return bootstrap.run(args)


if __name__ == "__main__":
    sys.exit(main())
