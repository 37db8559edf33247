"""Mock order system: orders and their delivery tracking."""

from fastapi import FastAPI, HTTPException

from connectors.mocks.faults import add_mock_routes
from connectors.mocks.seed import Dataset
from connectors.orders import Order


def with_delivery_postcodes(dataset: Dataset) -> dict[str, Order]:
    """The seeded orders, each delivered to its customer's service address."""
    orders = {}
    for number, order in dataset.orders.items():
        customer = dataset.customers.get(order.customer_id)
        if order.delivery_postcode is None and customer is not None:
            order = order.copy(update={"delivery_postcode": customer.service_address.postcode})
        orders[number] = order
    return orders


def create_app(dataset: Dataset) -> FastAPI:
    """Build the orders mock."""
    app = FastAPI(title="Nimbus orders (mock)")
    add_mock_routes(app, "orders")
    orders = with_delivery_postcodes(dataset)

    @app.get("/orders/{order_number}", response_model=Order)
    async def get_order(order_number: str) -> Order:
        order = orders.get(order_number.upper())
        if order is None:
            raise HTTPException(404, "unknown order")
        return order

    @app.get("/orders", response_model=list[Order])
    async def list_orders(customer_id: str, open_only: bool = False) -> list[Order]:
        # An unknown customer simply has no orders: this system does not own customers.
        found = [
            order
            for order in orders.values()
            if order.customer_id == customer_id and (order.is_open or not open_only)
        ]
        return sorted(found, key=lambda order: order.created_at, reverse=True)

    return app
