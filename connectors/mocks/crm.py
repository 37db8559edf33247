"""Mock CRM: customers, identity checks (date of birth or one-time code) and tickets."""

import hmac
import itertools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from fastapi import FastAPI, HTTPException

from connectors.crm import (
    Customer,
    DobCheck,
    OtpChallenge,
    OtpCheck,
    OtpRequest,
    Ticket,
    TicketRequest,
    VerificationResult,
)
from connectors.formats import mask_email, mask_phone
from connectors.mocks.faults import add_mock_routes
from connectors.mocks.seed import Dataset

logger = logging.getLogger("connectors.mocks.crm")

OTP_TTL_SECONDS = 300
OTP_ATTEMPTS = 3


@dataclass
class _Otp:
    customer_id: str
    code: str
    expires_at: float
    attempts_left: int = OTP_ATTEMPTS


def create_app(dataset: Dataset, *, clock: Callable[[], float] = time.monotonic) -> FastAPI:
    """Build the CRM mock; `clock` (seconds) lets tests expire one-time codes."""
    app = FastAPI(title="Nimbus CRM (mock)")
    add_mock_routes(app, "crm")
    otps: dict[str, _Otp] = {}
    tickets: dict[str, Ticket] = {}
    otp_numbers = itertools.count(1)
    ticket_numbers = itertools.count(400001)

    def live_otp(otp_id: str) -> _Otp:
        otp = otps.get(otp_id)
        if otp is None or clock() >= otp.expires_at:
            otps.pop(otp_id, None)
            raise HTTPException(404, "unknown or expired one-time code")
        return otp

    @app.get("/customers/{customer_id}", response_model=Customer)
    async def get_customer(customer_id: str) -> Customer:
        customer = dataset.customers.get(customer_id)
        if customer is None:
            raise HTTPException(404, "unknown customer")
        return customer

    @app.get("/customers", response_model=list[Customer])
    async def find_customers(account_number: str) -> list[Customer]:
        customer = dataset.customer_for_account(account_number)
        return [customer] if customer else []

    @app.post("/identity/verify", response_model=VerificationResult)
    async def verify_dob(check: DobCheck) -> VerificationResult:
        customer = dataset.customer_for_account(check.account_number)
        # Same answer for an unknown account and a wrong date, so accounts cannot be probed.
        if customer is None or customer.date_of_birth != check.date_of_birth:
            return VerificationResult(verified=False)
        return VerificationResult(verified=True, customer_id=customer.customer_id)

    @app.post("/identity/otp", response_model=OtpChallenge)
    async def send_otp(request: OtpRequest) -> OtpChallenge:
        customer = dataset.customer_for_account(request.account_number)
        if customer is None:
            raise HTTPException(404, "unknown account")
        number = next(otp_numbers)
        otp_id = f"OTP-{number:06d}"
        # Seeded per request so a test run is repeatable, yet each code differs.
        code = f"{random.Random(f'{dataset.seed}:{number}').randrange(10**6):06d}"
        otps[otp_id] = _Otp(customer.customer_id, code, clock() + OTP_TTL_SECONDS)
        if request.channel == "sms":
            sent_to = mask_phone(customer.phone)
        else:
            sent_to = mask_email(customer.email)
        logger.info("[%s to %s] your code is %s", request.channel, sent_to, code)
        return OtpChallenge(otp_id=otp_id, sent_to=sent_to, expires_in_seconds=OTP_TTL_SECONDS)

    @app.post("/identity/otp/{otp_id}/check", response_model=VerificationResult)
    async def check_otp(otp_id: str, check: OtpCheck) -> VerificationResult:
        otp = live_otp(otp_id)
        if hmac.compare_digest(otp.code.encode(), check.code.strip().encode()):
            del otps[otp_id]  # a code works once
            return VerificationResult(verified=True, customer_id=otp.customer_id)
        otp.attempts_left -= 1
        if otp.attempts_left == 0:
            del otps[otp_id]
        return VerificationResult(verified=False)

    @app.get("/_mock/otp/{otp_id}")
    async def peek_otp(otp_id: str) -> dict[str, str]:
        return {"otp_id": otp_id, "code": live_otp(otp_id).code}

    @app.post("/tickets", response_model=Ticket)
    async def create_ticket(request: TicketRequest) -> Ticket:
        ticket = Ticket(
            **request.dict(),
            ticket_id=f"TCK-{next(ticket_numbers)}",
            status="open",
            created_at=datetime.now(timezone.utc).replace(microsecond=0),
        )
        tickets[ticket.ticket_id] = ticket
        logger.info("ticket %s opened: %s", ticket.ticket_id, ticket.subject)
        return ticket

    @app.get("/tickets/{ticket_id}", response_model=Ticket)
    async def get_ticket(ticket_id: str) -> Ticket:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            raise HTTPException(404, "unknown ticket")
        return ticket

    @app.get("/tickets", response_model=list[Ticket])
    async def list_tickets(customer_id: str) -> list[Ticket]:
        return [ticket for ticket in tickets.values() if ticket.customer_id == customer_id]

    @app.delete("/tickets/{ticket_id}", response_model=Ticket)
    async def delete_ticket(ticket_id: str) -> Ticket:
        """Erase a ticket (a customer's right to erasure); answers with what it held."""
        ticket = tickets.pop(ticket_id, None)
        if ticket is None:
            raise HTTPException(404, "unknown ticket")
        logger.info("ticket %s deleted", ticket_id)
        return ticket

    return app
