"""Answers written as docs/backends.md shows them, independent of the connectors' models."""

CUSTOMER = {
    "customer_id": "CUS-00001",
    "first_name": "Jane",
    "last_name": "Doe",
    "email": "jane.doe@example.com",
    "phone": "+447700900123",
    "date_of_birth": "1985-03-14",
    "service_address": {"line1": "42 Gloucester Road", "city": "Bristol", "postcode": "BS7 8AE"},
    "accounts": ["30000001"],
    "segment": "consumer",
    "vulnerable": False,
    "language": "en",
}
VERIFIED = {"verified": True, "customer_id": "CUS-00001"}
NOT_VERIFIED = {"verified": False, "customer_id": None}
OTP = {"otp_id": "OTP-000001", "sent_to": "+44 7*** ***123", "expires_in_seconds": 300}
TICKET = {
    "ticket_id": "TCK-400001",
    "status": "open",
    "created_at": "2026-11-21T09:30:00Z",
    "customer_id": "CUS-00001",
    "subject": "Bill higher than expected",
    "description": "Customer asks about roaming charges.",
    "reason": "billing_dispute",
    "priority": "normal",
    "transcript": [
        {"sender": "user", "text": "Why is my bill so high?", "timestamp": "2026-11-21T09:29:00Z"}
    ],
}
PAYMENT = {"amount": 66.2, "date": "2026-10-13", "method": "card"}
BALANCE = {
    "account_number": "30000001",
    "currency": "GBP",
    "amount_due": 69.5,
    "due_date": "2026-11-25",
    "status": "due",
    "last_payment": PAYMENT,
}
INVOICE = {
    "invoice_id": "INV-2611-30000001",
    "period_start": "2026-10-11",
    "period_end": "2026-11-10",
    "issued_on": "2026-11-11",
    "due_date": "2026-11-25",
    "total": 69.5,
    "status": "unpaid",
    "lines": [
        {"description": "Monthly plan: Nimbus Fibre 150 + TV Essentials", "amount": 52.5},
        {"description": "Calls outside your allowance: 40 min", "amount": 22.0},
        {"description": "Loyalty discount", "amount": -5.0},
    ],
}
ORDER = {
    "order_number": "ORD-100001",
    "customer_id": "CUS-00001",
    "status": "shipped",
    "created_at": "2026-11-17T12:26:00Z",
    "items": [{"name": "iPhone 15 128GB", "quantity": 1}],
    "carrier": "DPD",
    "tracking_number": "15505561510756",
    "eta": "2026-11-23",
    "events": [
        {
            "timestamp": "2026-11-17T12:26:00Z",
            "status": "processing",
            "description": "Order received",
            "location": None,
        },
        {
            "timestamp": "2026-11-18T11:26:00Z",
            "status": "shipped",
            "description": "Handed to DPD",
            "location": "Nimbus warehouse, Milton Keynes",
        },
    ],
}
INCIDENT = {
    "incident_id": "INC-00001",
    "title": "Broadband and phone outage: damaged street cabinet on Ladybarn Lane",
    "services": ["broadband", "landline"],
    "status": "fixing",
    "started_at": "2026-11-20T16:40:00Z",
    "eta": "2026-11-22T18:00:00Z",
    "postcodes": ["M146NQ", "M146NR"],
}
PASSWORD_RESET = {"reset_id": "PWR-000001", "sent_to": "j***@example.com", "expires_in_minutes": 30}
