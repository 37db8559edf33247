"""Seeded invoices and payments of one billing account."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from dateutil.relativedelta import relativedelta

from connectors.billing import Invoice, InvoiceLine, Payment, PaymentMethod
from connectors.mocks import catalogue
from connectors.mocks.catalogue import Bilingual

Scenario = Literal["paid", "due", "overdue"]
INVOICES_PER_ACCOUNT = 6
PAYMENT_TERMS = timedelta(days=14)
# Days since the latest invoice was issued, chosen so the scenario holds with 14-day terms.
_DAYS_SINCE_ISSUE = {"paid": (15, 27), "due": (1, 12), "overdue": (16, 27)}


@dataclass(frozen=True)
class BillingAccount:
    """Invoices and payments of one account, newest first."""

    account_number: str
    customer_id: str
    invoices: tuple[Invoice, ...]
    payments: tuple[Payment, ...]


@dataclass(frozen=True)
class _Subscription:
    plan: tuple[Bilingual, Decimal]
    add_ons: tuple[tuple[Bilingual, Decimal], ...]
    device: tuple[Bilingual, Decimal, int] | None
    business: bool
    loyal: bool


def _pence(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _subscription(rng: random.Random, business: bool, plan: str | None) -> _Subscription:
    plans = catalogue.BUSINESS_PLANS if business else catalogue.CONSUMER_PLANS
    return _Subscription(
        plan=next(p for p in plans if p[0].en == plan) if plan else rng.choice(plans),
        add_ons=tuple(rng.sample(catalogue.ADD_ONS, k=rng.choice((0, 0, 1, 2)))),
        device=rng.choice(catalogue.DEVICES) if rng.random() < 0.35 else None,
        business=business,
        loyal=rng.random() < 0.2,
    )


def _line(description: Bilingual, amount: Decimal) -> InvoiceLine:
    return InvoiceLine(
        description=description.en,
        description_translations=description.translations(),
        amount=amount,
    )


def _french_pounds(amount: Decimal) -> str:
    # As a French customer reads an amount: `2,29 £`, the symbol after a no-break space.
    return f"{amount:.2f}".replace(".", ",") + "\u00a0£"


def _lines(rng: random.Random, sub: _Subscription, months_in: int) -> list[InvoiceLine]:
    name, price = sub.plan
    lines = [_line(Bilingual(f"Monthly plan: {name.en}", f"Forfait mensuel : {name.fr}"), price)]
    lines += [_line(n, p) for n, p in sub.add_ons]
    if sub.device is not None and months_in <= sub.device[2]:
        device, instalment, term = sub.device
        text = Bilingual(
            f"{device.en}: instalment {months_in} of {term}",
            f"{device.fr} : mensualité {months_in} sur {term}",
        )
        lines.append(_line(text, instalment))
    if rng.random() < 0.2:
        country, days = rng.choice(catalogue.ROAMING_COUNTRIES), rng.randint(2, 9)
        daily = catalogue.ROAMING_DAILY
        text = Bilingual(
            f"Roaming in {country.en}: {days} days at £{daily}",
            f"Itinérance {country.fr} : {days} jours à {_french_pounds(daily)}",
        )
        lines.append(_line(text, daily * days))
    if rng.random() < 0.25:
        minutes = rng.randint(8, 45)
        text = Bilingual(
            f"Calls outside your allowance: {minutes} min", f"Appels hors forfait : {minutes} min"
        )
        lines.append(_line(text, _pence(catalogue.PER_MINUTE * minutes)))
    if sub.loyal:
        loyalty = Bilingual("Loyalty discount", "Remise fidélité")
        lines.append(_line(loyalty, catalogue.LOYALTY_CREDIT))
    if sub.business:
        # Business prices are quoted without VAT, so the invoice adds it as its own line.
        vat = _pence(sum((line.amount for line in lines), Decimal(0)) * catalogue.VAT_RATE)
        lines.append(_line(Bilingual("VAT at 20%", "TVA à 20\u00a0%"), vat))
    return lines


def _payment(rng: random.Random, invoice: Invoice, method: PaymentMethod) -> Payment:
    if method == "direct_debit":
        paid_on = invoice.due_date
    else:
        paid_on = min(invoice.due_date, invoice.issued_on + timedelta(days=rng.randint(1, 12)))
    return Payment(amount=invoice.total, date=paid_on, method=method)


def build_account(
    rng: random.Random,
    *,
    account_number: str,
    customer_id: str,
    today: date,
    scenario: Scenario,
    business: bool = False,
    days_since_issue: int | None = None,
    plan: str | None = None,
) -> BillingAccount:
    """Build six months of invoices and payments that leave the account in `scenario`."""
    sub = _subscription(rng, business, plan)
    method: PaymentMethod = rng.choice(
        ("direct_debit", "bank_transfer") if business else ("direct_debit", "direct_debit", "card")
    )
    low, high = _DAYS_SINCE_ISSUE[scenario]
    if days_since_issue is None:
        days_since_issue = rng.randint(low, high)
    latest_issue = today - timedelta(days=days_since_issue)
    # Overdue accounts sometimes owe the month before as well.
    unpaid = 0 if scenario == "paid" else 2 if scenario == "overdue" and rng.random() < 0.3 else 1
    start_month = rng.randint(INVOICES_PER_ACCOUNT, 30)
    invoices: list[Invoice] = []
    payments: list[Payment] = []
    for age in range(INVOICES_PER_ACCOUNT):
        issued_on = latest_issue - relativedelta(months=age)
        lines = _lines(rng, sub, months_in=start_month - age)
        invoice = Invoice(
            invoice_id=f"INV-{issued_on:%y%m}-{account_number}",
            period_start=issued_on - relativedelta(months=1),
            period_end=issued_on - timedelta(days=1),
            issued_on=issued_on,
            due_date=issued_on + PAYMENT_TERMS,
            total=sum((line.amount for line in lines), Decimal(0)),
            status="unpaid" if age < unpaid else "paid",
            lines=lines,
        )
        invoices.append(invoice)
        if invoice.status == "paid":
            payments.append(_payment(rng, invoice, method))
    return BillingAccount(
        account_number=account_number,
        customer_id=customer_id,
        invoices=tuple(invoices),
        payments=tuple(sorted(payments, key=lambda p: p.date, reverse=True)),
    )
