"""`python -m trainer label --language fr --intent check_bill_balance [--new-intent] TEXT ...`.

Adds customer messages (already redacted) as training examples of an intent (`trainer.labels`):
the texts given, or those of `--file` (UTF-8, one a line). Prints what was added, skipped and
refused. Exit status: 0 something was added or everything was there already, 1 refused (nothing
written), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from trainer.labels import (
    DEFAULT_DATA_DIR,
    DEFAULT_DOMAIN,
    DEFAULT_EVALUATION_SETS,
    DEFAULT_REGRESSION,
    MAX_GROUP,
    LabelError,
    LabelResult,
    label,
)
from trainer.nlu_data import LANGUAGES, NluDataError

SHOWN_CHARACTERS = 100  # of a text, in what is printed
MAX_FILE_BYTES = 1_000_000


def add_parser(commands: Any) -> None:
    """Add the `label` command to the subparsers of `python -m trainer`."""
    parser = commands.add_parser(
        "label",
        help="add customer messages to the training data as examples of an intent",
        description=f"Adds the texts (at most {MAX_GROUP}) all together or not at all: one"
        " refused text (already another intent's example, close to an evaluation message,"
        " or not a valid example) refuses the group. Texts must be redacted already.",
    )
    parser.add_argument("--language", required=True, choices=LANGUAGES)
    parser.add_argument("--intent", required=True, help="e.g. check_bill_balance, faq/roaming")
    parser.add_argument(
        "--new-intent",
        action="store_true",
        help="create the intent (a FAQ topic needs its utter_faq/<topic> answer first)",
    )
    parser.add_argument("--author", help="who labels (default: the login name)")
    parser.add_argument("--file", type=Path, help="read the texts from FILE, one a line")
    parser.add_argument("texts", nargs="*", metavar="TEXT")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="data/nlu")
    parser.add_argument("--domain", type=Path, default=DEFAULT_DOMAIN)
    parser.add_argument("--regression-file", type=Path, default=DEFAULT_REGRESSION)
    parser.add_argument(
        "--eval",
        type=Path,
        action="append",
        dest="evaluation_sets",
        help="an evaluation set (JSON lines with a text); repeat; default: the four of the tests",
    )


def run(args: argparse.Namespace) -> int:
    """Run `label`; returns the exit status."""
    texts = _texts(args)
    author = args.author or _login()
    problem = _argument_problem(args, texts, author)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    assert texts is not None and author is not None
    try:
        result = label(
            texts,
            args.intent,
            args.language,
            data_dir=args.data_dir,
            domain_path=args.domain,
            evaluation_sets=args.evaluation_sets or DEFAULT_EVALUATION_SETS,
            regression_path=args.regression_file,
            author=author,
            new_intent=args.new_intent,
        )
    except (LabelError, NluDataError, OSError) as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    _print(result)
    return 1 if result.of("refused") else 0


def _texts(args: argparse.Namespace) -> list[str] | None:
    """The texts to label; None when `--file` cannot be read as UTF-8 text."""
    if args.file is None:
        return list(args.texts)
    try:
        if args.file.stat().st_size > MAX_FILE_BYTES:
            return None
        content = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return [line for line in content.splitlines() if line.strip()]


def _argument_problem(args: argparse.Namespace, texts: list[str] | None, author: str | None) -> str:
    if args.file is not None and args.texts:
        return "give texts or --file, not both"
    if texts is None:
        return f"cannot read {args.file} as UTF-8 text of at most {MAX_FILE_BYTES:,} bytes"
    if not texts:
        return "no text to label"
    if author is None:
        return "no login name here: give --author"
    if not args.data_dir.is_dir() or not args.domain.is_file():
        return f"{args.data_dir} must be a folder and {args.domain} a file"
    return ""


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (some containers)
        return None


def _print(result: LabelResult) -> None:
    for outcome in result.outcomes:
        reason = f": {outcome.reason}" if outcome.reason else ""
        print(f"{outcome.status:8} {_shown(outcome.text)}{reason}")
    added, refused = result.of("added"), result.of("refused")
    if added:
        print(f"{len(added)} added to {result.file} as {result.intent}")
        if result.domain_changed:
            print(f"{result.intent} added to the domain's intents")
    elif refused:
        print(f"nothing written: {len(refused)} refused, and a group is added whole or not at all")
    else:
        print("nothing written: every text is an example already")
    for warning in result.warnings:
        print(f"note: {warning}")


def _shown(text: str) -> str:
    """`text` quoted and safe to print: what the terminal would act on (escape sequences,
    surrogates stdout cannot encode) is shown as \\uXXXX, and long texts are cut."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    cut = shown[:SHOWN_CHARACTERS] + ("..." if len(shown) > SHOWN_CHARACTERS else "")
    return f'"{cut}"'
