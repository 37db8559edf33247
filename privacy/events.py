"""Rasa tracker events without personal data: for the tracker store and for ticket transcripts.

The context rule: while a form asks for a secret slot (`requested_slot` is `date_of_birth` or
`otp_code`), whatever the customer types is the secret, and is replaced whole.

A bot event's `metadata` holds the values its response was filled with (Rasa's
`RemoteAction._utter_responses` puts the action's `utter_message(response=..., **values)` there):
they get the same redaction as the text they were put into.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from privacy.redaction import SECRET_SLOTS, redact, redact_answer

# Slot values that other turns read back from the store must survive: a postcode typed for
# the outage check is needed for the fault ticket of the next turn.
KEPT_IN_SLOTS = frozenset({"POSTCODE"})


def asked_slots(events: Iterable[dict[str, Any]]) -> list[str | None]:
    """For each event, the slot the active form was asking for at that point (or None)."""
    asked: str | None = None
    slots = []
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            asked = event.get("value")
        elif kind == "active_loop" and event.get("name") is None:
            asked = None
        slots.append(asked)
    return slots


def redact_events(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of `events` (Rasa's dict form) with messages, entities, slots and bot metadata
    redacted."""
    events = list(events)
    return [
        redact_event(event, slot) for event, slot in zip(events, asked_slots(events), strict=True)
    ]


def redact_event(event: dict[str, Any], asked_slot: str | None = None) -> dict[str, Any]:
    """One event (a copy) without personal data; `asked_slot` is the slot the form asked for."""
    kind = event.get("event")
    if kind not in ("user", "bot", "slot", "entities"):
        return event
    event = copy.deepcopy(event)
    if kind == "user":
        if isinstance(event.get("text"), str):
            event["text"] = redact_answer(event["text"], asked_slot)
        parse_data = event.get("parse_data")
        if isinstance(parse_data, dict):
            if isinstance(parse_data.get("text"), str):
                parse_data["text"] = redact_answer(parse_data["text"], asked_slot)
            _redact_entities(parse_data.get("entities"), asked_slot)
    elif kind == "bot":
        if isinstance(event.get("text"), str):
            event["text"] = redact(event["text"])
        if "metadata" in event:
            event["metadata"] = _redact_strings(event["metadata"])
    elif kind == "slot":
        event["value"] = redact_slot(event.get("name"), event.get("value"))
    else:
        _redact_entities(event.get("entities"), asked_slot)
    return event


def redact_slot(name: Any, value: Any) -> Any:
    """A slot's value: secrets whole, other text with personal data replaced (postcodes kept)."""
    if value is None:
        return None
    if name in SECRET_SLOTS:
        return SECRET_SLOTS[name]
    if isinstance(value, str):
        return redact(value, keep=KEPT_IN_SLOTS)
    return value


def _redact_strings(value: Any) -> Any:
    """`value` with every string inside it (through dicts and lists) redacted; keys and other
    values as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return value


def _redact_entities(entities: Any, asked_slot: str | None) -> None:
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, dict) and isinstance(entity.get("value"), str):
            entity["value"] = redact_answer(entity["value"], asked_slot)
