"""JSON bodies of the back-end systems, as docs/backends.md describes them.

The order events, invoice lines and incidents here carry no `*_translations` map: they are what
a back-end with no French sends (its English text is shown); a test about French adds the map.
"""

from __future__ import annotations

from typing import Any

CRM = "http://127.0.0.1:8101"
BILLING = "http://127.0.0.1:8102"
ORDERS = "http://127.0.0.1:8103"
NETWORK = "http://127.0.0.1:8104"
IDENTITY = "http://127.0.0.1:8105"
HANDOVER = "http://127.0.0.1:8000"


def customer(**overrides: Any) -> dict[str, Any]:
    body = {
        "customer_id": "CUS-00001",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane.doe@example.com",
        "phone": "+44 7700 900123",
        "date_of_birth": "1985-03-14",
        "service_address": {"line1": "12 Baker Street", "city": "London", "postcode": "NW1 6XE"},
        "accounts": ["30000001"],
        "segment": "consumer",
        "vulnerable": False,
        "language": "en",
    }
    return {**body, **overrides}


def balance(account_number: str = "30000001", **overrides: Any) -> dict[str, Any]:
    body = {
        "account_number": account_number,
        "currency": "GBP",
        "amount_due": "42.50",
        "due_date": "2026-12-05",
        "status": "due",
        "last_payment": {"amount": "39.99", "date": "2026-11-05", "method": "direct_debit"},
    }
    return {**body, **overrides}


def invoice(**overrides: Any) -> dict[str, Any]:
    body = {
        "invoice_id": "INV-202611-0001",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "issued_on": "2026-11-01",
        "due_date": "2026-12-05",
        "total": "42.50",
        "status": "unpaid",
        "lines": [
            {"description": "Unlimited Plus plan", "amount": "40.00"},
            {"description": "Roaming (3 days)", "amount": "7.50"},
            {"description": "Loyalty discount", "amount": "-5.00"},
        ],
    }
    return {**body, **overrides}


def order(**overrides: Any) -> dict[str, Any]:
    body = {
        "order_number": "ORD-100001",
        "customer_id": "CUS-00001",
        "status": "shipped",
        "created_at": "2026-11-18T10:00:00Z",
        "items": [{"name": "Nimbus Hub 3 router", "quantity": 1}],
        "carrier": "DPD",
        "tracking_number": "15501234567890",
        "eta": "2026-11-24",
        "events": [
            {"timestamp": "2026-11-18T10:00:00Z", "status": "processing",
             "description": "Order received", "location": None},
            {"timestamp": "2026-11-20T08:30:00Z", "status": "shipped",
             "description": "Handed to DPD", "location": "Birmingham hub"},
        ],
    }  # fmt: skip
    return {**body, **overrides}


def incident(**overrides: Any) -> dict[str, Any]:
    body = {
        "incident_id": "INC-00042",
        "title": "Broadband outage in Manchester city centre",
        "services": ["broadband", "landline"],
        "status": "fixing",
        "started_at": "2026-11-21T06:00:00Z",
        "eta": "2026-11-21T18:00:00Z",
        "postcodes": ["M11AE"],
    }
    return {**body, **overrides}


def ticket(**overrides: Any) -> dict[str, Any]:
    body = {
        "ticket_id": "TCK-000123",
        "status": "open",
        "created_at": "2026-11-21T09:00:00Z",
        "customer_id": None,
        "subject": "s",
        "description": "d",
        "reason": "customer_request",
        "priority": "normal",
        "transcript": [],
    }
    return {**body, **overrides}
