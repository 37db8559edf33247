"""The conversation as people read it, for tickets and for the agents who take over."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

# Answers typed while the bot asked for these are secrets or personal data: never copied.
REDACTED_SLOTS = {"date_of_birth", "otp_code"}
REDACTED = "[redacted]"


def _timestamp(event: dict[str, Any]) -> str:
    seconds = event.get("timestamp") or 0
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    """User and bot messages with ISO timestamps, secrets redacted."""
    lines: list[dict[str, str]] = []
    requested: str | None = None
    for event in tracker.events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind == "active_loop" and event.get("name") is None:
            requested = None
        elif kind in ("user", "bot") and event.get("text"):
            text = event["text"]
            if kind == "user" and requested in REDACTED_SLOTS:
                text = REDACTED
            sender = "user" if kind == "user" else "bot"
            lines.append({"sender": sender, "text": text, "timestamp": _timestamp(event)})
    return lines
