"""`python -m trainer inbox [--days 7] [--language en|fr] [--channel socketio|rest]
[--source SOURCE ...] [--intent INTENT] [--json]`.

Prints the trainer's inbox (`trainer.inbox`) of the last `--days` days from the gateway's
database (`DATABASE_URL`, as `python -m handover` reads it), the low-rated contacts' messages
from Rasa's events (`REPORTING_EVENTS_URL`), each group with its messages per source
(`trainer.inbox_sources`). Exit status: 0 shown, 1 a database could not be read, 2 bad input
or settings.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from reporting.reports import GROUP_VALUES
from trainer import cli_db
from trainer.cli_args import inert, whole_number
from trainer.inbox import Inbox, InboxGroup, load_inbox
from trainer.inbox_sources import SOURCES
from trainer.labels import INTENT_NAME

MAX_DAYS = 366


_days = whole_number(1, MAX_DAYS)


def _intent(text: str) -> str:
    if not INTENT_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not an intent name: {text!r}")
    return text


def add_parser(commands: Any) -> None:
    """Add the `inbox` command to the subparsers of `python -m trainer`."""
    inbox = commands.add_parser(
        "inbox",
        help="what the bot misunderstood lately, grouped by meaning",
        description="Reads the misunderstood messages already folded from Rasa's events (the"
        " dashboard and `python -m handover reports ...` fold them; this command refreshes"
        " nothing) and groups them by meaning, largest group first.",
    )
    inbox.add_argument("--days", type=_days, default=7, help="the last D days (default: 7)")
    inbox.add_argument("--language", choices=GROUP_VALUES["language"])
    inbox.add_argument("--channel", choices=GROUP_VALUES["channel"])
    inbox.add_argument(
        "--source", choices=SOURCES, action="append",
        help="only messages with this reason (again for several; default: all)",
    )  # fmt: skip
    inbox.add_argument("--intent", type=_intent, help="only messages the NLU read as this intent")
    inbox.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    """Run `inbox`; returns the exit status."""
    try:
        inbox = cli_db.read(args, lambda session, scope, events, low: load_inbox(
            session, scope, events=events, sources=args.source, intent=args.intent,
            low_confidence=low,
        ))  # fmt: skip
    except cli_db.Failed as failed:
        return failed.status
    # ASCII JSON: customers' control characters and lone surrogates come out escaped.
    print(json.dumps(as_json(inbox), indent=2) if args.json else as_table(inbox))
    return 0


def as_json(inbox: Inbox) -> dict[str, Any]:
    """The inbox as JSON-ready values (times in ISO 8601, UTC)."""
    return {
        "start": inbox.scope.start.isoformat(),
        "end": inbox.scope.end.isoformat(),
        "language": inbox.scope.language,
        "channel": inbox.scope.channel,
        "messages": inbox.messages,
        "sources": inbox.sources,
        "intents": inbox.intents,
        "total_groups": inbox.total_groups,
        "ungrouped": inbox.ungrouped,
        "groups": [_group_json(group) for group in inbox.groups],
    }


def _group_json(group: InboxGroup) -> dict[str, Any]:
    return {
        "representative": group.representative,
        "messages": group.messages,
        "conversations": group.conversations,
        "languages": list(group.languages),
        "first": group.first.isoformat(),
        "last": group.last.isoformat(),
        "cohesion": round(group.cohesion, 3),
        "examples": list(group.examples),
        "ungrouped": group.ungrouped,
        "sources": group.sources,
        "texts": [
            {
                "text": t.text,
                "language": t.language,
                "messages": t.messages,
                "state": t.state,
                "sources": t.sources,
                "intent": t.intent,
                "confidence": t.confidence,
            }
            for t in group.texts
        ],  # fmt: skip
    }


def as_table(inbox: Inbox) -> str:
    """The inbox for a terminal: one block per group, customers' texts made inert."""
    scope = inbox.scope
    lines = [
        f"{inbox.messages:,} misunderstood messages in sessions from {scope.start:%Y-%m-%d %H:%M}"
        f" to {scope.end:%Y-%m-%d %H:%M} UTC, in {inbox.total_groups:,} groups by meaning"
        f" (language: {scope.language or 'any'}, channel: {scope.channel or 'any'})"
    ]
    if inbox.sources:
        lines.append(f"by source: {_counts(inbox.sources)}")
    if inbox.ungrouped:
        lines.append(f"{inbox.ungrouped:,} of the rarest texts were too many to compare: alone")
    for group in inbox.groups:
        lines += [
            "",
            f"{group.messages:>5} messages, {group.conversations} conversations,"
            f" {'+'.join(group.languages)}, {group.first:%Y-%m-%d %H:%M} to"
            f" {group.last:%Y-%m-%d %H:%M}, cohesion {group.cohesion:.2f}",
            *([f"      ({_counts(group.sources)})"] if group.sources else []),
            f"      {inert(group.representative)}",
            *(f"        ~ {inert(example)}" for example in group.examples),
        ]
    if len(inbox.groups) < inbox.total_groups:
        lines += ["", f"... and {inbox.total_groups - len(inbox.groups):,} smaller groups"]
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in counts.items() if n)
