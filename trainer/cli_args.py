"""What the trainer's commands share: argument types, each saying in one line why a value is
refused, and texts made safe to print."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import Any


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type=` taking a whole number from `low` to `high`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


SHOWN_CHARACTERS = 160  # of a text, in a table; --json gives them whole


def inert(text: str) -> str:
    """`text` (a customer's, an agent's, a trainer's) safe for a terminal: no escape sequences
    or lone surrogates, one line, at most SHOWN_CHARACTERS."""
    shown = "".join(c if c.isprintable() else " " if c.isspace() else "\ufffd" for c in text)
    shown = " ".join(shown.split())
    return shown if len(shown) <= SHOWN_CHARACTERS else shown[: SHOWN_CHARACTERS - 1] + "…"


def iso(value: Any) -> Any:
    """`json.dumps`'s `default=` for records holding times: ISO 8601."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
