"""Which transition each state allows, and the typed refusals.

Refusals: `TransitionRefused` (someone else was first, or the conversation is not waiting),
and its subclasses `NotAllowed` (the state does not allow it), `NotYours` (another agent has
it, or none) and `NoRoom` (the agent asked for is offline or full). The REST API answers each
with 409 and its message; the sockets with an `error` event `{"error": message, "code": code}`.
"""

from __future__ import annotations

import logging
import re
from enum import Enum

from handover.lifecycle.events import State, WrapUp
from handover.models import MAX_NOTE_LENGTH, SKILLS

logger = logging.getLogger(__name__)


class Transition(str, Enum):
    QUEUE = "queue"  # the bot asks for a person
    ACCEPT = "accept"
    TRANSFER_TO_AGENT = "transfer_to_agent"
    TRANSFER_TO_SKILL = "transfer_to_skill"  # back to the head of that skill's queue
    HAND_BACK = "hand_back"
    REQUEUE = "requeue"  # the agent is gone past the grace period
    EXPIRE = "expire"  # waited too long: a ticket
    CLOSE = "close"  # by the agent
    END = "end"  # by the customer
    REOPEN = "reopen"  # the customer writes after a close
    RATE = "rate"  # the customer's satisfaction, once it has ended


ALLOWED: dict[Transition, frozenset[State]] = {
    Transition.QUEUE: frozenset({State.BOT}),
    Transition.ACCEPT: frozenset({State.QUEUED}),
    Transition.TRANSFER_TO_AGENT: frozenset({State.ASSIGNED}),
    Transition.TRANSFER_TO_SKILL: frozenset({State.ASSIGNED}),
    Transition.HAND_BACK: frozenset({State.ASSIGNED}),
    Transition.REQUEUE: frozenset({State.ASSIGNED}),
    Transition.EXPIRE: frozenset({State.QUEUED}),
    Transition.CLOSE: frozenset({State.ASSIGNED}),
    Transition.END: frozenset({State.BOT, State.QUEUED, State.ASSIGNED}),
    Transition.REOPEN: frozenset({State.CLOSED}),
    Transition.RATE: frozenset({State.CLOSED}),
}
# Control characters but tab, LF and CR, and lone surrogates: text no database should store.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Where each transition leads (rating changes nothing).
TARGET: dict[Transition, State] = {
    Transition.QUEUE: State.QUEUED,
    Transition.ACCEPT: State.ASSIGNED,
    Transition.TRANSFER_TO_AGENT: State.ASSIGNED,
    Transition.TRANSFER_TO_SKILL: State.QUEUED,
    Transition.HAND_BACK: State.BOT,
    Transition.REQUEUE: State.QUEUED,
    Transition.EXPIRE: State.CLOSED,
    Transition.CLOSE: State.CLOSED,
    Transition.END: State.CLOSED,
    Transition.REOPEN: State.BOT,
    Transition.RATE: State.CLOSED,
}
_DOING = {
    Transition.QUEUE: "queue",
    Transition.ACCEPT: "accept",
    Transition.TRANSFER_TO_AGENT: "transfer",
    Transition.TRANSFER_TO_SKILL: "transfer",
    Transition.HAND_BACK: "hand back",
    Transition.REQUEUE: "requeue",
    Transition.EXPIRE: "expire",
    Transition.CLOSE: "close",
    Transition.END: "end",
    Transition.REOPEN: "reopen",
    Transition.RATE: "rate",
}
_BEING = {
    State.BOT: "with the bot",
    State.QUEUED: "waiting in the queue",
    State.ASSIGNED: "with an agent",
    State.CLOSED: "that has ended",
}


class TransitionRefused(Exception):
    """The transition did not happen: someone else was first, or it was not waiting."""

    code = "conflict"


class NotAllowed(TransitionRefused):
    """The conversation's state does not allow the transition."""

    code = "not_allowed"

    def __init__(self, transition: Transition, state: State) -> None:
        message = f"cannot {_DOING[transition]} a conversation {_BEING[state]}"
        if transition == Transition.RATE:
            message += ": rate it once it has ended"
        super().__init__(message)
        self.transition = transition
        self.state = state


class NotYours(TransitionRefused):
    """The conversation is not assigned to the agent who asked."""

    code = "not_yours"

    def __init__(self) -> None:
        super().__init__("the conversation is not yours")


class NoRoom(TransitionRefused):
    """The agent asked for cannot take the conversation (offline, or at capacity)."""

    code = "no_room"


def check(transition: Transition, state: State) -> None:
    """Raise NotAllowed unless `state` allows `transition`."""
    if state not in ALLOWED[transition]:
        raise NotAllowed(transition, state)


def wrap_up_reason(value: object) -> WrapUp:
    """The agent's reason for closing: one of WrapUp's values, else ValueError."""
    if isinstance(value, str):
        for reason in WrapUp:
            if value == reason.value:
                return reason
    allowed = ", ".join(reason.value for reason in WrapUp)
    raise ValueError(f"reason must be one of {allowed}")


def wrap_up_note(value: object) -> str | None:
    """The agent's optional note: text of at most MAX_NOTE_LENGTH characters; blank is none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("note must be text")
    if len(value) > MAX_NOTE_LENGTH:
        raise ValueError(f"note must be at most {MAX_NOTE_LENGTH} characters")
    if _UNSTORABLE.search(value):
        raise ValueError("note must be valid Unicode, without control characters")
    return value.strip() or None


def queue_for(skill: object) -> str:
    """The queue a hand-over waits in: the bot's skill if agents serve it, else `general` (an
    unknown name would wait where nobody looks, or not fit its column)."""
    if skill in SKILLS:
        return str(skill)
    if skill is not None:
        logger.warning("hand-over for an unknown skill: queued for general")
    return "general"
