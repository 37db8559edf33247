"""Hand-written demo customers and incidents (listed in connectors/mocks/README.md)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from connectors.crm import Address, Customer
from connectors.mocks.seed_billing import Scenario
from connectors.models import Language
from connectors.network import Incident
from connectors.orders import OrderStatus


@dataclass(frozen=True)
class DemoOrder:
    """An order of a demo customer; the seed fills in dates and events."""

    order_number: str
    status: OrderStatus
    carrier: str | None
    items: tuple[str, ...]


@dataclass(frozen=True)
class DemoAccount:
    """A billing account of a demo customer and the state its bill is in."""

    account_number: str
    scenario: Scenario
    days_since_issue: int
    plan: str | None = None


@dataclass(frozen=True)
class DemoCase:
    """A demo customer with their accounts and orders."""

    customer_id: str
    name: tuple[str, str]
    date_of_birth: date
    email: str
    phone: str
    address: Address
    accounts: tuple[DemoAccount, ...]
    orders: tuple[DemoOrder, ...] = ()
    segment: Literal["consumer", "business"] = "consumer"
    vulnerable: bool = False
    language: Language = "en"

    def customer(self) -> Customer:
        """The CRM record of this demo customer."""
        return Customer(
            customer_id=self.customer_id,
            first_name=self.name[0],
            last_name=self.name[1],
            email=self.email,
            phone=self.phone,
            date_of_birth=self.date_of_birth,
            service_address=self.address,
            accounts=[account.account_number for account in self.accounts],
            segment=self.segment,
            vulnerable=self.vulnerable,
            language=self.language,
        )


DEMO_CASES = (
    DemoCase(
        customer_id="CUS-00001",
        name=("Jane", "Doe"),
        date_of_birth=date(1985, 3, 14),
        email="jane.doe@example.com",
        phone="+447700900123",
        address=Address(line1="42 Gloucester Road", city="Bristol", postcode="BS7 8AE"),
        accounts=(DemoAccount("30000001", "due", 10, "Nimbus Fibre 150 + TV Essentials"),),
        orders=(
            DemoOrder("ORD-100001", "shipped", "DPD", ("iPhone 15 128GB", "Phone case")),
            DemoOrder("ORD-100002", "processing", None, ("Nimbus Hub 3 router",)),
            DemoOrder("ORD-100003", "delivered", "Royal Mail", ("SIM card",)),
        ),
    ),
    DemoCase(
        customer_id="CUS-00002",
        name=("Mohammed", "Khan"),
        date_of_birth=date(1979, 11, 2),
        email="mohammed.khan@example.co.uk",
        phone="+447700900234",
        address=Address(line1="Unit 4, Canal Wharf", city="Leeds", postcode="LS11 5PS"),
        accounts=(
            DemoAccount("30000002", "paid", 20, "Business Mobile Unlimited (5 lines)"),
            DemoAccount("30000003", "due", 5, "Business Fibre 900"),
        ),
        orders=(DemoOrder("ORD-100004", "delivered", "DHL", ("Samsung Galaxy S24 128GB",)),),
        segment="business",
    ),
    DemoCase(
        customer_id="CUS-00003",
        name=("Margaret", "Evans"),
        date_of_birth=date(1941, 6, 2),
        email="margaret.evans@example.org",
        phone="+447700900345",
        address=Address(line1="3 Chapel Close", city="Cardiff", postcode="CF14 2JD"),
        accounts=(DemoAccount("30000004", "overdue", 23, "Home phone Anytime"),),
        vulnerable=True,
    ),
    DemoCase(
        customer_id="CUS-00004",
        name=("Priya", "Shah"),
        date_of_birth=date(1992, 8, 27),
        email="priya.shah@example.com",
        phone="+447700900456",
        address=Address(line1="18 Ladybarn Lane", city="Manchester", postcode="M14 6NQ"),
        accounts=(DemoAccount("30000005", "paid", 18, "Nimbus Fibre 500 broadband"),),
        orders=(DemoOrder("ORD-100005", "delivered", "Royal Mail", ("Wi-Fi booster",)),),
    ),
    DemoCase(
        customer_id="CUS-00005",
        name=("Liam", "O'Connor"),
        date_of_birth=date(1988, 12, 1),
        email="liam.oconnor@example.com",
        phone="+447700900567",
        address=Address(line1="27 Malone Avenue", city="Belfast", postcode="BT9 6EN"),
        accounts=(DemoAccount("30000006", "paid", 16, "Unlimited 5G SIM-only"),),
        orders=(DemoOrder("ORD-100006", "lost", "Evri", ("Google Pixel 8",)),),
    ),
    DemoCase(
        customer_id="CUS-00006",
        name=("Chloé", "Martin"),
        date_of_birth=date(1990, 5, 19),
        email="chloe.martin@example.com",
        phone="+447700900678",
        address=Address(line1="55 Leith Walk", city="Edinburgh", postcode="EH6 8RE"),
        accounts=(DemoAccount("30000007", "paid", 25, "Nimbus Fibre 500 broadband"),),
        orders=(
            DemoOrder("ORD-100007", "cancelled", None, ("Nimbus TV box",)),
            DemoOrder("ORD-100008", "delivered", "DPD", ("USB-C fast charger",)),
        ),
        language="fr",
    ),
)


def incidents(today: date) -> tuple[Incident, ...]:
    """The active network incidents, timed relative to `today`."""

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(today + timedelta(days=days), time(hour, minute), timezone.utc)

    return (
        Incident(
            incident_id="INC-00001",
            title="Broadband and phone outage: damaged street cabinet on Ladybarn Lane",
            title_translations={
                "fr": "Panne d'internet et de téléphone : armoire de rue endommagée "
                "sur Ladybarn Lane"
            },
            services=["broadband", "landline"],
            status="fixing",
            started_at=at(-1, 16, 40),
            eta=at(1, 18),
            postcodes=["M146NQ", "M146NR", "M146NS", "M146PA", "M146PB"],
        ),
        Incident(
            incident_id="INC-00002",
            title="Reduced 4G and 5G coverage: mast upgrade in Headingley",
            title_translations={
                "fr": "Couverture 4G et 5G réduite : modernisation d'une antenne-relais "
                "à Headingley"
            },
            services=["mobile"],
            status="monitoring",
            started_at=at(-3, 9),
            eta=at(2, 17),
            postcodes=["LS6"],
        ),
        Incident(
            incident_id="INC-00003",
            title="Slow broadband and TV buffering in the evenings: Hillhead exchange congestion",
            title_translations={
                "fr": "Internet lent et TV qui saccade le soir : central de Hillhead saturé"
            },
            services=["broadband", "tv"],
            status="investigating",
            started_at=at(-1, 19, 30),
            postcodes=["G12"],
        ),
        Incident(
            incident_id="INC-00004",
            title="Landline and broadband faults after flooding in Brixton",
            title_translations={
                "fr": "Téléphone fixe et internet en dérangement après des inondations à Brixton"
            },
            services=["landline", "broadband"],
            status="investigating",
            started_at=at(0, 5, 50),
            postcodes=["SW2", "SW9"],
        ),
    )
