"""The conversation as people read it, for tickets and for the agents who take over."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from privacy.events import redact_events
from privacy.redaction import SECRET_SLOTS

# How answers to secret questions appear (the context packet tells agents so).
REDACTED = " or ".join(SECRET_SLOTS.values())


def _timestamp(event: dict[str, Any]) -> str:
    seconds = event.get("timestamp") or 0
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    """User and bot messages with ISO timestamps, personal data redacted (`privacy.events`)."""
    return [
        {
            "sender": "user" if event["event"] == "user" else "bot",
            "text": event["text"],
            "timestamp": _timestamp(event),
        }
        for event in redact_events(tracker.events)
        if event.get("event") in ("user", "bot") and event.get("text")
    ]
