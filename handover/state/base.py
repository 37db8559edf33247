"""Who owns a conversation: the ownership record, the store's contract and the serving order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

# Serving order as one number, so a Redis sorted set can keep the queue. queued_at is checked
# to lie in [0, TIME_LIMIT), which keeps the three bands apart: head < vulnerable < others.
TIME_LIMIT = 1e10
_VULNERABLE_OFFSET = TIME_LIMIT
_HEAD_OFFSET = 2 * TIME_LIMIT


class Owner(str, Enum):
    """Who has a conversation."""

    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


@dataclass(frozen=True)
class Ownership:
    """A conversation's owner; BOT and CLOSED records carry no other field."""

    conversation_id: str
    state: Owner
    agent: str | None = None  # username when assigned
    skill: str | None = None  # billing | network | orders | accounts | general
    vulnerable: bool = False
    queued_at: float | None = None  # epoch seconds when it (last) joined the queue
    assigned_at: float | None = None
    at_head: bool = False  # requeued to the front of the queue (its agent left)


def serving_score(*, queued_at: float, vulnerable: bool, at_head: bool) -> float:
    """The sorted-set score of a queued conversation: lower is served first."""
    if at_head:
        return queued_at - _HEAD_OFFSET
    if vulnerable:
        return queued_at - _VULNERABLE_OFFSET
    return queued_at


def serving_key(ownership: Ownership) -> tuple[float, str]:
    """Sort key of a queued conversation, ties broken by id as Redis does."""
    if ownership.queued_at is None:
        raise ValueError(f"{ownership.conversation_id!r} is not queued")
    score = serving_score(
        queued_at=ownership.queued_at,
        vulnerable=ownership.vulnerable,
        at_head=ownership.at_head,
    )
    return score, ownership.conversation_id


def assigned_key(ownership: Ownership) -> tuple[float, str]:
    """Sort key of an agent's conversations: the oldest assignment first."""
    return ownership.assigned_at or 0.0, ownership.conversation_id


class StateStore(Protocol):
    """Ownership and the queue; each transition is compare-and-set, and one caller wins."""

    async def get(self, conversation_id: str) -> Ownership:
        """The conversation's owner; an unknown id belongs to the bot."""
        ...

    async def enqueue(
        self, conversation_id: str, *, skill: str, vulnerable: bool, now: float
    ) -> bool:
        """bot -> queued; False if the bot does not own it."""
        ...

    async def accept(self, conversation_id: str, agent: str, *, capacity: int, now: float) -> bool:
        """queued -> assigned(agent); False if not queued or the agent has `capacity` chats."""
        ...

    async def requeue(
        self, conversation_id: str, *, now: float, at_head: bool, skill: str | None = None
    ) -> bool:
        """assigned -> queued (with a new skill when given); at_head puts it first."""
        ...

    async def reassign(
        self, conversation_id: str, from_agent: str, to_agent: str, *, capacity: int
    ) -> bool:
        """assigned(from_agent) -> assigned(to_agent); False if to_agent is full."""
        ...

    async def handback(self, conversation_id: str, agent: str) -> bool:
        """assigned(agent) -> bot."""
        ...

    async def dequeue(self, conversation_id: str) -> bool:
        """queued -> bot (a ticket is opened instead)."""
        ...

    async def close(self, conversation_id: str) -> bool:
        """Any state but closed -> closed."""
        ...

    async def queue(self) -> list[Ownership]:
        """The queued conversations in serving order."""
        ...

    async def position(self, conversation_id: str) -> int | None:
        """1-based place in the queue; None if not queued."""
        ...

    async def assigned_to(self, agent: str) -> list[Ownership]:
        """The agent's conversations, the oldest assignment first."""
        ...

    async def restore(self, items: Iterable[Ownership]) -> int:
        """Load records saved elsewhere (the database); conversations already known keep theirs."""
        ...

    async def set_offered(self, conversation_id: str, payloads: Sequence[str]) -> None:
        """The quick-reply payloads of the bot's latest answer (none forgets the previous ones)."""
        ...

    async def offered(self, conversation_id: str) -> list[str]:
        """The payloads the customer may send back as they are (Rasa's `/intent` syntax)."""
        ...

    async def aclose(self) -> None:
        """Release the store's connections."""
        ...
