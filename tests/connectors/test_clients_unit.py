"""Each client against requests-mock: what it sends, what it parses, how it fails."""

from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests
import requests_mock as rm

from connectors import Backends
from connectors.crm import TicketRequest, TranscriptEntry
from connectors.errors import (
    ConnectorError,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidResponse,
    NotFound,
)
from tests.connectors import payloads

CRM, BILLING, ORDERS = "http://crm.test", "http://billing.test", "http://orders.test"
NETWORK, IDENTITY = "http://network.test", "http://identity.test"
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
Call = Callable[[Backends], Any]
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
    ("connect-timeout", {"exc": requests.exceptions.ConnectTimeout}, ConnectorTimeout),
    ("read-timeout", {"exc": requests.exceptions.ReadTimeout}, ConnectorTimeout),
    ("connection-error", {"exc": requests.exceptions.ConnectionError}, ConnectorUnavailable),
    ("not-json", {"status_code": 200, "text": "<html>gateway</html>"}, InvalidResponse),
    ("wrong-shape", {"status_code": 200, "json": {"unexpected": True}}, InvalidResponse),
]


@pytest.mark.parametrize(("call", "method", "url", "answer"), [c[1:] for c in CALLS],
                         ids=[c[0] for c in CALLS])  # fmt: skip
def test_call_hits_the_contract_url_with_the_timeout(
    backends: Backends, requests_mock: rm.Mocker, call: Call, method: str, url: str, answer: Any
) -> None:
    requests_mock.register_uri(method, url, json=answer, complete_qs=True)

    call(backends)

    assert requests_mock.call_count == 1
    assert requests_mock.last_request.url == url  # query values went as params, in order
    assert requests_mock.last_request.timeout == 2.5


@pytest.mark.parametrize(
    ("failure", "error"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
@pytest.mark.parametrize(("name", "call", "method", "url"), [c[:4] for c in CALLS],
                         ids=[c[0] for c in CALLS])  # fmt: skip
def test_call_maps_failures_to_the_error_tree(
    backends: Backends,
    requests_mock: rm.Mocker,
    name: str,
    call: Call,
    method: str,
    url: str,
    failure: dict[str, Any],
    error: type[ConnectorError],
) -> None:
    requests_mock.register_uri(method, url, **failure)

    with pytest.raises(error) as raised:
        call(backends)

    assert raised.value.system == name.split(".")[0]


def test_crm_parses_customer_and_verification(backends: Backends, requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{CRM}/customers/CUS-00001", json=payloads.CUSTOMER)
    requests_mock.post(f"{CRM}/identity/verify", json=payloads.NOT_VERIFIED)

    customer = backends.crm.get_customer("CUS-00001")
    result = backends.crm.verify_dob("30000001", date(1990, 1, 1))

    assert customer.full_name == "Jane Doe"
    assert customer.date_of_birth == date(1985, 3, 14)
    assert customer.service_address.postcode == "BS7 8AE"
    assert customer.accounts == ["30000001"]
    assert not result.verified and result.customer_id is None
    assert requests_mock.last_request.json() == {
        "account_number": "30000001",
        "date_of_birth": "1990-01-01",
    }


def test_crm_find_by_account_returns_none_for_no_match(
    backends: Backends, requests_mock: rm.Mocker
) -> None:
    requests_mock.get(f"{CRM}/customers", json=[])

    assert backends.crm.find_by_account("39999999") is None


def test_crm_otp_round_trip_bodies(backends: Backends, requests_mock: rm.Mocker) -> None:
    requests_mock.post(f"{CRM}/identity/otp", json=payloads.OTP)
    requests_mock.post(f"{CRM}/identity/otp/OTP-000001/check", json=payloads.VERIFIED)

    challenge = backends.crm.send_otp("30000001", "email")
    sent = requests_mock.last_request.json()
    result = backends.crm.check_otp(challenge.otp_id, "482913")

    assert sent == {"account_number": "30000001", "channel": "email"}
    assert challenge.sent_to == "+44 7*** ***123" and challenge.expires_in_seconds == 300
    assert requests_mock.last_request.json() == {"code": "482913"}
    assert result.verified and result.customer_id == "CUS-00001"


def test_crm_ticket_is_sent_with_z_timestamps(backends: Backends, requests_mock: rm.Mocker) -> None:
    requests_mock.post(f"{CRM}/tickets", json=payloads.TICKET)

    ticket = backends.crm.create_ticket(TICKET_REQUEST)

    body = requests_mock.last_request.json()
    assert body["transcript"][0]["timestamp"] == "2026-11-21T09:29:00Z"
    assert body["priority"] == "normal"
    assert ticket.ticket_id == "TCK-400001" and ticket.status == "open"
    assert ticket.created_at == datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)


def test_billing_parses_money_exactly(backends: Backends, requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{BILLING}/accounts/30000001/balance", json=payloads.BALANCE)
    requests_mock.get(f"{BILLING}/accounts/30000001/invoices", json=[payloads.INVOICE])

    balance = backends.billing.get_balance("30000001")
    [invoice] = backends.billing.list_invoices("30000001")

    assert balance.amount_due == Decimal("69.50") and balance.status == "due"
    assert balance.last_payment is not None and balance.last_payment.method == "card"
    assert invoice.total == sum(line.amount for line in invoice.lines)
    assert invoice.due_date == date(2026, 11, 25)


def test_orders_normalises_the_number_and_reads_events(
    backends: Backends, requests_mock: rm.Mocker
) -> None:
    requests_mock.get(f"{ORDERS}/orders/ORD-100001", json=payloads.ORDER)

    order = backends.orders.get_order("ord 100001")

    assert order.is_open and order.carrier == "DPD" and order.eta == date(2026, 11, 23)
    assert [event.status for event in order.events] == ["processing", "shipped"]
    assert order.events[0].location is None


def test_orders_list_can_include_closed_orders(
    backends: Backends, requests_mock: rm.Mocker
) -> None:
    requests_mock.get(f"{ORDERS}/orders", json=[])

    assert backends.orders.list_orders("CUS-00001", open_only=False) == []
    assert requests_mock.last_request.url.endswith("?customer_id=CUS-00001&open_only=false")


def test_network_refuses_a_non_uk_postcode_without_calling(
    backends: Backends, requests_mock: rm.Mocker
) -> None:
    with pytest.raises(ValueError):
        backends.network.incidents_for("75001 Paris")
    assert requests_mock.call_count == 0


def test_network_and_identity_parse(backends: Backends, requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{NETWORK}/incidents", json=[payloads.INCIDENT])
    requests_mock.post(f"{IDENTITY}/password-resets", json=payloads.PASSWORD_RESET)

    [incident] = backends.network.incidents_for("M14 6NQ")
    reset = backends.identity.send_password_reset("CUS-00001", "email")

    assert incident.services == ["broadband", "landline"] and incident.status == "fixing"
    assert incident.eta == datetime(2026, 11, 22, 18, tzinfo=timezone.utc)
    assert reset.sent_to == "j***@example.com" and reset.expires_in_minutes == 30
    assert requests_mock.last_request.json() == {"customer_id": "CUS-00001", "channel": "email"}
