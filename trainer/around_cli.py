"""`python -m trainer around TEXT --language en|fr [--days 7] [--channel socketio|rest]
[--source SOURCE ...] [--conversations 3] [--json]`.

Prints the conversations of the last `--days` days in which a text of the inbox was said
(`trainer.context`): the newest first, the lines before and after it, the text marked with `>`.
TEXT is the text as the inbox shows it (redacted); the same words in French and in English are
two texts, hence `--language`. The lines are redacted; nothing names a conversation, a customer
or an agent. Databases as `python -m trainer inbox` reads them. Exit status: 0 shown (nothing
found included), 1 a database could not be read, 2 bad input or settings.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from reporting.bot_facts import normalised
from reporting.reports import GROUP_VALUES
from trainer import cli_db
from trainer.cli_args import inert, iso, whole_number
from trainer.context import (
    DEFAULT_CONVERSATIONS,
    MAX_CONVERSATIONS,
    Around,
    Line,
    conversations_around,
)
from trainer.inbox_cli import MAX_DAYS
from trainer.inbox_sources import SOURCES
from trainer.states import MAX_KEY, text_key

SPEAKER_WIDTH = 8
ORIGINS = {"gateway": "the gateway's copy", "rasa": "Rasa's events", "none": "no longer kept"}


def _text(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("the text is empty")
    if len(value) > 10 * MAX_KEY:
        raise argparse.ArgumentTypeError(f"longer than {10 * MAX_KEY} characters")
    return value


def add_parser(commands: Any) -> None:
    """Add the `around` command to the subparsers of `python -m trainer`."""
    around = commands.add_parser(
        "around",
        help="the conversations around a text of the inbox",
        description="The newest conversations of the period in which a text of the inbox was"
        " said, with the lines before and after it (redacted).",
    )
    around.add_argument("text", type=_text, help="the text, as the inbox shows it")
    around.add_argument("--language", choices=GROUP_VALUES["language"], required=True)
    around.add_argument("--days", type=whole_number(1, MAX_DAYS), default=7)
    around.add_argument("--channel", choices=GROUP_VALUES["channel"])
    around.add_argument("--source", choices=SOURCES, action="append",
                        help="only its messages with this reason (again for several)")  # fmt: skip
    around.add_argument(
        "--conversations", type=whole_number(1, MAX_CONVERSATIONS),
        default=DEFAULT_CONVERSATIONS, help=f"at most (default: {DEFAULT_CONVERSATIONS})",
    )  # fmt: skip
    around.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace) -> int:
    """Run `around`; returns the exit status."""
    item = (text_key(normalised(args.text)), args.language)
    sources = None if args.source is None else set(args.source)
    try:
        found = cli_db.read(args, lambda session, scope, events, low: conversations_around(
            session, scope, item, events=events, limit=args.conversations, sources=sources,
            low_confidence=low,
        ))  # fmt: skip
    except cli_db.Failed as failed:
        return failed.status
    print(json.dumps(asdict(found), indent=2, default=iso) if args.json else as_text(found))
    return 0


def as_text(found: Around) -> str:
    """For a terminal: a block per conversation, customers' and agents' texts made inert."""
    if not found.excerpts:
        return "No message of the period has this text (the filters apply)."
    lines = [f"{found.messages:,} messages in {found.conversations:,} conversations;"
             f" the {len(found.excerpts)} newest:"]  # fmt: skip
    for excerpt in found.excerpts:
        lines += ["", f"{excerpt.at:%Y-%m-%d %H:%M} UTC, {excerpt.language or 'language unknown'},"
                      f" {', '.join(excerpt.sources)} ({ORIGINS[excerpt.origin]})"]  # fmt: skip
        if excerpt.origin == "none":
            lines.append("  no longer kept: erased, or past the retention period")
            continue
        if excerpt.earlier:
            lines.append("  ...")
        for line in excerpt.lines:
            mark = ">" if line.inbox else " "
            lines.append(f"{mark} {line.at:%H:%M} {line.speaker:<{SPEAKER_WIDTH}}"
                         f" {inert(line.text)}{_guess(line)}")  # fmt: skip
        if excerpt.later:
            lines.append("  ...")
    return "\n".join(lines)


def _guess(line: Line) -> str:
    if line.intent is None or line.confidence is None:
        return ""
    return f"  [{line.intent} {line.confidence:.2f}]"
