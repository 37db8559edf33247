"""Fallback, out-of-scope, declined offers and cancelled tasks."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import HandoverReason, offer_human

FALLBACK_INTENT = "nlu_fallback"
TASK_SLOTS = [
    "order_number",
    "postcode",
    "account_number",
    "verification_method",
    "date_of_birth",
    "otp_code",
    "otp_id",
]


def misses_in_a_row(tracker: Tracker) -> int:
    """How many of the latest user messages in a row the NLU did not understand."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionHandleFallback(Action):
    """First miss: ask to rephrase. Second miss in a row: offer a person."""

    def name(self) -> str:
        return "action_handle_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if misses_in_a_row(tracker) < 2:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response="utter_still_not_understood")
        return offer_human(dispatcher, HandoverReason.REPEATED_FALLBACK)


class ActionOutOfScope(Action):
    """Say what the bot can do, and offer a person for the rest."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_out_of_scope")
        return offer_human(dispatcher, HandoverReason.OUT_OF_SCOPE)


class ActionDeclineOffer(Action):
    """The customer said no: drop whatever was offered."""

    def name(self) -> str:
        return "action_decline_offer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("pending_offer", None), SlotSet("handover_reason", None)]


class ActionCancelTask(Action):
    """The customer stopped a task: forget its details, keep who they are."""

    def name(self) -> str:
        return "action_cancel_task"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ok_stopped")
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet(slot, None) for slot in TASK_SLOTS] + [
            SlotSet("order_lookup_failures", 0),
            SlotSet("task_failed", False),
        ]
