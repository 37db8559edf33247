"""Form validation actions: which slots each task form asks for, and how they are checked."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import HandoverReason, backends, failure_slots, is_verified, offer_human
from actions.formatting import language_of
from actions.lockout import begin_check, conversation_subject, order_subject, record_failure
from actions.parsing import find_order_number, find_postcode
from actions.verification import VerificationMixin, refused_slots, verification_slots
from connectors.errors import ConnectorError, NotFound
from connectors.formats import normalise_postcode
from connectors.orders import Order

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


def delivered_to(order: Order, postcode: str | None) -> bool:
    """Whether `postcode` is the order's delivery postcode (spaces and case aside)."""
    if not postcode or not order.delivery_postcode:
        return False
    return normalise_postcode(postcode) == normalise_postcode(order.delivery_postcode)


class ValidateOrderForm(VerificationMixin, FormValidationAction):
    """An order number, and its delivery postcode unless the customer is verified; or, for a
    customer without a number, verification to list their open orders."""

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
        order_number = tracker.get_slot("order_number")
        if order_number == NO_ORDER_NUMBER:
            return ["order_number", *verification_slots(tracker)]
        locked = tracker.get_slot("verification_locked")
        if order_number and not is_verified(tracker) and not locked:
            return ["order_number", "delivery_postcode"]
        return ["order_number"]

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NO_ORDER_NUMBER:
            return {"order_number": NO_ORDER_NUMBER}
        order_number = find_order_number(str(value or ""))
        if order_number is not None:
            try:
                await backends().orders.get_order(order_number)
                return {"order_number": order_number}
            except NotFound:
                pass
            except ConnectorError as error:
                return {**failure_slots(dispatcher, error), "order_number": None}
        failures = int(tracker.get_slot("order_lookup_failures") or 0) + 1
        slots = {"order_number": None, "order_lookup_failures": failures}
        if failures >= MAX_ORDER_LOOKUPS:  # the form ends; the task says it gave up
            return slots
        if order_number:
            dispatcher.utter_message(response="utter_order_not_found", order_number=order_number)
        else:
            dispatcher.utter_message(response="utter_order_number_unreadable")
        return slots

    async def validate_delivery_postcode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        postcode = read_postcode(value, dispatcher)
        if postcode is None:
            return {"delivery_postcode": None}
        order_number = str(tracker.get_slot("order_number"))
        conversation, order = conversation_subject(tracker.sender_id), order_subject(order_number)
        try:
            verdict = await begin_check(conversation, order)
            if verdict.locked:
                return _order_locked(dispatcher)
            if not verdict.allowed:
                refused = refused_slots(dispatcher, verdict, language_of(tracker))
                return {**refused, "delivery_postcode": None}
            found = await backends().orders.get_order(order_number)
            if delivered_to(found, postcode):
                return {"delivery_postcode": postcode}
            if await record_failure(conversation, order):
                return _order_locked(dispatcher)
        except ConnectorError as error:  # the orders system, or the attempt store
            return {**failure_slots(dispatcher, error), "delivery_postcode": None}
        dispatcher.utter_message(
            response="utter_wrong_delivery_postcode", order_number=order_number
        )
        return {"delivery_postcode": None}


def postcode_named(tracker: Tracker) -> bool:
    """Whether the customer's latest message names a postcode, one we can check or not."""
    message = tracker.latest_message or {}
    if any(entity.get("entity") == "postcode" for entity in message.get("entities") or []):
        return True
    return find_postcode(message.get("text")) is not None


def read_postcode(value: Any, dispatcher: CollectingDispatcher) -> str | None:
    """The postcode the customer typed, or None after saying what one looks like."""
    postcode = find_postcode(str(value or ""))
    if postcode is None:
        dispatcher.utter_message(response="utter_not_a_postcode")
    return postcode


def _order_locked(dispatcher: CollectingDispatcher) -> dict[str, Any]:
    dispatcher.utter_message(response="utter_order_locked")
    events = offer_human(dispatcher, HandoverReason.FAILED_VERIFICATION)
    slots = {e["name"]: e["value"] for e in events}
    return {**slots, "delivery_postcode": None, "task_failed": True}


class ValidateOutageForm(FormValidationAction):
    """A postcode to check; for a verified customer who names none in this request, their
    service address is checked (actions/outage.py), whatever postcode came up earlier."""

    def name(self) -> str:
        return "validate_outage_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if is_verified(tracker) and not postcode_named(tracker):
            return []
        return domain_slots

    def validate_postcode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"postcode": read_postcode(value, dispatcher)}
