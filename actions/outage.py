"""Network outage status for a postcode, and fault tickets when there is no known incident."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import backend_failure, backends, is_verified
from actions.formatting import format_day_month, format_time_of_day, language_of
from actions.forms import postcode_named
from actions.transcript import transcript
from connectors.crm import TicketRequest
from connectors.errors import ConnectorError
from connectors.network import Incident

# The services an incident affects are listed inside one sentence: a list of names cannot be
# one of the domain's responses, so each language's names are here.
SERVICE_NAMES = {
    "en": {"broadband": "broadband", "mobile": "mobile", "tv": "TV", "landline": "landline"},
    "fr": {"broadband": "internet", "mobile": "mobile", "tv": "TV", "landline": "téléphone fixe"},
}


def utter_incident(dispatcher: CollectingDispatcher, incident: Incident, language: str) -> None:
    """What is affected, what is being done, and when it should be fixed."""
    names = SERVICE_NAMES.get(language, SERVICE_NAMES["en"])
    services = ", ".join(names[service] for service in incident.services)
    values = {"title": incident.title_in(language), "services": services}
    if incident.eta:
        values["eta_time"] = format_time_of_day(incident.eta, language=language)
        values["eta_date"] = format_day_month(incident.eta, language=language)
    match incident.status, incident.eta is not None:
        case "investigating", False:
            dispatcher.utter_message(response="utter_incident_investigating", **values)
        case "investigating", True:
            dispatcher.utter_message(response="utter_incident_investigating_eta", **values)
        case "fixing", False:
            dispatcher.utter_message(response="utter_incident_fixing", **values)
        case "fixing", True:
            dispatcher.utter_message(response="utter_incident_fixing_eta", **values)
        case "monitoring", False:
            dispatcher.utter_message(response="utter_incident_monitoring", **values)
        case "monitoring", True:
            dispatcher.utter_message(response="utter_incident_monitoring_eta", **values)


class ActionCheckOutage(Action):
    """Active incidents at the postcode named, else at the verified customer's service address.

    A verified customer who names no postcode in this request gets their service address
    checked, not a postcode the conversation held from an earlier check.
    """

    def name(self) -> str:
        return "action_check_outage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        clients = backends()
        postcode = tracker.get_slot("postcode")
        events: list[EventType] = []
        try:
            if is_verified(tracker) and not postcode_named(tracker):
                customer = await clients.crm.get_customer(tracker.get_slot("customer_id"))
                postcode = customer.service_address.postcode
                events.append(SlotSet("postcode", postcode))
            incidents = await clients.network.incidents_for(postcode)
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        except ValueError:  # the network system only knows UK postcodes
            dispatcher.utter_message(response="utter_postcode_not_checkable", postcode=postcode)
            return [SlotSet("postcode", None)]
        if incidents:
            dispatcher.utter_message(response="utter_known_problem", postcode=postcode)
            language = language_of(tracker)
            for incident in incidents:
                utter_incident(dispatcher, incident, language)
            dispatcher.utter_message(response="utter_no_report_needed")
            return events + [SlotSet("pending_offer", None)]
        dispatcher.utter_message(response="utter_no_incident", postcode=postcode)
        dispatcher.utter_message(response="utter_troubleshooting")
        dispatcher.utter_message(response="utter_offer_fault_ticket")
        return events + [SlotSet("pending_offer", "ticket")]


class ActionOpenFaultTicket(Action):
    """A fault ticket with the conversation, for an engineer to follow up."""

    def name(self) -> str:
        return "action_open_fault_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        postcode = tracker.get_slot("postcode")
        try:
            ticket = await backends().crm.create_ticket(
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
        dispatcher.utter_message(response="utter_fault_ticket_opened", ticket_id=ticket.ticket_id)
        return [SlotSet("pending_offer", None)]
