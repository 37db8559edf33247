"""The conversation as people read it, for tickets and for the agents who take over."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from privacy.events import redact_events
from privacy.redaction import SECRET_SLOTS

# How answers to secret questions appear (the context packet tells agents so).
REDACTED = " or ".join(SECRET_SLOTS.values())
# Rasa marks the user event of an intent triggered through its API (the gateway's hand-back
# arrives as "EXTERNAL: handback") with this metadata key: nobody typed it.
EXTERNAL = "is_external"


def timestamp(event: dict[str, Any]) -> str:
    """An event's time as ISO 8601 UTC."""
    seconds = event.get("timestamp") or 0
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def is_typed(event: dict[str, Any]) -> bool:
    """Whether a user event is a message from the customer, not one Rasa made for an API call."""
    metadata = event.get("metadata")
    return not (isinstance(metadata, dict) and metadata.get(EXTERNAL))


def readable(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of `events` (redacted), the user and bot messages people read, in order.

    Each keeps its other fields (a user event's `parse_data`, a bot event's `metadata`), so
    that whoever reads a message's text reads what the NLU made of that same message.
    """
    return [
        event
        for event in events
        if event.get("event") in ("user", "bot")
        and event.get("text")
        and (event["event"] == "bot" or is_typed(event))
    ]


def transcript(tracker: Tracker) -> list[dict[str, str]]:
    """User and bot messages with ISO timestamps, personal data redacted (`privacy.events`)."""
    return transcript_of(redact_events(tracker.events))


def transcript_of(redacted: list[dict[str, Any]]) -> list[dict[str, str]]:
    """`transcript` of events already redacted (a handover has them from reading the story)."""
    return [
        {
            "sender": "user" if event["event"] == "user" else "bot",
            "text": event["text"],
            "timestamp": timestamp(event),
        }
        for event in readable(redacted)
    ]
