"""The conversation's language, decided after every customer message (nlu/language.py).

Rasa runs `action_validate_slot_mappings` at the end of `action_extract_slots`, after each
user message, for the slots with custom mappings; `extract_language` sets `language`,
`language_source` and `language_pending` from the message and the widget's language, which
the gateway sends as the message's metadata ({"language": "fr"}).
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from nlu.language import LanguageState, decide

# In the order of LanguageState's fields.
SLOTS = ("language", "language_source", "language_pending")


def widget_language(tracker: Tracker) -> object:
    """The language the gateway says the widget shows, as the message's metadata gives it."""
    metadata = (tracker.latest_message or {}).get("metadata")
    return metadata.get("language") if isinstance(metadata, dict) else None


class ValidateSlotMappings(ValidationAction):
    """Slots Rasa extracts with custom mappings: the language ones."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The language slots that this message changes (none most of the time)."""
        before = LanguageState(*(tracker.get_slot(slot) for slot in SLOTS))
        text = (tracker.latest_message or {}).get("text")
        after = decide(before, text=text, widget=widget_language(tracker))
        values = zip(SLOTS, astuple(after), strict=True)
        return {slot: value for slot, value in values if value != tracker.get_slot(slot)}
