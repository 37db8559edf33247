"""Order tracking by order number, or the verified customer's open orders.

An order's details (carrier, tracking number, where the parcel was left) are shown to its
verified owner, or to whoever gives its number and delivery postcode; to nobody else.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    HandoverReason,
    backend_failure,
    backends,
    is_verified,
    locked_out,
    long_date,
    offer_human,
    unverified_reply,
)
from actions.forms import MAX_ORDER_LOOKUPS, NO_ORDER_NUMBER, delivered_to
from connectors.errors import ConnectorError
from connectors.orders import Order

STATUS_TEXT = {
    "processing": "is being prepared",
    "shipped": "is on its way",
    "delivered": "was delivered",
    "lost": "has been reported lost by the carrier",
    "cancelled": "was cancelled",
}
EVENTS_SHOWN = 3


def describe_order(order: Any) -> str:
    """Status, carrier, ETA and last tracking events of an order."""
    text = f"Order {order.order_number} {STATUS_TEXT.get(order.status, order.status)}."
    if order.carrier:
        text += f" Carrier: {order.carrier}"
        text += f", tracking number {order.tracking_number}." if order.tracking_number else "."
    if order.eta and order.status in ("processing", "shipped"):
        text += f" Expected delivery: {long_date(order.eta)}."
    if order.status == "lost":
        text += " We'll send a replacement or a refund: a member of our team can arrange it."
    recent = order.events[-EVENTS_SHOWN:]
    if recent:
        text += "\nLatest updates:\n" + "\n".join(
            f"- {event.timestamp:%d %b %H:%M}: {event.description}"
            + (f" ({event.location})" if event.location else "")
            for event in reversed(recent)
        )
    return text


def _reset() -> list[EventType]:
    return [
        SlotSet("order_number", None),
        SlotSet("order_lookup_failures", 0),
        SlotSet("delivery_postcode", None),
    ]


def may_see(order: Order, tracker: Tracker) -> bool:
    """Its verified owner, or an unverified customer who gave its delivery postcode."""
    if is_verified(tracker):
        return order.customer_id == tracker.get_slot("customer_id")
    return delivered_to(order, tracker.get_slot("delivery_postcode"))


class ActionTrackOrder(Action):
    """Answer the order form: one order, the open orders, or a way forward."""

    def name(self) -> str:
        return "action_track_order"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("task_failed"):
            return [*_reset(), SlotSet("task_failed", False)]
        if (tracker.get_slot("order_lookup_failures") or 0) >= MAX_ORDER_LOOKUPS:
            dispatcher.utter_message(text="Sorry, I still can't find that order.")
            return _reset() + offer_human(dispatcher, HandoverReason.ORDER_NOT_FOUND)
        order_number = tracker.get_slot("order_number")
        if order_number == NO_ORDER_NUMBER:
            if not is_verified(tracker):
                return _reset() + unverified_reply(dispatcher, tracker)
            return _reset() + self._open_orders(dispatcher, tracker)
        try:
            order = backends().orders.get_order(order_number)
        except ConnectorError as error:
            return _reset() + backend_failure(dispatcher, error)
        if may_see(order, tracker):
            dispatcher.utter_message(text=describe_order(order))
            return _reset()
        if is_verified(tracker):
            dispatcher.utter_message(
                text=f"I can only show orders placed on your account, and {order_number} isn't "
                "one of them."
            )
            return _reset()
        if tracker.get_slot("verification_locked"):
            return _reset() + locked_out(dispatcher)
        dispatcher.utter_message(
            text=f"I can't show order {order_number} without its delivery postcode or your "
            "account details."
        )
        return _reset()

    def _open_orders(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        try:
            orders = backends().orders.list_orders(tracker.get_slot("customer_id"), open_only=True)
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        if not orders:
            dispatcher.utter_message(text="You have no open orders at the moment.")
            return []
        dispatcher.utter_message(text=f"You have {len(orders)} open order(s):")
        for order in orders:
            dispatcher.utter_message(text=describe_order(order))
        return []
