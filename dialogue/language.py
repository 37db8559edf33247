"""The conversation's language slots, decided in the Rasa process after each customer message.

Rasa runs `action_validate_slot_mappings` at the end of `action_extract_slots`, after every
user message, for the slots with custom mappings: here the language ones (`SLOTS`), which
`nlu.language.decide` sets from the message and the widget's language (the gateway sends it as
the message's metadata, {"language": "fr"}). Done by the action server, that is a call per
message: Rasa rebuilds the tracker from its events, serialises it, sends it, checks the answer;
the action server parses it all back for a decision that takes 0.04 ms. `install()` makes
Rasa's `ActionExtractSlots` decide here instead (`bot/rasa_fixes.py` calls it), and leaves its
other work (the predefined mappings, the custom actions named in mappings) as it was.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any, Final

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.language import LanguageState, decide, detector

# In the order of LanguageState's fields.
SLOTS: Final = ("language", "language_source", "language_pending")


def widget_language(tracker: DialogueStateTracker) -> object:
    """The language the gateway says the widget shows, as the message's metadata gives it."""
    message = tracker.latest_message
    metadata = message.metadata if message is not None else None
    return metadata.get("language") if isinstance(metadata, dict) else None


def language_events(tracker: DialogueStateTracker) -> list[Event]:
    """The language slots that the latest message changes (none most of the time)."""
    before = LanguageState(*(tracker.get_slot(slot) for slot in SLOTS))
    message = tracker.latest_message
    text = message.text if message is not None else None
    after = decide(before, text=text, widget=widget_language(tracker))
    values = zip(SLOTS, astuple(after), strict=True)
    return [SlotSet(slot, value) for slot, value in values if value != tracker.get_slot(slot)]


async def _execute_validation_action(
    self: ActionExtractSlots,
    extraction_events: list[Event],
    output_channel: Any,
    nlg: Any,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    """Rasa's `ActionExtractSlots._execute_validation_action`, the validation decided here.

    As Rasa merges the action server's answer: the language slots first, then the slots the
    predefined mappings extracted (no slot of this domain is both)."""
    slot_events: list[Event] = [e for e in extraction_events if isinstance(e, SlotSet)]
    if ACTION_VALIDATE_SLOT_MAPPINGS not in domain.user_actions:
        return slot_events
    return language_events(tracker) + slot_events


def install() -> None:
    """Decide the language slots in this process from now on, detector loaded now rather than
    on the first conversation (again is harmless)."""
    detector()
    ActionExtractSlots._execute_validation_action = _execute_validation_action  # type: ignore[method-assign,assignment]
