"""Deterministic data of every mock system: the demo cases, then generated customers."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from connectors.crm import Address, Customer
from connectors.formats import format_postcode
from connectors.mocks import catalogue
from connectors.mocks.demo import DEMO_CASES, incidents
from connectors.mocks.seed_billing import BillingAccount, Scenario, build_account
from connectors.mocks.seed_orders import build_order
from connectors.network import Incident
from connectors.orders import Order, OrderStatus

CUSTOMER_COUNT = 60
ORDER_COUNT = 130
_STATUS_WEIGHTS: dict[OrderStatus, int] = {
    "delivered": 50,
    "shipped": 18,
    "processing": 15,
    "cancelled": 12,
    "lost": 5,
}
_SCENARIO_WEIGHTS: dict[Scenario, int] = {"paid": 55, "due": 27, "overdue": 18}
_ACCOUNTS_HELD = (1, 1, 1, 1, 2, 2, 3)


@dataclass(frozen=True)
class Dataset:
    """Everything the mock systems serve, built for one day."""

    today: date
    seed: int
    customers: dict[str, Customer]
    accounts: dict[str, BillingAccount]
    orders: dict[str, Order]
    incidents: tuple[Incident, ...]

    def customer_for_account(self, account_number: str) -> Customer | None:
        """Find the holder of an account."""
        account = self.accounts.get(account_number)
        return self.customers[account.customer_id] if account else None


def _email(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    first, last = (
        "".join(c for c in n.lower() if c.isascii() and c.isalnum()) for n in (first, last)
    )
    patterns = (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{rng.randint(1, 99)}")
    local = rng.choice(patterns)
    while f"{local}@example.com" in taken:
        local += str(rng.randint(0, 9))
    taken.add(f"{local}@example.com")
    return f"{local}@example.com"


def _customer(rng: random.Random, number: int, accounts: list[str], emails: set[str]) -> Customer:
    first, last = rng.choice(catalogue.FIRST_NAMES), rng.choice(catalogue.LAST_NAMES)
    city, districts = rng.choice(catalogue.PLACES)
    inward = f"{rng.randint(0, 9)}{''.join(rng.choices(catalogue.INWARD_LETTERS, k=2))}"
    street = f"{rng.randint(1, 180)} {rng.choice(catalogue.STREETS)}"
    return Customer(
        customer_id=f"CUS-{number:05d}",
        first_name=first,
        last_name=last,
        email=_email(rng, first, last, emails),
        # 07700 900xxx is the range Ofcom keeps for fiction.
        phone=f"+447700900{number + 700:03d}",
        date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randint(0, 65 * 365)),
        service_address=Address(
            line1=street, city=city, postcode=format_postcode(rng.choice(districts) + inward)
        ),
        accounts=accounts,
        segment="business" if rng.random() < 0.15 else "consumer",
        vulnerable=rng.random() < 0.1,
        language="fr" if rng.random() < 0.05 else "en",
    )


def _new_account_numbers(rng: random.Random, taken: dict[str, BillingAccount]) -> list[str]:
    wanted, numbers = rng.choice(_ACCOUNTS_HELD), []
    while len(numbers) < wanted:
        candidate = str(rng.randint(30010000, 39999999))
        if candidate not in taken and candidate not in numbers:
            numbers.append(candidate)
    return numbers


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def build_dataset(today: date, seed: int = 7) -> Dataset:
    """Build every system's data for `today`; the same seed and day give the same data."""
    rng = random.Random(seed)
    customers: dict[str, Customer] = {}
    accounts: dict[str, BillingAccount] = {}
    orders: dict[str, Order] = {}
    for case in DEMO_CASES:
        customer = customers[case.customer_id] = case.customer()
        for demo_account in case.accounts:
            accounts[demo_account.account_number] = build_account(
                rng,
                account_number=demo_account.account_number,
                customer_id=customer.customer_id,
                today=today,
                scenario=demo_account.scenario,
                business=customer.segment == "business",
                days_since_issue=demo_account.days_since_issue,
                plan=demo_account.plan,
            )
        for demo_order in case.orders:
            orders[demo_order.order_number] = build_order(
                rng,
                order_number=demo_order.order_number,
                customer_id=customer.customer_id,
                city=customer.service_address.city,
                status=demo_order.status,
                today=today,
                carrier=demo_order.carrier,
                items=demo_order.items,
            )
    emails = {customer.email for customer in customers.values()}
    for number in range(len(customers) + 1, CUSTOMER_COUNT + 1):
        customer = _customer(rng, number, _new_account_numbers(rng, accounts), emails)
        customers[customer.customer_id] = customer
        for account_number in customer.accounts:
            accounts[account_number] = build_account(
                rng,
                account_number=account_number,
                customer_id=customer.customer_id,
                today=today,
                scenario=_pick(rng, _SCENARIO_WEIGHTS),
                business=customer.segment == "business",
            )
    generated = list(customers.values())[len(DEMO_CASES) :]
    for sequence in range(len(orders) + 1, ORDER_COUNT + 1):
        customer = rng.choice(generated)
        order_number = f"ORD-{100000 + sequence}"
        orders[order_number] = build_order(
            rng,
            order_number=order_number,
            customer_id=customer.customer_id,
            city=customer.service_address.city,
            status=_pick(rng, _STATUS_WEIGHTS),
            today=today,
        )
    return Dataset(today, seed, customers, accounts, orders, incidents(today))
