"""Password reset: a link sent to the verified customer's contact on file."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import backend_failure, backends, is_verified, unverified_reply
from actions.formatting import format_minutes, language_of
from connectors.errors import ConnectorError
from connectors.models import Channel


class ActionResetPassword(Action):
    """Ask the identity system to send a reset link; the bot never sees a password."""

    def name(self) -> str:
        return "action_reset_password"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not is_verified(tracker):
            return unverified_reply(dispatcher, tracker)
        clients = backends()
        try:
            customer = await clients.crm.get_customer(tracker.get_slot("customer_id"))
            channel: Channel = "email" if customer.email else "sms"
            reset = await clients.identity.send_password_reset(customer.customer_id, channel)
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        dispatcher.utter_message(
            response="utter_password_reset_sent",
            sent_to=reset.sent_to,
            validity=format_minutes(reset.expires_in_minutes, language=language_of(tracker)),
        )
        return []
