"""The conversation lifecycle: states, transitions, and the events they publish.

- bot: queue -> queued; end -> closed
- queued: accept -> assigned; expire -> closed (a ticket); end -> closed
- assigned: transfer_to_agent -> assigned; transfer_to_skill, requeue -> queued;
  hand_back -> bot; close (agent), end (customer) -> closed
- queued or assigned: reassign (a supervisor, `supervision`) -> assigned to the agent named
- closed: reopen -> bot, in the next episode; rate (stays closed)

`Lifecycle` (machine.py) carries out each transition; `records` is its database side, one
transaction each; `undo` puts the state store back when that transaction fails; `rules` says
what each state allows and holds the typed refusals; `events` the states, outcomes and domain
events; `bus` delivers the events to subscribers (sockets, tickets, the bot's hand-back,
reporting), none of which this package imports.
"""

from handover.lifecycle.bus import EventBus
from handover.lifecycle.events import (
    ConversationAssigned,
    ConversationClosed,
    ConversationEnded,
    ConversationEvent,
    ConversationExpired,
    ConversationHandedBack,
    ConversationQueued,
    ConversationRated,
    ConversationReopened,
    ConversationRequeued,
    ConversationStarted,
    ConversationTransferred,
    Outcome,
    State,
    WrapUp,
)
from handover.lifecycle.machine import AgentLike, Lifecycle, name_of
from handover.lifecycle.records import Status
from handover.lifecycle.rules import (
    ALLOWED,
    TARGET,
    NoRoom,
    NotAllowed,
    NotYours,
    Transition,
    TransitionRefused,
    queue_for,
    wrap_up_note,
    wrap_up_reason,
)
from handover.lifecycle.supervision import Supervision

__all__ = [
    "ALLOWED",
    "TARGET",
    "AgentLike",
    "ConversationAssigned",
    "ConversationClosed",
    "ConversationEnded",
    "ConversationEvent",
    "ConversationExpired",
    "ConversationHandedBack",
    "ConversationQueued",
    "ConversationRated",
    "ConversationReopened",
    "ConversationRequeued",
    "ConversationStarted",
    "ConversationTransferred",
    "EventBus",
    "Lifecycle",
    "NoRoom",
    "NotAllowed",
    "NotYours",
    "Outcome",
    "State",
    "Status",
    "Supervision",
    "Transition",
    "TransitionRefused",
    "WrapUp",
    "name_of",
    "queue_for",
    "wrap_up_note",
    "wrap_up_reason",
]
