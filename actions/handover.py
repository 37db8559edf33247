"""Passing the conversation to a person: the handover gateway's queue, else a CRM ticket."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import HandoverReason, backends
from actions.context import (
    COMPLAINT_INTENT,
    Story,
    context_packet,
    handover_reason,
    read_story,
)
from actions.formatting import format_count, format_minutes, language_of
from actions.transcript import transcript_of
from connectors.crm import TicketRequest
from connectors.errors import ConnectorError
from connectors.handover import HandoverAnswer, HandoverRequest

logger = logging.getLogger(__name__)


def utter_queued(dispatcher: CollectingDispatcher, answer: HandoverAnswer, language: str) -> None:
    """Tell the customer the conversation joined the queue: their place and wait if known."""
    if not answer.position:
        dispatcher.utter_message(response="utter_handover_queued")
        return
    position = format_count(answer.position, language=language)
    if answer.estimated_wait_seconds is None:
        dispatcher.utter_message(response="utter_handover_queued_position", position=position)
        return
    minutes = max(1, round(answer.estimated_wait_seconds / 60))
    dispatcher.utter_message(
        response="utter_handover_queued_wait",
        position=position,
        wait=format_minutes(minutes, language=language),
    )


class ActionHandover(Action):
    """Queue the conversation for a person; when nobody can take it, open a ticket."""

    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        story = read_story(tracker)
        reason = handover_reason(tracker, story)
        # The apology answers a complaint just made; an earlier one shows in the packet.
        if (tracker.latest_message.get("intent") or {}).get("name") == COMPLAINT_INTENT:
            dispatcher.utter_message(response="utter_handover_complaint")
        events: list[EventType] = [SlotSet("pending_offer", None), SlotSet("handover_reason", None)]
        context = await context_packet(tracker, reason, story)
        request = HandoverRequest(
            conversation_id=tracker.sender_id, reason=reason.value, context=context
        )
        try:
            answer = await backends().handover.request_handover(request)
        except ConnectorError as error:
            logger.warning("handover gateway unavailable: %s", error)
        else:
            if answer.status in ("queued", "assigned"):
                utter_queued(dispatcher, answer, language_of(tracker))
                return events
            logger.info("no handover for %s: %s", tracker.sender_id, answer.why)
        await self._ticket(dispatcher, tracker, reason, context, story)
        return events

    async def _ticket(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        reason: HandoverReason,
        context: dict[str, Any],
        story: Story,
    ) -> None:
        try:
            ticket = await backends().crm.create_ticket(
                TicketRequest(
                    customer_id=tracker.get_slot("customer_id"),
                    subject=f"Chat passed to the support team ({reason.value.replace('_', ' ')})",
                    # The packet's summary is redacted already; so are the story's events.
                    description=context["summary"],
                    reason=reason.value,
                    priority="high" if context["vulnerable"] else context["priority"],
                    transcript=transcript_of(story.events),
                )
            )
        except ConnectorError as error:
            logger.error("handover ticket failed: %s", error)
            dispatcher.utter_message(response="utter_handover_failed")
            return
        dispatcher.utter_message(response="utter_handover_ticket", ticket_id=ticket.ticket_id)
