"""Orders: order status, delivery tracking and open orders of a customer."""

from datetime import date, datetime
from typing import Literal

import requests

from connectors.formats import normalise_order_number
from connectors.http import JsonHttpClient
from connectors.models import ContractModel

OrderStatus = Literal["processing", "shipped", "delivered", "lost", "cancelled"]
OPEN_STATUSES: frozenset[str] = frozenset({"processing", "shipped"})


class OrderItem(ContractModel):
    """A product in an order."""

    name: str
    quantity: int


class OrderEvent(ContractModel):
    """One step in the life of an order."""

    timestamp: datetime
    status: OrderStatus
    description: str
    location: str | None = None


class Order(ContractModel):
    """An order with its tracking events, oldest first.

    `delivery_postcode` is where it goes (None for an order collected in store): with the order
    number, it is what lets someone who is not verified see the order.
    """

    order_number: str
    customer_id: str
    status: OrderStatus
    created_at: datetime
    items: list[OrderItem]
    carrier: str | None = None
    tracking_number: str | None = None
    eta: date | None = None
    events: list[OrderEvent]
    delivery_postcode: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether the order is still on its way (processing or shipped)."""
        return self.status in OPEN_STATUSES


class OrdersClient:
    """Client of the order system."""

    def __init__(
        self, base_url: str, *, timeout: float, session: requests.Session | None = None
    ) -> None:
        self._http = JsonHttpClient("orders", base_url, timeout=timeout, session=session)

    def get_order(self, order_number: str) -> Order:
        """Fetch an order (`"ord 100001"` is read as `ORD-100001`); raises `NotFound`."""
        number = normalise_order_number(order_number) or order_number
        return self._http.get("orders", number, response=Order)

    def list_orders(self, customer_id: str, open_only: bool = True) -> list[Order]:
        """List a customer's orders, newest first (only processing or shipped by default)."""
        params = {"customer_id": customer_id, "open_only": open_only}
        return self._http.get("orders", params=params, response=list[Order])
