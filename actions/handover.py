"""Passing the conversation to a person: the handover gateway's queue, else a CRM ticket."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import HandoverReason, backends
from actions.context import context_packet
from actions.transcript import transcript
from connectors.crm import TicketRequest
from connectors.errors import ConnectorError
from connectors.handover import HandoverAnswer, HandoverRequest
from privacy.redaction import redact

logger = logging.getLogger(__name__)

PHONE = "0800 000 0123"


COMPLAINT_INTENT = "complain"


def handover_reason(tracker: Tracker) -> HandoverReason:
    """A complaint first; else the reason an earlier offer gave; else the customer's request."""
    if (tracker.latest_message.get("intent") or {}).get("name") == COMPLAINT_INTENT:
        return HandoverReason.SENSITIVE_TOPIC
    if tracker.get_slot("pending_offer") == "human":
        try:
            return HandoverReason(tracker.get_slot("handover_reason"))
        except ValueError:
            pass
    return HandoverReason.CUSTOMER_REQUEST


def queued_text(answer: HandoverAnswer) -> str:
    """What the customer hears when the conversation joins the queue."""
    text = "I'm passing you to a member of our team, with everything you've told me."
    if answer.position:
        text += f" You're number {answer.position} in the queue"
        if answer.estimated_wait_seconds is not None:
            minutes = max(1, round(answer.estimated_wait_seconds / 60))
            text += f", and the wait is about {minutes} minute{'s' if minutes > 1 else ''}"
        text += "."
    return text


class ActionHandover(Action):
    """Queue the conversation for a person; when nobody can take it, open a ticket."""

    def name(self) -> str:
        return "action_handover"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = handover_reason(tracker)
        if reason == HandoverReason.SENSITIVE_TOPIC:
            dispatcher.utter_message(
                text="I'm sorry about this. It needs a person, so I'll pass you to our team."
            )
        events: list[EventType] = [SlotSet("pending_offer", None), SlotSet("handover_reason", None)]
        context = context_packet(tracker, reason)
        request = HandoverRequest(
            conversation_id=tracker.sender_id, reason=reason.value, context=context
        )
        try:
            answer = backends().handover.request_handover(request)
        except ConnectorError as error:
            logger.warning("handover gateway unavailable: %s", error)
        else:
            if answer.status in ("queued", "assigned"):
                dispatcher.utter_message(text=queued_text(answer))
                return events
            logger.info("no handover for %s: %s", tracker.sender_id, answer.why)
        self._ticket(dispatcher, tracker, reason, context)
        return events

    def _ticket(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        reason: HandoverReason,
        context: dict[str, Any],
    ) -> None:
        try:
            ticket = backends().crm.create_ticket(
                TicketRequest(
                    customer_id=tracker.get_slot("customer_id"),
                    subject=f"Chat passed to the support team ({reason.value.replace('_', ' ')})",
                    description=redact(context["summary"]),
                    reason=reason.value,
                    priority="high" if context["vulnerable"] else context["priority"],
                    transcript=transcript(tracker),
                )
            )
        except ConnectorError as error:
            logger.error("handover ticket failed: %s", error)
            dispatcher.utter_message(
                text=f"Sorry, I couldn't pass your conversation to our team just now. Please call "
                f"us on {PHONE} (Mon-Fri 8:00-20:00, Sat 9:00-17:00) and we'll help you there."
            )
            return
        dispatcher.utter_message(
            text=f"I've passed our conversation to our support team. Your reference is "
            f"{ticket.ticket_id}. Someone will contact you within one working day, or you can "
            f"call {PHONE} and quote it."
        )
