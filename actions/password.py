"""Password reset: a link sent to the verified customer's contact on file."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import backend_failure, backends, is_verified, unverified_reply
from connectors.errors import ConnectorError


class ActionResetPassword(Action):
    """Ask the identity system to send a reset link; the bot never sees a password."""

    def name(self) -> str:
        return "action_reset_password"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not is_verified(tracker):
            return unverified_reply(dispatcher, tracker)
        clients = backends()
        try:
            customer = clients.crm.get_customer(tracker.get_slot("customer_id"))
            channel = "email" if customer.email else "sms"
            reset = clients.identity.send_password_reset(customer.customer_id, channel)
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        dispatcher.utter_message(
            text=f"I've sent a password reset link to {reset.sent_to}. It works for "
            f"{reset.expires_in_minutes} minutes. For your security, never share your password: "
            "nobody from Nimbus Telecom will ask for it, including me."
        )
        return []
