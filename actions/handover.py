"""Passing the conversation to people: for now a CRM ticket with the transcript."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import HandoverReason, backends
from actions.transcript import transcript
from connectors.crm import TicketRequest
from connectors.errors import ConnectorError

logger = logging.getLogger(__name__)

PHONE = "0800 000 0123"


def handover_reason(tracker: Tracker) -> HandoverReason:
    """The reason an earlier offer gave, else the customer's own request."""
    if tracker.get_slot("pending_offer") == "human":
        try:
            return HandoverReason(tracker.get_slot("handover_reason"))
        except ValueError:
            pass
    return HandoverReason.CUSTOMER_REQUEST


class ActionHandover(Action):
    """Open a ticket with the whole conversation and give the customer its reference."""

    def name(self) -> str:
        return "action_handover"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = handover_reason(tracker)
        events: list[EventType] = [SlotSet("pending_offer", None), SlotSet("handover_reason", None)]
        try:
            ticket = backends().crm.create_ticket(
                TicketRequest(
                    customer_id=tracker.get_slot("customer_id"),
                    subject=f"Chat passed to the support team ({reason.value.replace('_', ' ')})",
                    description=f"Handed over by the virtual assistant: {reason.value}",
                    reason=reason.value,
                    priority="normal",
                    transcript=transcript(tracker),
                )
            )
        except ConnectorError as error:
            logger.error("handover ticket failed: %s", error)
            dispatcher.utter_message(
                text=f"Sorry, I couldn't pass your conversation to our team just now. Please call "
                f"us on {PHONE} (Mon-Fri 8:00-20:00, Sat 9:00-17:00) and we'll help you there."
            )
            return events
        dispatcher.utter_message(
            text=f"I've passed our conversation to our support team. Your reference is "
            f"{ticket.ticket_id}. Someone will contact you within one working day, or you can "
            f"call {PHONE} and quote it."
        )
        return events
