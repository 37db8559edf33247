"""Network outage status for a postcode, and fault tickets when there is no known incident."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import backend_failure, backends, is_verified
from actions.transcript import transcript
from connectors.crm import TicketRequest
from connectors.errors import ConnectorError

TROUBLESHOOTING = (
    "Some things that often help:\n"
    "- Restart your router: switch it off at the wall, wait 30 seconds, switch it back on.\n"
    "- Check the cables between the wall socket and the router are pushed in firmly.\n"
    "- For mobile, switch flight mode on and off, or restart your phone.\n"
    "- For TV, restart the box and check the cable from the wall."
)


def describe_incident(incident: Any) -> str:
    """What is affected, what is being done, and when it should be fixed."""
    services = ", ".join(incident.services)
    text = f"{incident.title} (affecting {services}; status: {incident.status})."
    if incident.eta:
        text += f" We expect it to be fixed by {incident.eta:%H:%M on %d %B}."
    return text


class ActionCheckOutage(Action):
    """Active incidents at the postcode given, or at the verified customer's address."""

    def name(self) -> str:
        return "action_check_outage"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        clients = backends()
        postcode = tracker.get_slot("postcode")
        events: list[EventType] = []
        try:
            if not postcode and is_verified(tracker):
                customer = clients.crm.get_customer(tracker.get_slot("customer_id"))
                postcode = customer.service_address.postcode
                events.append(SlotSet("postcode", postcode))
            incidents = clients.network.incidents_for(postcode)
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        except ValueError:  # the network system only knows UK postcodes
            dispatcher.utter_message(text=f"Sorry, {postcode} isn't a UK postcode I can check.")
            return [SlotSet("postcode", None)]
        if incidents:
            intro = f"Yes, there is a known problem near {postcode}:"
            dispatcher.utter_message(text="\n".join([intro, *map(describe_incident, incidents)]))
            dispatcher.utter_message(
                text="You don't need to report it: we'll fix it as soon as we can."
            )
            return events + [SlotSet("pending_offer", None)]
        dispatcher.utter_message(text=f"There's no known incident near {postcode} right now.")
        dispatcher.utter_message(text=TROUBLESHOOTING)
        dispatcher.utter_message(
            text="If it still doesn't work, shall I open a fault ticket for an engineer?",
            buttons=[
                {"title": "Yes, open a ticket", "payload": "/affirm"},
                {"title": "No, thanks", "payload": "/deny"},
            ],
        )
        return events + [SlotSet("pending_offer", "ticket")]


class ActionOpenFaultTicket(Action):
    """A fault ticket with the conversation, for an engineer to follow up."""

    def name(self) -> str:
        return "action_open_fault_ticket"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        postcode = tracker.get_slot("postcode")
        try:
            ticket = backends().crm.create_ticket(
                TicketRequest(
                    customer_id=tracker.get_slot("customer_id"),
                    subject=f"Fault report: service not working at {postcode}",
                    description="No known incident at the customer's postcode; basic "
                    "troubleshooting given by the virtual assistant did not help.",
                    reason="fault_report",
                    priority="normal",
                    transcript=transcript(tracker),
                )
            )
        except ConnectorError as error:
            return [SlotSet("pending_offer", None), *backend_failure(dispatcher, error)]
        dispatcher.utter_message(
            text=f"I've opened fault ticket {ticket.ticket_id}. An engineer will look into it and "
            "contact you within one working day."
        )
        return [SlotSet("pending_offer", None)]
