"""CRM: customers, identity checks and support tickets."""

from datetime import date, datetime
from typing import Literal

import httpx
from pydantic import Field

from connectors.http import JsonHttpClient, SyncJsonHttpClient
from connectors.models import Channel, ContractModel

Sender = Literal["user", "bot", "agent"]
Priority = Literal["low", "normal", "high"]


class Address(ContractModel):
    """Service address of a customer."""

    line1: str
    city: str
    postcode: str


class Customer(ContractModel):
    """A customer as the CRM knows them."""

    customer_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    date_of_birth: date
    service_address: Address
    accounts: list[str]
    segment: Literal["consumer", "business"]
    vulnerable: bool
    language: Literal["en", "fr"]

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


class DobCheck(ContractModel):
    """Body of `POST /identity/verify`."""

    account_number: str
    date_of_birth: date


class OtpRequest(ContractModel):
    """Body of `POST /identity/otp`."""

    account_number: str
    channel: Channel


class OtpCheck(ContractModel):
    """Body of `POST /identity/otp/{otp_id}/check`."""

    code: str


class VerificationResult(ContractModel):
    """Outcome of an identity check; `customer_id` is set only when verified."""

    verified: bool
    customer_id: str | None = None


class OtpChallenge(ContractModel):
    """A one-time code on its way to the customer."""

    otp_id: str
    sent_to: str
    expires_in_seconds: int


class TranscriptEntry(ContractModel):
    """One message of the conversation attached to a ticket."""

    sender: Sender
    text: str
    timestamp: datetime


class TicketRequest(ContractModel):
    """What the bot asks the CRM to open."""

    customer_id: str | None = None
    subject: str
    description: str
    reason: str
    priority: Priority = "normal"
    transcript: list[TranscriptEntry] = Field(default_factory=list)


class Ticket(TicketRequest):
    """A ticket the CRM opened."""

    ticket_id: str
    status: Literal["open", "pending", "closed"]
    created_at: datetime


class CrmClient:
    """Client of the CRM."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = JsonHttpClient("crm", base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the connections to the CRM."""
        await self._http.aclose()

    async def get_customer(self, customer_id: str) -> Customer:
        """Fetch a customer by id; raises `NotFound` if unknown."""
        return await self._http.get("customers", customer_id, response=Customer)

    async def find_by_account(self, account_number: str) -> Customer | None:
        """Find the customer holding an account, or None."""
        found = await self._http.get(
            "customers", params={"account_number": account_number}, response=list[Customer]
        )
        return found[0] if found else None

    async def verify_dob(self, account_number: str, date_of_birth: date) -> VerificationResult:
        """Check a date of birth against an account (unknown accounts are just not verified)."""
        body = DobCheck(account_number=account_number, date_of_birth=date_of_birth)
        return await self._http.post("identity", "verify", body=body, response=VerificationResult)

    async def send_otp(self, account_number: str, channel: Channel) -> OtpChallenge:
        """Send a one-time code to the account holder; raises `NotFound` if unknown."""
        body = OtpRequest(account_number=account_number, channel=channel)
        return await self._http.post("identity", "otp", body=body, response=OtpChallenge)

    async def check_otp(self, otp_id: str, code: str) -> VerificationResult:
        """Check a one-time code; raises `NotFound` if the challenge is unknown or spent."""
        body = OtpCheck(code=code)
        return await self._http.post(
            "identity", "otp", otp_id, "check", body=body, response=VerificationResult
        )

    async def create_ticket(self, request: TicketRequest) -> Ticket:
        """Open a support ticket."""
        return await self._http.post("tickets", body=request, response=Ticket)

    async def get_ticket(self, ticket_id: str) -> Ticket:
        """Fetch a ticket; raises `NotFound` if unknown."""
        return await self._http.get("tickets", ticket_id, response=Ticket)

    async def list_tickets(self, customer_id: str) -> list[Ticket]:
        """The tickets opened for a customer (for their data export or erasure)."""
        return await self._http.get(
            "tickets", params={"customer_id": customer_id}, response=list[Ticket]
        )

    async def delete_ticket(self, ticket_id: str) -> Ticket:
        """Delete a ticket and return what it held; raises `NotFound` if unknown."""
        return await self._http.delete("tickets", ticket_id, response=Ticket)


class SyncCrmClient:
    """The CRM calls of the gateway and of privacy erasure, which make them from worker
    threads (`asyncio.to_thread`) or a command line: the same requests, blocking."""

    def __init__(
        self, base_url: str, *, timeout: float, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._http = SyncJsonHttpClient("crm", base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connections to the CRM."""
        self._http.close()

    def get_customer(self, customer_id: str) -> Customer:
        """Fetch a customer by id; raises `NotFound` if unknown."""
        return self._http.get("customers", customer_id, response=Customer)

    def find_by_account(self, account_number: str) -> Customer | None:
        """Find the customer holding an account, or None."""
        found = self._http.get(
            "customers", params={"account_number": account_number}, response=list[Customer]
        )
        return found[0] if found else None

    def create_ticket(self, request: TicketRequest) -> Ticket:
        """Open a support ticket."""
        return self._http.post("tickets", body=request, response=Ticket)

    def get_ticket(self, ticket_id: str) -> Ticket:
        """Fetch a ticket; raises `NotFound` if unknown."""
        return self._http.get("tickets", ticket_id, response=Ticket)

    def list_tickets(self, customer_id: str) -> list[Ticket]:
        """The tickets opened for a customer (for their data export or erasure)."""
        return self._http.get("tickets", params={"customer_id": customer_id}, response=list[Ticket])

    def delete_ticket(self, ticket_id: str) -> Ticket:
        """Delete a ticket and return what it held; raises `NotFound` if unknown."""
        return self._http.delete("tickets", ticket_id, response=Ticket)
