"""Each client over real HTTP against the mock systems, including their fault modes."""

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors import Backends, build_backends
from connectors.crm import TicketRequest, TranscriptEntry
from connectors.errors import ConnectorTimeout, ConnectorUnavailable, InvalidResponse, NotFound
from connectors.http import JsonHttpClient
from connectors.mocks.seed import Dataset
from connectors.mocks.server import RunningMocks
from connectors.settings import ConnectorSettings

# One representative call per system, for the fault modes.
PROBES: dict[str, Callable[[Backends], Awaitable[Any]]] = {
    "crm": lambda b: b.crm.get_customer("CUS-00001"),
    "billing": lambda b: b.billing.get_balance("30000001"),
    "orders": lambda b: b.orders.get_order("ORD-100001"),
    "network": lambda b: b.network.incidents_for("M14 6NQ"),
    "identity": lambda b: b.identity.send_password_reset("CUS-00001", "email"),
}


@pytest.fixture
async def clients(live_mocks: RunningMocks) -> AsyncIterator[Callable[..., Backends]]:
    """Clients of the mocks, on this test's event loop (their pools belong to it), closed after."""
    built: list[Backends] = []

    def connect(timeout: float | None = None) -> Backends:
        built.append(live_mocks.backends(timeout))
        return built[-1]

    yield connect
    for backends in built:
        await backends.aclose()


@pytest.fixture
def live(clients: Callable[..., Backends]) -> Backends:
    return clients()


async def test_crm_customer_lookups(live: Backends) -> None:
    jane = await live.crm.get_customer("CUS-00001")
    khan = await live.crm.find_by_account("30000003")

    assert jane.full_name == "Jane Doe" and jane.date_of_birth == date(1985, 3, 14)
    assert khan is not None and khan.accounts == ["30000002", "30000003"]
    assert await live.crm.find_by_account("39999999") is None
    with pytest.raises(NotFound):
        await live.crm.get_customer("CUS-99999")


async def test_crm_date_of_birth_check(live: Backends) -> None:
    assert (await live.crm.verify_dob("30000001", date(1985, 3, 14))).customer_id == "CUS-00001"
    assert not (await live.crm.verify_dob("30000001", date(1985, 3, 15))).verified
    assert (await live.crm.verify_dob("39999999", date(1985, 3, 14))).customer_id is None


async def test_crm_one_time_code_flow(live: Backends, live_mocks: RunningMocks) -> None:
    challenge = await live.crm.send_otp("30000001", "sms")
    peek = requests.get(f"{live_mocks.url('crm')}/_mock/otp/{challenge.otp_id}", timeout=5)
    code = peek.json()["code"]
    wrong = "000000" if code != "000000" else "111111"

    assert challenge.sent_to == "+44 7*** ***123"
    assert len(code) == 6 and code.isdigit()
    assert not (await live.crm.check_otp(challenge.otp_id, wrong)).verified
    assert (await live.crm.check_otp(challenge.otp_id, code)).customer_id == "CUS-00001"
    with pytest.raises(NotFound):  # a code works once
        await live.crm.check_otp(challenge.otp_id, code)
    with pytest.raises(NotFound):
        await live.crm.send_otp("39999999", "email")


async def test_crm_ticket_round_trip(live: Backends) -> None:
    said = datetime(2026, 11, 21, 9, 29, 5, tzinfo=timezone.utc)
    request = TicketRequest(
        customer_id="CUS-00003",
        subject="Overdue bill: customer asks for a payment plan",
        description="Vulnerable customer; handle with care.",
        reason="payment_plan",
        priority="high",
        transcript=[TranscriptEntry(sender="user", text="I can't pay this month", timestamp=said)],
    )

    ticket = await live.crm.create_ticket(request)

    assert ticket.ticket_id.startswith("TCK-") and ticket.status == "open"
    assert ticket.transcript[0].timestamp == said
    assert await live.crm.get_ticket(ticket.ticket_id) == ticket
    with pytest.raises(NotFound):
        await live.crm.get_ticket("TCK-999999")


async def test_billing_states_of_the_demo_accounts(live: Backends) -> None:
    due = await live.billing.get_balance("30000001")
    overdue = await live.billing.get_balance("30000004")
    paid = await live.billing.get_balance("30000007")

    assert due.status == "due" and due.due_date is not None and due.due_date >= date(2026, 11, 21)
    assert overdue.status == "overdue" and overdue.amount_due > 0
    assert paid.status == "paid" and paid.amount_due == 0 and paid.due_date is None
    assert due.currency == "GBP" and due.last_payment is not None


async def test_billing_invoices_and_payments(live: Backends) -> None:
    invoices = await live.billing.list_invoices("30000001", limit=2)
    payments = await live.billing.list_payments("30000001")

    assert len(invoices) == 2 and invoices[0].issued_on > invoices[1].issued_on
    assert all(
        inv.total == sum((line.amount for line in inv.lines), Decimal(0)) for inv in invoices
    )
    assert payments and payments == sorted(payments, key=lambda p: p.date, reverse=True)
    with pytest.raises(NotFound):
        await live.billing.list_invoices("39999999")
    with pytest.raises(InvalidResponse):  # the mock answers 422 to limit=0
        await live.billing.list_payments("30000001", limit=0)


async def test_orders(live: Backends) -> None:
    shipped = await live.orders.get_order("ord 100001")
    open_orders = await live.orders.list_orders("CUS-00001")
    every_order = await live.orders.list_orders("CUS-00001", open_only=False)

    assert shipped.status == "shipped" and shipped.carrier == "DPD" and shipped.tracking_number
    assert [o.order_number for o in open_orders] == ["ORD-100002", "ORD-100001"]
    assert {o.status for o in every_order} == {"processing", "shipped", "delivered"}
    assert (await live.orders.get_order("ORD-100006")).status == "lost"
    assert await live.orders.list_orders("CUS-99999") == []
    with pytest.raises(NotFound):
        await live.orders.get_order("ORD-999999")


async def test_network_incidents(live: Backends, live_mocks: RunningMocks) -> None:
    assert [i.incident_id for i in await live.network.incidents_for("m14 6nq")] == ["INC-00001"]
    assert [i.incident_id for i in await live.network.incidents_for("LS6 2QF")] == ["INC-00002"]
    assert await live.network.incidents_for("BS7 8AE") == []
    raw = JsonHttpClient("network", live_mocks.url("network"), timeout=5)
    with pytest.raises(InvalidResponse):  # what the contract's 422 looks like to a client
        await raw.get("incidents", params={"postcode": "75001"}, response=list)
    await raw.aclose()


async def test_identity_password_reset(live: Backends) -> None:
    by_email = await live.identity.send_password_reset("CUS-00001", "email")
    by_sms = await live.identity.send_password_reset("CUS-00001", "sms")

    assert by_email.sent_to == "j***@example.com" and by_email.expires_in_minutes == 30
    assert by_sms.sent_to == "+44 7*** ***123" and by_sms.reset_id != by_email.reset_id
    with pytest.raises(NotFound):
        await live.identity.send_password_reset("CUS-99999", "email")


@pytest.mark.parametrize("system", PROBES)
async def test_error_fault_is_unavailable(
    live: Backends, live_mocks: RunningMocks, system: str
) -> None:
    with live_mocks.fault(system, "error"), pytest.raises(ConnectorUnavailable) as raised:
        await PROBES[system](live)
    assert raised.value.system == system
    await PROBES[system](live)  # and back to normal once the fault is off


@pytest.mark.parametrize("system", PROBES)
async def test_down_fault_is_unavailable_but_health_answers(
    live_mocks: RunningMocks, clients: Callable[..., Backends], system: str
) -> None:
    backends = clients()
    with live_mocks.fault(system, "down"):
        with pytest.raises(ConnectorUnavailable):
            await PROBES[system](backends)
        health = requests.get(f"{live_mocks.url(system)}/_mock/health", timeout=5)
        assert health.json() == {"status": "ok"}


@pytest.mark.parametrize("system", PROBES)
async def test_slow_fault_times_out(
    live_mocks: RunningMocks, clients: Callable[..., Backends], system: str
) -> None:
    impatient = clients(timeout=0.1)
    with live_mocks.fault(system, "slow", delay_seconds=0.5), pytest.raises(ConnectorTimeout):
        await PROBES[system](impatient)


async def test_slow_fault_within_the_timeout_still_answers(
    live_mocks: RunningMocks, clients: Callable[..., Backends]
) -> None:
    with live_mocks.fault("crm", "slow", delay_seconds=0.05):
        customer = await clients(timeout=2).crm.get_customer("CUS-00001")
    assert customer.first_name == "Jane"


async def test_fault_mode_can_be_read_back(live_mocks: RunningMocks) -> None:
    url = f"{live_mocks.url('orders')}/_mock/faults"
    with live_mocks.fault("orders", "slow", delay_seconds=0.2):
        assert requests.get(url, timeout=5).json() == {"mode": "slow", "delay_seconds": 0.2}
    assert requests.get(url, timeout=5).json()["mode"] == "ok"


async def test_closed_port_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more, so the connection is refused.
    settings = ConnectorSettings(crm_url=f"http://127.0.0.1:{port}", timeout_seconds=2)
    backends = build_backends(settings)
    with pytest.raises(ConnectorUnavailable) as raised:
        await backends.crm.get_customer("CUS-00001")
    assert raised.value.system == "crm"
    await backends.aclose()


async def test_the_back_ends_say_it_in_french_too(live: Backends, dataset: Dataset) -> None:
    # Over HTTP, what each mock seeded in both languages reaches the client in both.
    order = await live.orders.get_order("ORD-100001")
    [invoice] = await live.billing.list_invoices("30000001", limit=1)
    [incident] = await live.network.incidents_for("SW9 1AB")

    assert order == dataset.orders["ORD-100001"].copy(update={"delivery_postcode": "BS7 8AE"})
    assert [e.description_in("fr") for e in order.events][:2] == [
        "Commande reçue",
        "Commande préparée et emballée",
    ]
    assert order.events[1].location_in("fr") == "Entrepôt Nimbus, Milton Keynes"
    assert invoice.lines[0].description_in("fr") == (
        "Forfait mensuel : Nimbus Fibre 150 + TV Essentiel"
    )
    assert incident.title_in("fr") == (
        "Téléphone fixe et internet en dérangement après des inondations à Brixton"
    )
