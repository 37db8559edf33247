"""Invariants of the seeded data every mock serves."""

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from connectors.formats import ACCOUNT_NUMBER_RE, ORDER_NUMBER_RE, is_uk_postcode, outward_code
from connectors.mocks.billing import balance_of
from connectors.mocks.catalogue import CARRIERS, FRENCH_CITY_NAMES, PLACES
from connectors.mocks.seed import Dataset, build_dataset


def test_sizes(dataset: Dataset) -> None:
    assert len(dataset.customers) >= 50
    assert len(dataset.orders) >= 100
    assert 3 <= len(dataset.incidents) <= 5


def test_variety_of_customers(dataset: Dataset) -> None:
    customers = list(dataset.customers.values())
    balances = Counter(balance_of(a, dataset.today).status for a in dataset.accounts.values())

    assert sum(c.vulnerable for c in customers) >= 2
    assert sum(len(c.accounts) > 1 for c in customers) >= 3
    assert {c.segment for c in customers} == {"consumer", "business"}
    assert {c.language for c in customers} == {"en", "fr"}
    assert balances["due"] >= 3 and balances["overdue"] >= 3 and balances["paid"] >= 3


def test_every_order_status_and_carrier(dataset: Dataset) -> None:
    orders = list(dataset.orders.values())

    assert {o.status for o in orders} == {"processing", "shipped", "delivered", "lost", "cancelled"}
    assert {o.carrier for o in orders if o.carrier} == set(CARRIERS)


def test_identifiers_follow_the_contract(dataset: Dataset) -> None:
    customers = list(dataset.customers.values())
    emails = [c.email for c in customers]
    held = [number for c in customers for number in c.accounts]

    assert all(cid == c.customer_id and len(cid) == 9 for cid, c in dataset.customers.items())
    assert all(ACCOUNT_NUMBER_RE.fullmatch(number) for number in held)
    assert sorted(held) == sorted(dataset.accounts)  # every account held once, by its holder
    assert all(
        dataset.accounts[n].customer_id == c.customer_id for c in customers for n in c.accounts
    )
    assert all(ORDER_NUMBER_RE.fullmatch(number) for number in dataset.orders)
    assert all(o.customer_id in dataset.customers for o in dataset.orders.values())
    assert all(is_uk_postcode(c.service_address.postcode) for c in customers)
    assert len(set(emails)) == len(emails)


def test_invoices_add_up_and_sit_in_the_past(dataset: Dataset) -> None:
    for account in dataset.accounts.values():
        for invoice in account.invoices:
            assert invoice.total == sum((line.amount for line in invoice.lines), Decimal(0))
            assert invoice.total == invoice.total.quantize(Decimal("0.01"))
            assert invoice.period_start < invoice.period_end < invoice.issued_on <= dataset.today
        issued = [invoice.issued_on for invoice in account.invoices]
        assert issued == sorted(issued, reverse=True)
        assert all(payment.date <= dataset.today for payment in account.payments)
        paid = sorted(i.total for i in account.invoices if i.status == "paid")
        assert sorted(p.amount for p in account.payments) == paid


def test_order_histories_are_consistent(dataset: Dataset) -> None:
    for order in dataset.orders.values():
        stamps = [event.timestamp for event in order.events]
        assert stamps == sorted(stamps) and stamps[0] == order.created_at
        assert order.events[-1].status == order.status
        assert (order.eta is not None) == order.is_open
        if order.is_open:
            assert order.eta is not None and order.eta >= dataset.today
        if order.status in ("shipped", "delivered", "lost"):
            assert order.carrier in CARRIERS and order.tracking_number
        else:
            assert order.carrier is None and order.tracking_number is None


def test_demo_cases(dataset: Dataset) -> None:
    jane = dataset.customers["CUS-00001"]
    priya = dataset.customers["CUS-00004"]
    touched = {"M146NQ", outward_code(priya.service_address.postcode)}

    assert (jane.full_name, jane.accounts, jane.email) == (
        "Jane Doe",
        ["30000001"],
        "jane.doe@example.com",
    )
    assert jane.date_of_birth == date(1985, 3, 14)
    # The amounts and delays below are quoted in connectors/mocks/README.md.
    jane_bill = balance_of(dataset.accounts["30000001"], dataset.today)
    margaret_bill = balance_of(dataset.accounts["30000004"], dataset.today)
    assert (jane_bill.status, jane_bill.amount_due) == ("due", Decimal("72.00"))
    assert jane_bill.due_date == date(2026, 11, 25)
    assert (margaret_bill.status, margaret_bill.amount_due) == ("overdue", Decimal("22.00"))
    assert balance_of(dataset.accounts["30000003"], dataset.today).amount_due == Decimal("76.99")
    assert dataset.orders["ORD-100001"].eta == date(2026, 11, 24)
    assert balance_of(dataset.accounts["30000007"], dataset.today).amount_due == 0
    assert dataset.customers["CUS-00003"].vulnerable
    assert len(dataset.customers["CUS-00002"].accounts) == 2
    assert dataset.orders["ORD-100001"].status == "shipped"
    assert dataset.orders["ORD-100002"].status == "processing"
    assert dataset.orders["ORD-100006"].status == "lost"
    assert any(touched & set(incident.postcodes) for incident in dataset.incidents)


# Words of the seeded English texts that a French text has no business holding (names such
# as "Royal Mail" or "Ladybarn Lane" stay as they are).
ENGLISH = {
    "order", "received", "payment", "preparing", "picked", "packed", "handed", "depot", "out",
    "delivery", "delivered", "signed", "left", "safe", "place", "neighbour", "resident",
    "cancelled", "request", "declined", "item", "available", "confirmed", "parcel", "lost",
    "transit", "monthly", "plan", "broadband", "unlimited", "lines", "static", "sports",
    "roaming", "booster", "rental", "insurance", "bundle", "instalment", "of", "in", "at", "days",
    "calls", "outside", "your", "allowance", "loyalty", "discount", "vat", "outage", "damaged",
    "street", "cabinet", "on", "reduced", "coverage", "mast", "upgrade", "slow", "buffering",
    "the", "evenings", "exchange", "congestion", "landline", "faults", "after", "flooding",
    "and", "warehouse", "hub",
}  # fmt: skip


def _french_words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[^\W\d_]+", text)}


def _seeded_texts(dataset: Dataset) -> list[tuple[str, dict[str, str]]]:
    """Every text the mocks show a customer, but places: (English, translations)."""
    events = [event for order in dataset.orders.values() for event in order.events]
    lines = [
        line
        for account in dataset.accounts.values()
        for invoice in account.invoices
        for line in invoice.lines
    ]
    return [
        *((event.description, event.description_translations) for event in events),
        *((line.description, line.description_translations) for line in lines),
        *((incident.title, incident.title_translations) for incident in dataset.incidents),
    ]


def test_every_seeded_text_has_its_own_french(dataset: Dataset) -> None:
    texts = _seeded_texts(dataset)
    french = {translations.get("fr", en) for en, translations in texts}
    untranslated = sorted({en for en, translations in texts if translations.get("fr", en) == en})
    anglicised = sorted(text for text in french if _french_words(text) & ENGLISH)

    assert len(texts) > 1000
    assert not untranslated, f"no French for {untranslated}"
    assert not anglicised, f"English words in {anglicised}"
    assert {"Livré chez un voisin", "En cours de livraison", "Remise fidélité"} <= french


def test_every_seeded_place_reads_in_french(dataset: Dataset) -> None:
    places = {
        (event.location, event.location_translations.get("fr"))
        for order in dataset.orders.values()
        for event in order.events
        if event.location
    }
    cities = {city for city, _ in PLACES} | {
        customer.service_address.city for customer in dataset.customers.values()
    }

    assert all(french for _, french in places), "every place is named in French"
    # A city keeps its name unless French has its own; a depot or a warehouse is described.
    assert all(french == FRENCH_CITY_NAMES.get(en, en) for en, french in places if en in cities)
    assert not [french for en, french in places if en not in cities and (
        french == en or _french_words(french) & ENGLISH
    )]  # fmt: skip
    assert ("London", "Londres") in places and ("Bristol", "Bristol") in places


def test_same_seed_and_day_give_the_same_data(dataset: Dataset) -> None:
    assert build_dataset(dataset.today, seed=dataset.seed) == dataset
    assert build_dataset(dataset.today, seed=dataset.seed + 1) != dataset


@pytest.mark.parametrize("today", [date(2028, 2, 29), date(2027, 1, 31), date(2026, 3, 31)])
def test_awkward_days_still_build(today: date) -> None:
    dataset = build_dataset(today)

    assert all(i.issued_on <= today for a in dataset.accounts.values() for i in a.invoices)
    assert balance_of(dataset.accounts["30000004"], today).status == "overdue"
