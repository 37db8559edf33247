"""Orders: order status, delivery tracking and open orders of a customer."""

from datetime import date, datetime
from typing import Literal

import httpx
from pydantic import Field

from connectors.formats import normalise_order_number
from connectors.http import JsonHttpClient
from connectors.models import ContractModel, text_in, translations_of

OrderStatus = Literal["processing", "shipped", "delivered", "lost", "cancelled"]
OPEN_STATUSES: frozenset[str] = frozenset({"processing", "shipped"})


class OrderItem(ContractModel):
    """A product in an order."""

    name: str
    quantity: int


class OrderEvent(ContractModel):
    """One step in the life of an order.

    `description` and `location` are in English; `description_translations` and
    `location_translations` map a language code ("en" or "fr") to the same text in that
    language, when the back-end has it (a place's name may read the same in every language).
    """

    timestamp: datetime
    status: OrderStatus
    description: str
    location: str | None = None
    description_translations: dict[str, str] = Field(default_factory=dict)
    location_translations: dict[str, str] = Field(default_factory=dict)

    _known_description = translations_of("description_translations")
    _known_location = translations_of("location_translations")

    def description_in(self, language: str) -> str:
        """The description in `language`, or in English when the back-end has no translation."""
        return text_in(self.description, self.description_translations, language)

    def location_in(self, language: str) -> str | None:
        """Where it happened, in `language` when the back-end has it; None if not said."""
        if self.location is None:
            return None
        return text_in(self.location, self.location_translations, language)


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
        self,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = JsonHttpClient("orders", base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the connections to the orders system."""
        await self._http.aclose()

    async def get_order(self, order_number: str) -> Order:
        """Fetch an order (`"ord 100001"` is read as `ORD-100001`); raises `NotFound`."""
        number = normalise_order_number(order_number) or order_number
        return await self._http.get("orders", number, response=Order)

    async def list_orders(self, customer_id: str, open_only: bool = True) -> list[Order]:
        """List a customer's orders, newest first (only processing or shipped by default)."""
        params: dict[str, str | bool] = {"customer_id": customer_id, "open_only": open_only}
        return await self._http.get("orders", params=params, response=list[Order])
