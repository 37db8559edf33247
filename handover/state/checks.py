"""Argument checks shared by the stores: bad input raises ValueError before any state changes."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace

from handover.state.base import TIME_LIMIT, Owner, Ownership

MAX_ID_LENGTH = 128
# Quick replies of one bot answer: Rasa's buttons are a handful of short `/intent{...}` strings.
MAX_OFFERED = 20
MAX_PAYLOAD_LENGTH = 512
# Namespaces prefix every Redis key; without ':' one namespace can't reach into another's keys.
_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def check_id(value: object, what: str = "conversation id") -> str:
    """A non-blank string of at most MAX_ID_LENGTH characters (ids, agent names, skills)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, not {value!r}")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_ID_LENGTH} characters")
    return value


def check_payloads(values: object) -> list[str]:
    """Quick-reply payloads: at most MAX_OFFERED non-empty strings of MAX_PAYLOAD_LENGTH."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise ValueError(f"payloads must be a list of strings, not {values!r}")
    if len(values) > MAX_OFFERED:
        raise ValueError(f"more than {MAX_OFFERED} quick replies")
    for value in values:
        if not isinstance(value, str) or not value or len(value) > MAX_PAYLOAD_LENGTH:
            raise ValueError(f"a payload is a string of 1-{MAX_PAYLOAD_LENGTH} characters")
    return list(values)


def check_time(value: object) -> float:
    """Epoch seconds inside the range the serving order can encode."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"time must be a number of seconds, not {value!r}")
    if not (math.isfinite(value) and 0 <= value < TIME_LIMIT):
        raise ValueError(f"time {value!r} is outside [0, {TIME_LIMIT:.0f})")
    return float(value)


def check_capacity(value: object) -> int:
    """A non-negative whole number of conversations."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"capacity must be a non-negative integer, not {value!r}")
    return value


def check_flag(value: object, what: str) -> bool:
    """A real bool, so a stray string can't turn into True."""
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be a bool, not {value!r}")
    return value


def check_namespace(value: object) -> str:
    """Letters, digits, '_', '.' and '-' only."""
    if not isinstance(value, str) or not _NAMESPACE.fullmatch(value):
        raise ValueError(f"namespace must match {_NAMESPACE.pattern}, not {value!r}")
    return value


def check_ownership(item: object) -> Ownership:
    """The record with times as floats, if its fields fit its state as a transition leaves them."""
    if not isinstance(item, Ownership):
        raise ValueError(f"expected an Ownership, not {item!r}")
    check_id(item.conversation_id)
    if not isinstance(item.state, Owner):
        raise ValueError(f"{item.conversation_id!r}: state must be an Owner")
    if item.state in (Owner.BOT, Owner.CLOSED):
        if item != Ownership(item.conversation_id, item.state):
            raise ValueError(f"{item.conversation_id!r}: a {item.state.value} record has no fields")
        return item
    check_id(item.skill, "skill")
    check_flag(item.vulnerable, "vulnerable")
    check_flag(item.at_head, "at_head")
    queued_at = check_time(item.queued_at)
    if item.state == Owner.QUEUED:
        if item.agent is not None or item.assigned_at is not None:
            raise ValueError(f"{item.conversation_id!r}: a queued record has no agent")
        return replace(item, queued_at=queued_at)
    check_id(item.agent, "agent")
    if item.at_head:
        raise ValueError(f"{item.conversation_id!r}: an assigned record is not at the head")
    return replace(item, queued_at=queued_at, assigned_at=check_time(item.assigned_at))


def check_records(items: Iterable[Ownership]) -> list[Ownership]:
    """Checked records, each conversation once."""
    checked = [check_ownership(item) for item in items]
    ids = [item.conversation_id for item in checked]
    if len(set(ids)) != len(ids):
        raise ValueError("a conversation appears more than once")
    return checked


def check_reassign(
    conversation_id: str, from_agent: str, to_agent: str, capacity: int
) -> tuple[str, str, str, int]:
    """The arguments of a reassignment, checked: another agent, and a valid capacity."""
    cid = check_id(conversation_id)
    from_agent, to_agent = check_id(from_agent, "agent"), check_id(to_agent, "agent")
    if from_agent == to_agent:
        raise ValueError("a conversation is reassigned to another agent")
    return cid, from_agent, to_agent, check_capacity(capacity)
