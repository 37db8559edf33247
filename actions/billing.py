"""Bill balance and invoice lines for a verified customer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    backend_failure,
    backends,
    is_verified,
    long_date,
    money,
    unverified_reply,
)
from connectors.errors import ConnectorError


def describe_balance(balance: Any) -> str:
    """One account's balance as a sentence or two."""
    text = f"Account {balance.account_number}: "
    if float(balance.amount_due) <= 0:
        text += "nothing to pay right now."
    else:
        text += f"{money(balance.amount_due, balance.currency)} to pay"
        text += f" by {long_date(balance.due_date)}" if balance.due_date else ""
        text += " (this is overdue)." if balance.status == "overdue" else "."
    if balance.last_payment:
        paid = balance.last_payment
        text += (
            f" Your last payment was {money(paid.amount, balance.currency)} on "
            f"{long_date(paid.date)} by {paid.method.replace('_', ' ')}."
        )
    return text


class ActionCheckBillBalance(Action):
    """Amount due, due date and last payment of each of the customer's accounts."""

    def name(self) -> str:
        return "action_check_bill_balance"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not is_verified(tracker):
            return unverified_reply(dispatcher, tracker)
        clients = backends()
        try:
            customer = clients.crm.get_customer(tracker.get_slot("customer_id"))
            balances = [clients.billing.get_balance(number) for number in customer.accounts]
        except ConnectorError as error:
            return backend_failure(dispatcher, error)
        for balance in balances:
            dispatcher.utter_message(text=describe_balance(balance))
        dispatcher.utter_message(
            text="Would you like to see the lines of your latest invoice?",
            buttons=[
                {"title": "Yes, show me", "payload": "/affirm"},
                {"title": "No, thanks", "payload": "/deny"},
            ],
        )
        return [SlotSet("pending_offer", "invoice_lines")]


class ActionShowInvoice(Action):
    """The lines of the latest invoice of each of the customer's accounts."""

    def name(self) -> str:
        return "action_show_invoice"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet("pending_offer", None)]
        if not is_verified(tracker):
            dispatcher.utter_message(
                text="Ask me for your bill first, so I can confirm who you are."
            )
            return events
        clients = backends()
        try:
            customer = clients.crm.get_customer(tracker.get_slot("customer_id"))
            latest = {n: clients.billing.list_invoices(n, limit=1) for n in customer.accounts}
        except ConnectorError as error:
            return events + backend_failure(dispatcher, error)
        for number, invoices in latest.items():
            if not invoices:
                dispatcher.utter_message(text=f"Account {number} has no invoices yet.")
                continue
            invoice = invoices[0]
            lines = "\n".join(
                f"- {line.description}: {money(line.amount)}" for line in invoice.lines
            )
            dispatcher.utter_message(
                text=f"Invoice {invoice.invoice_id} for account {number} "
                f"({long_date(invoice.period_start)} to {long_date(invoice.period_end)}):\n"
                f"{lines}\nTotal: {money(invoice.total)} ({invoice.status})."
            )
        return events
