"""The conversation's states, how a contact ends, and the domain events of each transition.

Every event is a frozen dataclass naming the conversation, its episode (the contact, numbered
from 1) and when it happened. Closing has three kinds: `ConversationClosed` by an agent, and
its subclasses `ConversationEnded` (by the customer) and `ConversationExpired` (the wait was
too long: a ticket). Subscribing to `ConversationClosed` hears all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class State(str, Enum):
    """Who has the conversation: the bot, the queue, an agent; or nobody since it closed."""

    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class Outcome(str, Enum):
    """How a contact ended."""

    RESOLVED_BY_BOT = "resolved_by_bot"  # the customer ended it with the bot
    RESOLVED_BY_AGENT = "resolved_by_agent"  # an agent closed it (`WrapUp` says how it went)
    ENDED_BY_CUSTOMER = "ended_by_customer"  # the customer ended it while with an agent
    ABANDONED = "abandoned"  # the customer ended it while waiting in the queue
    TICKET = "ticket"  # nobody took it in time: a ticket instead


class WrapUp(str, Enum):
    """The agent's reason when they close a conversation."""

    RESOLVED = "resolved"
    NOT_RESOLVED = "not_resolved"
    DUPLICATE = "duplicate"
    SPAM = "spam"


@dataclass(frozen=True, kw_only=True)
class ConversationEvent:
    """Something that happened to a conversation, during its episode `episode`."""

    conversation_id: str
    episode: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ConversationStarted(ConversationEvent):
    """The customer wrote for the first time: episode 1 began, with the bot."""


@dataclass(frozen=True, kw_only=True)
class ConversationQueued(ConversationEvent):
    """The bot asked for a person: the conversation waits in the queue for `skill`."""

    reason: str
    skill: str
    vulnerable: bool
    summary: str | None


@dataclass(frozen=True, kw_only=True)
class ConversationAssigned(ConversationEvent):
    """An agent accepted the conversation from the queue, or a supervisor (`by`) gave it to them."""

    agent: str
    agent_name: str
    by: str | None = None  # the supervisor who gave it, if the agent did not accept it


@dataclass(frozen=True, kw_only=True)
class ConversationTransferred(ConversationEvent):
    """The agent passed it on: to another agent (`to_agent`) or to a skill's queue; or a
    supervisor (`by`) moved it from `from_agent` to `to_agent`."""

    from_agent: str
    to_agent: str | None = None
    to_agent_name: str | None = None
    to_skill: str | None = None
    by: str | None = None  # the supervisor who moved it, if `from_agent` did not pass it on


@dataclass(frozen=True, kw_only=True)
class ConversationHandedBack(ConversationEvent):
    """The agent gave the conversation back to the bot; the episode goes on."""

    agent: str


@dataclass(frozen=True, kw_only=True)
class ConversationRequeued(ConversationEvent):
    """Its agent was gone past the grace period: back to the head of the queue."""

    agent: str


@dataclass(frozen=True, kw_only=True)
class ConversationClosed(ConversationEvent):
    """The episode ended with `outcome`; by an agent (with their wrap-up reason and note)
    unless it is one of the subclasses."""

    outcome: Outcome
    was: State  # the state it closed from
    agent: str | None = None  # who had it, if anyone
    agent_name: str | None = None
    reason: WrapUp | None = None
    note: str | None = None  # redacted


@dataclass(frozen=True, kw_only=True)
class ConversationEnded(ConversationClosed):
    """The customer ended the chat."""


@dataclass(frozen=True, kw_only=True)
class ConversationExpired(ConversationClosed):
    """Nobody took the conversation within the longest wait: a ticket is opened instead."""


@dataclass(frozen=True, kw_only=True)
class ConversationReopened(ConversationEvent):
    """The customer wrote after a close: episode `episode` began, with the bot again."""

    previous_episode: int


@dataclass(frozen=True, kw_only=True)
class ConversationRated(ConversationEvent):
    """The customer rated the episode that ended (1-5); a second rating replaces the first.
    `agent` had the episode when it ended, if anyone did."""

    score: int
    agent: str | None = None
