"""Form validation actions: which slots each task form asks for, and how they are checked."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import backends, failure_slots
from actions.parsing import find_order_number, find_postcode
from actions.verification import VerificationMixin, verification_slots
from connectors.errors import ConnectorError, NotFound

MAX_ORDER_LOOKUPS = 2
NO_ORDER_NUMBER = "none"


class ValidateBillForm(VerificationMixin, FormValidationAction):
    """The bill balance needs a verified customer, nothing else."""

    def name(self) -> str:
        return "validate_bill_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return verification_slots(tracker)


class ValidatePasswordForm(ValidateBillForm):
    """A password reset needs a verified customer, nothing else."""

    def name(self) -> str:
        return "validate_password_form"


class ValidateOrderForm(VerificationMixin, FormValidationAction):
    """An order number; or, for a customer without one, verification to list open orders."""

    def name(self) -> str:
        return "validate_order_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("task_failed"):
            return []
        if (tracker.get_slot("order_lookup_failures") or 0) >= MAX_ORDER_LOOKUPS:
            return []
        if tracker.get_slot("order_number") == NO_ORDER_NUMBER:
            return ["order_number", *verification_slots(tracker)]
        return ["order_number"]

    def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NO_ORDER_NUMBER:
            return {"order_number": NO_ORDER_NUMBER}
        order_number = find_order_number(str(value or ""))
        if order_number is not None:
            try:
                backends().orders.get_order(order_number)
                return {"order_number": order_number}
            except NotFound:
                pass
            except ConnectorError as error:
                return {**failure_slots(dispatcher, error), "order_number": None}
        failures = int(tracker.get_slot("order_lookup_failures") or 0) + 1
        if failures < MAX_ORDER_LOOKUPS:
            shown = order_number or "that"
            dispatcher.utter_message(
                text=f"I couldn't find order {shown}. Order numbers look like ORD-123456: could "
                "you check it and type it again?"
            )
        return {"order_number": None, "order_lookup_failures": failures}


class ValidateOutageForm(FormValidationAction):
    """A postcode to check, unless the verified customer's service address can be used."""

    def name(self) -> str:
        return "validate_outage_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("verified") and not tracker.get_slot("postcode"):
            return []
        return domain_slots

    def validate_postcode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        postcode = find_postcode(str(value or ""))
        if postcode is None:
            dispatcher.utter_message(
                text="That doesn't look like a UK postcode. Please type it like SW1A 1AA."
            )
        return {"postcode": postcode}
