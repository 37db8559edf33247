"""Each client against a fake transport: what it sends, what it parses, how it fails."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors import Backends
from connectors.crm import TicketRequest, TranscriptEntry
from connectors.errors import (
    ConnectorError,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidResponse,
    NotFound,
)
from connectors.handover import HandoverRequest
from tests.connectors import payloads
from tests.fake_http import FakeHttp

CRM, BILLING, ORDERS = "http://crm.test", "http://billing.test", "http://orders.test"
NETWORK, IDENTITY = "http://network.test", "http://identity.test"
# UNIT_SETTINGS' 2.5 s, for each phase of a request (as requests' `timeout=2.5`).
TIMEOUT = {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
TICKET_REQUEST = TicketRequest(
    customer_id="CUS-00001",
    subject="Bill higher than expected",
    description="Customer asks about roaming charges.",
    reason="billing_dispute",
    transcript=[
        TranscriptEntry(
            sender="user",
            text="Why is my bill so high?",
            timestamp=datetime(2026, 11, 21, 9, 29, tzinfo=timezone.utc),
        )
    ],
)

# (call, HTTP method, URL the call must hit, a valid answer, system named by errors)
Call = Callable[[Backends], Awaitable[Any]]
CALLS: list[tuple[str, Call, str, str, Any]] = [
    ("crm.get_customer", lambda b: b.crm.get_customer("CUS-00001"), "GET",
     f"{CRM}/customers/CUS-00001", payloads.CUSTOMER),
    ("crm.find_by_account", lambda b: b.crm.find_by_account("30000001"), "GET",
     f"{CRM}/customers?account_number=30000001", [payloads.CUSTOMER]),
    ("crm.verify_dob", lambda b: b.crm.verify_dob("30000001", date(1985, 3, 14)), "POST",
     f"{CRM}/identity/verify", payloads.VERIFIED),
    ("crm.send_otp", lambda b: b.crm.send_otp("30000001", "sms"), "POST",
     f"{CRM}/identity/otp", payloads.OTP),
    ("crm.check_otp", lambda b: b.crm.check_otp("OTP-000001", "123456"), "POST",
     f"{CRM}/identity/otp/OTP-000001/check", payloads.VERIFIED),
    ("crm.create_ticket", lambda b: b.crm.create_ticket(TICKET_REQUEST), "POST",
     f"{CRM}/tickets", payloads.TICKET),
    ("crm.get_ticket", lambda b: b.crm.get_ticket("TCK-400001"), "GET",
     f"{CRM}/tickets/TCK-400001", payloads.TICKET),
    ("billing.get_balance", lambda b: b.billing.get_balance("30000001"), "GET",
     f"{BILLING}/accounts/30000001/balance", payloads.BALANCE),
    ("billing.list_invoices", lambda b: b.billing.list_invoices("30000001"), "GET",
     f"{BILLING}/accounts/30000001/invoices?limit=3", [payloads.INVOICE]),
    ("billing.list_payments", lambda b: b.billing.list_payments("30000001", limit=2), "GET",
     f"{BILLING}/accounts/30000001/payments?limit=2", [payloads.PAYMENT]),
    ("orders.get_order", lambda b: b.orders.get_order("ORD-100001"), "GET",
     f"{ORDERS}/orders/ORD-100001", payloads.ORDER),
    ("orders.list_orders", lambda b: b.orders.list_orders("CUS-00001"), "GET",
     f"{ORDERS}/orders?customer_id=CUS-00001&open_only=true", [payloads.ORDER]),
    ("network.incidents_for", lambda b: b.network.incidents_for("m14 6nq"), "GET",
     f"{NETWORK}/incidents?postcode=M146NQ", [payloads.INCIDENT]),
    ("identity.send_password_reset", lambda b: b.identity.send_password_reset("CUS-00001", "email"),
     "POST", f"{IDENTITY}/password-resets", payloads.PASSWORD_RESET),
]  # fmt: skip
FAILURES: list[tuple[str, dict[str, Any], type[ConnectorError]]] = [
    ("404", {"status_code": 404, "json": {"detail": "unknown"}}, NotFound),
    ("500", {"status_code": 500, "text": "Internal Server Error"}, ConnectorUnavailable),
    ("503", {"status_code": 503, "json": {"detail": "down"}}, ConnectorUnavailable),
    ("422", {"status_code": 422, "json": {"detail": "invalid"}}, InvalidResponse),
    ("connect-timeout", {"exc": httpx.ConnectTimeout}, ConnectorTimeout),
    ("read-timeout", {"exc": httpx.ReadTimeout}, ConnectorTimeout),
    ("connection-error", {"exc": httpx.ConnectError}, ConnectorUnavailable),
    ("not-json", {"status_code": 200, "text": "<html>gateway</html>"}, InvalidResponse),
    ("wrong-shape", {"status_code": 200, "json": {"unexpected": True}}, InvalidResponse),
]


@pytest.mark.parametrize(("call", "method", "url", "answer"), [c[1:] for c in CALLS],
                         ids=[c[0] for c in CALLS])  # fmt: skip
async def test_call_hits_the_contract_url_with_the_timeout(
    backends: Backends, http: FakeHttp, call: Call, method: str, url: str, answer: Any
) -> None:
    http.register_uri(method, url, json=answer, complete_qs=True)

    await call(backends)

    assert http.call_count == 1
    assert http.last_request.url == url  # query values went as params, in order
    assert http.last_request.timeout == TIMEOUT


@pytest.mark.parametrize(
    ("failure", "error"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
@pytest.mark.parametrize(("name", "call", "method", "url"), [c[:4] for c in CALLS],
                         ids=[c[0] for c in CALLS])  # fmt: skip
async def test_call_maps_failures_to_the_error_tree(
    backends: Backends,
    http: FakeHttp,
    name: str,
    call: Call,
    method: str,
    url: str,
    failure: dict[str, Any],
    error: type[ConnectorError],
) -> None:
    http.register_uri(method, url, **failure)

    with pytest.raises(error) as raised:
        await call(backends)

    assert raised.value.system == name.split(".")[0]


async def test_crm_parses_customer_and_verification(backends: Backends, http: FakeHttp) -> None:
    http.get(f"{CRM}/customers/CUS-00001", json=payloads.CUSTOMER)
    http.post(f"{CRM}/identity/verify", json=payloads.NOT_VERIFIED)

    customer = await backends.crm.get_customer("CUS-00001")
    result = await backends.crm.verify_dob("30000001", date(1990, 1, 1))

    assert customer.full_name == "Jane Doe"
    assert customer.date_of_birth == date(1985, 3, 14)
    assert customer.service_address.postcode == "BS7 8AE"
    assert customer.accounts == ["30000001"]
    assert not result.verified and result.customer_id is None
    assert http.last_request.json() == {
        "account_number": "30000001",
        "date_of_birth": "1990-01-01",
    }


async def test_crm_find_by_account_returns_none_for_no_match(
    backends: Backends, http: FakeHttp
) -> None:
    http.get(f"{CRM}/customers", json=[])

    assert await backends.crm.find_by_account("39999999") is None


async def test_crm_otp_round_trip_bodies(backends: Backends, http: FakeHttp) -> None:
    http.post(f"{CRM}/identity/otp", json=payloads.OTP)
    http.post(f"{CRM}/identity/otp/OTP-000001/check", json=payloads.VERIFIED)

    challenge = await backends.crm.send_otp("30000001", "email")
    sent = http.last_request.json()
    result = await backends.crm.check_otp(challenge.otp_id, "482913")

    assert sent == {"account_number": "30000001", "channel": "email"}
    assert challenge.sent_to == "+44 7*** ***123" and challenge.expires_in_seconds == 300
    assert http.last_request.json() == {"code": "482913"}
    assert result.verified and result.customer_id == "CUS-00001"


async def test_crm_ticket_is_sent_with_z_timestamps(backends: Backends, http: FakeHttp) -> None:
    http.post(f"{CRM}/tickets", json=payloads.TICKET)

    ticket = await backends.crm.create_ticket(TICKET_REQUEST)

    body = http.last_request.json()
    assert body["transcript"][0]["timestamp"] == "2026-11-21T09:29:00Z"
    assert body["priority"] == "normal"
    assert ticket.ticket_id == "TCK-400001" and ticket.status == "open"
    assert ticket.created_at == datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)


async def test_billing_parses_money_exactly(backends: Backends, http: FakeHttp) -> None:
    http.get(f"{BILLING}/accounts/30000001/balance", json=payloads.BALANCE)
    http.get(f"{BILLING}/accounts/30000001/invoices", json=[payloads.INVOICE])

    balance = await backends.billing.get_balance("30000001")
    [invoice] = await backends.billing.list_invoices("30000001")

    assert balance.amount_due == Decimal("69.50") and balance.status == "due"
    assert balance.last_payment is not None and balance.last_payment.method == "card"
    assert invoice.total == sum(line.amount for line in invoice.lines)
    assert invoice.due_date == date(2026, 11, 25)


async def test_orders_normalises_the_number_and_reads_events(
    backends: Backends, http: FakeHttp
) -> None:
    http.get(f"{ORDERS}/orders/ORD-100001", json=payloads.ORDER)

    order = await backends.orders.get_order("ord 100001")

    assert order.is_open and order.carrier == "DPD" and order.eta == date(2026, 11, 23)
    assert [event.status for event in order.events] == ["processing", "shipped"]
    assert order.events[0].location is None


async def test_orders_list_can_include_closed_orders(backends: Backends, http: FakeHttp) -> None:
    http.get(f"{ORDERS}/orders", json=[])

    assert await backends.orders.list_orders("CUS-00001", open_only=False) == []
    assert http.last_request.url.endswith("?customer_id=CUS-00001&open_only=false")


async def test_network_refuses_a_non_uk_postcode_without_calling(
    backends: Backends, http: FakeHttp
) -> None:
    with pytest.raises(ValueError):
        await backends.network.incidents_for("75001 Paris")
    assert http.call_count == 0


async def test_network_and_identity_parse(backends: Backends, http: FakeHttp) -> None:
    http.get(f"{NETWORK}/incidents", json=[payloads.INCIDENT])
    http.post(f"{IDENTITY}/password-resets", json=payloads.PASSWORD_RESET)

    [incident] = await backends.network.incidents_for("M14 6NQ")
    reset = await backends.identity.send_password_reset("CUS-00001", "email")

    assert incident.services == ["broadband", "landline"] and incident.status == "fixing"
    assert incident.eta == datetime(2026, 11, 22, 18, tzinfo=timezone.utc)
    assert reset.sent_to == "j***@example.com" and reset.expires_in_minutes == 30
    assert http.last_request.json() == {"customer_id": "CUS-00001", "channel": "email"}


async def test_each_system_has_a_pool_of_its_own_and_aclose_closes_them(
    backends: Backends, http: FakeHttp
) -> None:
    http.get(f"{CRM}/customers/CUS-00001", json=payloads.CUSTOMER)
    http.post("http://127.0.0.1:8000/api/handover", json={"status": "queued", "position": 1})
    clients = [
        backends.crm, backends.billing, backends.orders,
        backends.network, backends.identity, backends.handover,
    ]  # fmt: skip
    pools = {id(client._http.client) for client in clients}

    await backends.crm.get_customer("CUS-00001")
    await backends.handover.request_handover(
        HandoverRequest(conversation_id="c1", reason="customer_request")
    )
    await backends.aclose()

    assert len(pools) == 6
    assert all(client._http.client.is_closed for client in clients)
    crm_call, handover_call = http.request_history
    assert "Authorization" not in crm_call.headers, "the gateway's token stays with the gateway"
    assert handover_call.headers["Authorization"] == "Bearer dev-bot-token"
