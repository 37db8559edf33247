"""Seeded orders with realistic carriers, tracking numbers and delivery events."""

import random
import string
from datetime import date, datetime, time, timedelta, timezone

from connectors.mocks import catalogue
from connectors.mocks.catalogue import Bilingual
from connectors.orders import Order, OrderEvent, OrderItem, OrderStatus

# Days between the order and today, per status, so the events read like a real history.
_AGE_DAYS = {
    "processing": (1, 2),
    "shipped": (3, 6),
    "delivered": (4, 90),
    "lost": (10, 25),
    "cancelled": (3, 60),
}
_RECEIVED = Bilingual("Order received", "Commande reçue")
_CONFIRMED = Bilingual(
    "Payment confirmed: preparing your order", "Paiement confirmé : nous préparons votre commande"
)
_PACKED = Bilingual("Picked and packed", "Commande préparée et emballée")
_OUT_FOR_DELIVERY = Bilingual("Out for delivery", "En cours de livraison")
_DELIVERED_HOW = (
    Bilingual("Delivered and signed for", "Livré contre signature"),
    Bilingual(
        "Delivered: left in your safe place (porch)",
        "Livré : déposé à l'endroit que vous avez indiqué (porche)",
    ),
    Bilingual("Delivered to a neighbour", "Livré chez un voisin"),
    Bilingual("Delivered: handed to resident", "Livré : remis en mains propres"),
)
_CANCELLED_WHY = (
    Bilingual("Order cancelled at your request", "Commande annulée à votre demande"),
    Bilingual(
        "Order cancelled: payment was declined", "Commande annulée : le paiement a été refusé"
    ),
    Bilingual(
        "Order cancelled: the item is no longer available",
        "Commande annulée : l'article n'est plus disponible",
    ),
)


def _handed_to(carrier: str) -> Bilingual:
    return Bilingual(f"Handed to {carrier}", f"Colis remis à {carrier}")


def _at_depot(carrier: str) -> Bilingual:
    return Bilingual(f"At {carrier} depot", f"Arrivé au dépôt {carrier}")


def _lost_by(carrier: str) -> Bilingual:
    return Bilingual(
        f"{carrier} confirmed the parcel was lost in transit",
        f"{carrier} a confirmé la perte du colis pendant son acheminement",
    )


def _event(
    timestamp: datetime,
    status: OrderStatus,
    description: Bilingual,
    location: Bilingual | None = None,
) -> OrderEvent:
    return OrderEvent(
        timestamp=timestamp,
        status=status,
        description=description.en,
        description_translations=description.translations(),
        location=location.en if location else None,
        location_translations=location.translations() if location else {},
    )


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choices(string.digits, k=count))


def _letters(rng: random.Random, count: int) -> str:
    return "".join(rng.choices(string.ascii_uppercase, k=count))


def tracking_number(rng: random.Random, carrier: str) -> str:
    """Make a tracking number in the carrier's own format."""
    if carrier == "Royal Mail":
        return f"{_letters(rng, 2)}{_digits(rng, 9)}GB"
    if carrier == "DPD":
        return f"1550{_digits(rng, 10)}"
    if carrier == "Evri":
        return f"H0{_digits(rng, 1)}{_letters(rng, 3)}{_digits(rng, 10)}"
    return _digits(rng, 10)


def _unshipped(
    rng: random.Random, status: OrderStatus, created: datetime, today: date
) -> tuple[list[OrderEvent], date | None]:
    received = _event(created, "processing", _RECEIVED)
    later = created + timedelta(minutes=rng.randint(20, 240))
    if status == "cancelled":
        why = rng.choice(_CANCELLED_WHY)
        return [received, _event(later, "cancelled", why)], None
    confirmed = _event(later, "processing", _CONFIRMED, catalogue.WAREHOUSE)
    return [received, confirmed], today + timedelta(days=rng.randint(2, 5))


def _shipped(
    rng: random.Random,
    status: OrderStatus,
    created: datetime,
    carrier: str,
    city: str,
    today: date,
) -> tuple[list[OrderEvent], date | None]:
    dispatched = created + timedelta(minutes=rng.randint(16 * 60, 30 * 60))
    at_depot = dispatched + timedelta(minutes=rng.randint(6 * 60, 14 * 60))
    packed = created + timedelta(minutes=rng.randint(90, 360))
    events = [
        _event(created, "processing", _RECEIVED),
        _event(packed, "processing", _PACKED, catalogue.WAREHOUSE),
        _event(dispatched, "shipped", _handed_to(carrier), catalogue.WAREHOUSE),
        _event(at_depot, "shipped", _at_depot(carrier), catalogue.DEPOTS[carrier]),
    ]
    if status == "shipped":
        eta = today + timedelta(days=rng.randint(0, 3))
        if eta == today:
            out = _at(today, 6, rng.randint(30, 59))
            events.append(_event(out, "shipped", _OUT_FOR_DELIVERY, catalogue.city(city)))
        return events, eta
    if status == "delivered":
        how = rng.choice(_DELIVERED_HOW)
        when = at_depot + timedelta(minutes=rng.randint(14 * 60, 40 * 60))
        events.append(_event(when, "delivered", how, catalogue.city(city)))
        return events, None
    when = at_depot + timedelta(days=rng.randint(5, 8), minutes=rng.randint(0, 600))
    events.append(_event(when, "lost", _lost_by(carrier)))
    return events, None


def build_order(
    rng: random.Random,
    *,
    order_number: str,
    customer_id: str,
    city: str,
    status: OrderStatus,
    today: date,
    carrier: str | None = None,
    items: tuple[str, ...] = (),
) -> Order:
    """Build an order whose events, carrier and ETA match its status as of `today`."""
    low, high = _AGE_DAYS[status]
    day = today - timedelta(days=rng.randint(low, high))
    created = _at(day, rng.randint(8, 21), rng.randint(0, 59))
    names = items or rng.sample(catalogue.PRODUCTS, k=rng.choice((1, 1, 2)))
    # Hardware comes one at a time; accessories sometimes two.
    order_items = [
        OrderItem(name=name, quantity=rng.choice((1, 1, 2)) if name in catalogue.ACCESSORIES else 1)
        for name in names
    ]
    tracking = None
    if status in ("processing", "cancelled"):
        carrier = None
        events, eta = _unshipped(rng, status, created, today)
    else:
        carrier = carrier or rng.choice(catalogue.CARRIERS)
        tracking = tracking_number(rng, carrier)
        events, eta = _shipped(rng, status, created, carrier, city, today)
    return Order(
        order_number=order_number,
        customer_id=customer_id,
        status=status,
        created_at=created,
        items=order_items,
        carrier=carrier,
        tracking_number=tracking,
        eta=eta,
        events=events,
    )
