"""Mock billing system: balances, invoices and payments of the seeded accounts."""

from datetime import date
from decimal import Decimal

from fastapi import FastAPI, HTTPException, Query

from connectors.billing import Balance, Invoice, Payment
from connectors.mocks.faults import add_mock_routes
from connectors.mocks.seed import Dataset
from connectors.mocks.seed_billing import BillingAccount


def balance_of(account: BillingAccount, today: date) -> Balance:
    """Work out what an account owes from its unpaid invoices."""
    unpaid = [invoice for invoice in account.invoices if invoice.status == "unpaid"]
    due_date = min((invoice.due_date for invoice in unpaid), default=None)
    status = "paid" if due_date is None else "overdue" if due_date < today else "due"
    return Balance(
        account_number=account.account_number,
        currency="GBP",
        amount_due=sum((invoice.total for invoice in unpaid), Decimal(0)),
        due_date=due_date,
        status=status,
        last_payment=account.payments[0] if account.payments else None,
    )


def create_app(dataset: Dataset) -> FastAPI:
    """Build the billing mock."""
    app = FastAPI(title="Nimbus billing (mock)")
    add_mock_routes(app, "billing")

    def account_of(account_number: str) -> BillingAccount:
        account = dataset.accounts.get(account_number)
        if account is None:
            raise HTTPException(404, "unknown account")
        return account

    @app.get("/accounts/{account_number}/balance", response_model=Balance)
    async def get_balance(account_number: str) -> Balance:
        return balance_of(account_of(account_number), dataset.today)

    @app.get("/accounts/{account_number}/invoices", response_model=list[Invoice])
    async def list_invoices(
        account_number: str, limit: int = Query(3, ge=1, le=24)
    ) -> list[Invoice]:
        return list(account_of(account_number).invoices[:limit])

    @app.get("/accounts/{account_number}/payments", response_model=list[Payment])
    async def list_payments(
        account_number: str, limit: int = Query(5, ge=1, le=50)
    ) -> list[Payment]:
        return list(account_of(account_number).payments[:limit])

    return app
