"""Billing (BSS): balances, invoices and payments of an account."""

from datetime import date
from decimal import Decimal
from typing import Literal

import httpx
from pydantic import Field

from connectors.http import JsonHttpClient
from connectors.models import ContractModel, text_in, translations_of

PaymentMethod = Literal["direct_debit", "card", "bank_transfer"]


class Payment(ContractModel):
    """A payment received on an account."""

    amount: Decimal
    date: date
    method: PaymentMethod


class Balance(ContractModel):
    """What an account owes now; `due_date` is None when nothing is due."""

    account_number: str
    currency: str
    amount_due: Decimal
    due_date: date | None
    status: Literal["paid", "due", "overdue"]
    last_payment: Payment | None


class InvoiceLine(ContractModel):
    """One line of an invoice (credits are negative).

    `description` is in English; `description_translations` maps a language code ("en" or
    "fr") to the same text in that language, when the billing system has it.
    """

    description: str
    amount: Decimal
    description_translations: dict[str, str] = Field(default_factory=dict)

    _known_description = translations_of("description_translations")

    def description_in(self, language: str) -> str:
        """The description in `language`, or in English when billing has no translation."""
        return text_in(self.description, self.description_translations, language)


class Invoice(ContractModel):
    """A monthly invoice; `total` is the sum of its lines."""

    invoice_id: str
    period_start: date
    period_end: date
    issued_on: date
    due_date: date
    total: Decimal
    status: Literal["paid", "unpaid"]
    lines: list[InvoiceLine]


class BillingClient:
    """Client of the billing system."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = JsonHttpClient("billing", base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the connections to the billing system."""
        await self._http.aclose()

    async def get_balance(self, account_number: str) -> Balance:
        """Fetch the balance of an account; raises `NotFound` if unknown."""
        return await self._http.get("accounts", account_number, "balance", response=Balance)

    async def list_invoices(self, account_number: str, limit: int = 3) -> list[Invoice]:
        """List the latest invoices of an account, newest first."""
        return await self._http.get(
            "accounts", account_number, "invoices", params={"limit": limit}, response=list[Invoice]
        )

    async def list_payments(self, account_number: str, limit: int = 5) -> list[Payment]:
        """List the latest payments on an account, newest first."""
        return await self._http.get(
            "accounts", account_number, "payments", params={"limit": limit}, response=list[Payment]
        )
