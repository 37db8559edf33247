"""Order tracking by order number, or the verified customer's open orders.

An order's details (carrier, tracking number, where the parcel was left) are shown to its
verified owner, or to whoever gives its number and delivery postcode; to nobody else.
"""

from __future__ import annotations

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
    offer_human,
    unverified_reply,
)
from actions.formatting import (
    format_count,
    format_long_date,
    format_moment,
    labelled,
    language_of,
    plural_category,
)
from actions.forms import MAX_ORDER_LOOKUPS, NO_ORDER_NUMBER, delivered_to
from connectors.errors import ConnectorError
from connectors.orders import OPEN_STATUSES, Order, OrderEvent

EVENTS_SHOWN = 3


def utter_order(dispatcher: CollectingDispatcher, order: Order, language: str) -> None:
    """An order's status; its carrier and expected delivery; its latest tracking events."""
    utter_status(dispatcher, order)
    utter_delivery(dispatcher, order, language)
    recent = order.events[-EVENTS_SHOWN:]
    if recent:
        updates = "\n".join(update_line(event, language) for event in reversed(recent))
        dispatcher.utter_message(response="utter_order_updates", updates=updates)


def utter_status(dispatcher: CollectingDispatcher, order: Order) -> None:
    """Where the order is, in one sentence."""
    number = order.order_number
    match order.status:
        case "processing":
            dispatcher.utter_message(response="utter_order_status_processing", order_number=number)
        case "shipped":
            dispatcher.utter_message(response="utter_order_status_shipped", order_number=number)
        case "delivered":
            dispatcher.utter_message(response="utter_order_status_delivered", order_number=number)
        case "lost":
            dispatcher.utter_message(response="utter_order_status_lost", order_number=number)
        case "cancelled":
            dispatcher.utter_message(response="utter_order_status_cancelled", order_number=number)


def utter_delivery(dispatcher: CollectingDispatcher, order: Order, language: str) -> None:
    """The carrier, tracking number and expected delivery date: those that are known."""
    values: dict[str, str] = {}
    if order.carrier:
        values["carrier"] = order.carrier
        if order.tracking_number:
            values["tracking_number"] = order.tracking_number
    if order.eta and order.status in OPEN_STATUSES:
        values["eta"] = format_long_date(order.eta, language=language)
    match sorted(values):
        case ["carrier", "eta", "tracking_number"]:
            dispatcher.utter_message(response="utter_order_delivery_tracking_eta", **values)
        case ["carrier", "tracking_number"]:
            dispatcher.utter_message(response="utter_order_delivery_tracking", **values)
        case ["carrier", "eta"]:
            dispatcher.utter_message(response="utter_order_delivery_carrier_eta", **values)
        case ["carrier"]:
            dispatcher.utter_message(response="utter_order_delivery_carrier", **values)
        case ["eta"]:
            dispatcher.utter_message(response="utter_order_delivery_eta", **values)


def update_line(event: OrderEvent, language: str) -> str:
    """`- 20 Nov 08:30: Handed to DPD (Birmingham)`: the order system's words, in the
    conversation's language when it has them, and our dates."""
    location = event.location_in(language)
    where = f" ({location})" if location else ""
    when = format_moment(event.timestamp, language=language)
    return labelled(f"- {when}", event.description_in(language) + where, language=language)


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

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("task_failed"):
            return [*_reset(), SlotSet("task_failed", False)]
        if (tracker.get_slot("order_lookup_failures") or 0) >= MAX_ORDER_LOOKUPS:
            dispatcher.utter_message(response="utter_order_still_not_found")
            return _reset() + offer_human(dispatcher, HandoverReason.ORDER_NOT_FOUND)
        order_number = tracker.get_slot("order_number")
        if order_number == NO_ORDER_NUMBER:
            if not is_verified(tracker):
                return _reset() + unverified_reply(dispatcher, tracker)
            return _reset() + await self._open_orders(dispatcher, tracker)
        try:
            order = await backends().orders.get_order(order_number)
        except ConnectorError as error:
            return _reset() + backend_failure(dispatcher, error)
        if may_see(order, tracker):
            utter_order(dispatcher, order, language_of(tracker))
            return _reset()
        if is_verified(tracker):
            dispatcher.utter_message(response="utter_order_not_yours", order_number=order_number)
            return _reset()
        if tracker.get_slot("verification_locked"):
            return _reset() + locked_out(dispatcher)
        dispatcher.utter_message(response="utter_order_needs_postcode", order_number=order_number)
        return _reset()

    async def _open_orders(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        customer_id = tracker.get_slot("customer_id")
        try:
            orders = await backends().orders.list_orders(customer_id, open_only=True)
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        if not orders:
            dispatcher.utter_message(response="utter_no_open_orders")
            return []
        language = language_of(tracker)
        count = format_count(len(orders), language=language)
        if plural_category(len(orders), language=language) == "one":
            dispatcher.utter_message(response="utter_open_orders_one", count=count)
        else:
            dispatcher.utter_message(response="utter_open_orders_other", count=count)
        for order in orders:
            utter_order(dispatcher, order, language)
        return []
