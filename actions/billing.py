"""Bill balance and invoice lines for a verified customer."""

from __future__ import annotations

from decimal import Decimal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import backend_failure, backends, is_verified, unverified_reply
from actions.formatting import format_long_date, format_money, labelled, language_of
from connectors.billing import Balance, Invoice, Payment
from connectors.errors import ConnectorError

# Invoices carry no currency: Nimbus bills in pounds.
INVOICE_CURRENCY = "GBP"


def utter_balance(dispatcher: CollectingDispatcher, balance: Balance, language: str) -> None:
    """One account's balance, then its last payment if there is one."""
    if balance.amount_due <= 0:
        dispatcher.utter_message(
            response="utter_balance_clear", account_number=balance.account_number
        )
    else:
        utter_amount_due(dispatcher, balance, language)
    if balance.last_payment:
        utter_last_payment(dispatcher, balance.last_payment, balance.currency, language)


def utter_amount_due(dispatcher: CollectingDispatcher, balance: Balance, language: str) -> None:
    """What is to pay, by when if known, and whether it is overdue."""
    values = {
        "account_number": balance.account_number,
        "amount": format_money(balance.amount_due, balance.currency, language=language),
    }
    overdue = balance.status == "overdue"
    if balance.due_date is None:
        if overdue:
            dispatcher.utter_message(response="utter_balance_overdue_undated", **values)
        else:
            dispatcher.utter_message(response="utter_balance_due_undated", **values)
        return
    values["due_date"] = format_long_date(balance.due_date, language=language)
    if overdue:
        dispatcher.utter_message(response="utter_balance_overdue", **values)
    else:
        dispatcher.utter_message(response="utter_balance_due", **values)


def utter_last_payment(
    dispatcher: CollectingDispatcher, paid: Payment, currency: str, language: str
) -> None:
    """How much was paid last, when, and how."""
    values = {
        "amount": format_money(paid.amount, currency, language=language),
        "paid_on": format_long_date(paid.date, language=language),
    }
    match paid.method:
        case "direct_debit":
            dispatcher.utter_message(response="utter_last_payment_direct_debit", **values)
        case "card":
            dispatcher.utter_message(response="utter_last_payment_card", **values)
        case "bank_transfer":
            dispatcher.utter_message(response="utter_last_payment_bank_transfer", **values)


def utter_invoice(
    dispatcher: CollectingDispatcher, account_number: str, invoice: Invoice, language: str
) -> None:
    """An invoice's period, lines (in the conversation's language if billing has it) and total."""

    def money(amount: Decimal) -> str:
        return format_money(amount, INVOICE_CURRENCY, language=language)

    lines = [
        labelled(f"- {line.description_in(language)}", money(line.amount), language=language)
        for line in invoice.lines
    ]
    values = {
        "invoice_id": invoice.invoice_id,
        "account_number": account_number,
        "period_start": format_long_date(invoice.period_start, language=language),
        "period_end": format_long_date(invoice.period_end, language=language),
        "lines": "\n".join(lines),
        "total": money(invoice.total),
    }
    if invoice.status == "paid":
        dispatcher.utter_message(response="utter_invoice_paid", **values)
    else:
        dispatcher.utter_message(response="utter_invoice_unpaid", **values)


class ActionCheckBillBalance(Action):
    """Amount due, due date and last payment of each of the customer's accounts."""

    def name(self) -> str:
        return "action_check_bill_balance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not is_verified(tracker):
            return unverified_reply(dispatcher, tracker)
        clients = backends()
        try:
            customer = await clients.crm.get_customer(tracker.get_slot("customer_id"))
            balances = [await clients.billing.get_balance(number) for number in customer.accounts]
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        language = language_of(tracker)
        for balance in balances:
            utter_balance(dispatcher, balance, language)
        dispatcher.utter_message(response="utter_offer_invoice_lines")
        return [SlotSet("pending_offer", "invoice_lines")]


class ActionShowInvoice(Action):
    """The lines of the latest invoice of each of the customer's accounts."""

    def name(self) -> str:
        return "action_show_invoice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet("pending_offer", None)]
        if not is_verified(tracker):
            dispatcher.utter_message(response="utter_ask_for_bill_first")
            return events
        clients = backends()
        try:
            customer = await clients.crm.get_customer(tracker.get_slot("customer_id"))
            latest = {n: await clients.billing.list_invoices(n, limit=1) for n in customer.accounts}
        except ConnectorError as error:
            return events + backend_failure(dispatcher, error)
        language = language_of(tracker)
        for number, invoices in latest.items():
            if invoices:
                utter_invoice(dispatcher, number, invoices[0], language)
            else:
                dispatcher.utter_message(response="utter_no_invoices", account_number=number)
        return events
