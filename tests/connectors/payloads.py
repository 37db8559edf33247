"""Fixed answers for the connector tests, built on the contract shapes in tests/factories.py."""

from tests import factories as f

CUSTOMER = f.customer(
    phone="+447700900123",
    service_address={"line1": "42 Gloucester Road", "city": "Bristol", "postcode": "BS7 8AE"},
)
VERIFIED = {"verified": True, "customer_id": "CUS-00001"}
NOT_VERIFIED = {"verified": False, "customer_id": None}
OTP = {"otp_id": "OTP-000001", "sent_to": "+44 7*** ***123", "expires_in_seconds": 300}
TICKET = f.ticket(
    ticket_id="TCK-400001",
    created_at="2026-11-21T09:30:00Z",
    customer_id="CUS-00001",
    subject="Bill higher than expected",
    description="Customer asks about roaming charges.",
    reason="billing_dispute",
    transcript=[
        {"sender": "user", "text": "Why is my bill so high?", "timestamp": "2026-11-21T09:29:00Z"}
    ],
)
PAYMENT = {"amount": 66.2, "date": "2026-10-13", "method": "card"}
BALANCE = f.balance(amount_due=69.5, due_date="2026-11-25", last_payment=PAYMENT)
INVOICE = f.invoice(
    invoice_id="INV-2611-30000001",
    period_start="2026-10-11",
    period_end="2026-11-10",
    issued_on="2026-11-11",
    due_date="2026-11-25",
    total=69.5,
    lines=[
        {"description": "Monthly plan: Nimbus Fibre 150 + TV Essentials", "amount": 52.5,
         "description_translations": {"fr": "Forfait mensuel : Nimbus Fibre 150 + TV Essentiel"}},
        {"description": "Calls outside your allowance: 40 min", "amount": 22.0,
         "description_translations": {"fr": "Appels hors forfait : 40 min"}},
        {"description": "Loyalty discount", "amount": -5.0,
         "description_translations": {"fr": "Remise fidélité"}},
    ],
)  # fmt: skip
ORDER = f.order(
    created_at="2026-11-17T12:26:00Z",
    items=[{"name": "iPhone 15 128GB", "quantity": 1}],
    tracking_number="15505561510756",
    eta="2026-11-23",
    events=[
        {"timestamp": "2026-11-17T12:26:00Z", "status": "processing",
         "description": "Order received", "location": None,
         "description_translations": {"fr": "Commande reçue"}, "location_translations": {}},
        {"timestamp": "2026-11-18T11:26:00Z", "status": "shipped",
         "description": "Handed to DPD", "location": "Nimbus warehouse, Milton Keynes",
         "description_translations": {"fr": "Colis remis à DPD"},
         "location_translations": {"fr": "Entrepôt Nimbus, Milton Keynes"}},
    ],
)  # fmt: skip
INCIDENT = f.incident(
    incident_id="INC-00001",
    title="Broadband and phone outage: damaged street cabinet on Ladybarn Lane",
    title_translations={
        "fr": "Panne d'internet et de téléphone : armoire de rue endommagée sur Ladybarn Lane"
    },
    started_at="2026-11-20T16:40:00Z",
    eta="2026-11-22T18:00:00Z",
    postcodes=["M146NQ", "M146NR"],
)
PASSWORD_RESET = {"reset_id": "PWR-000001", "sent_to": "j***@example.com", "expires_in_minutes": 30}
