import httpx
import pytest

from actions.billing import ActionCheckBillBalance, ActionShowInvoice
from tests import factories as f
from tests.actions.conftest import make_tracker, rendered, responses, slot_events

VERIFIED = {"verified": True, "customer_id": "CUS-00001", "account_number": "30000001"}


async def test_balance_of_every_account(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer(accounts=["30000001", "30000002"]))
    http.get(f"{f.BILLING}/accounts/30000001/balance", json=f.balance())
    http.get(
        f"{f.BILLING}/accounts/30000002/balance",
        json=f.balance("30000002", amount_due="0.00", due_date=None, status="paid"),
    )
    events = await ActionCheckBillBalance().run(dispatcher, make_tracker(VERIFIED), domain)
    assert dispatcher.messages[0]["response"] == "utter_balance_due"
    assert dispatcher.messages[0]["amount"] == "£42.50"
    assert rendered(dispatcher) == [
        "Account 30000001: £42.50 to pay by 5 December 2026.",
        "Your last payment was £39.99 on 5 November 2026 by direct debit.",
        "Account 30000002: nothing to pay right now.",
        "Your last payment was £39.99 on 5 November 2026 by direct debit.",
        "Would you like to see the lines of your latest invoice?",
    ]
    assert slot_events(events) == {"pending_offer": "invoice_lines"}


async def test_overdue_balance_says_so(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    http.get(f"{f.BILLING}/accounts/30000001/balance", json=f.balance(status="overdue"))
    await ActionCheckBillBalance().run(dispatcher, make_tracker(VERIFIED), domain)
    assert (
        rendered(dispatcher)[0]
        == "Account 30000001: £42.50 to pay by 5 December 2026 (this is overdue)."
    )


async def test_amount_due_without_a_date_and_no_payment_yet(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    http.get(
        f"{f.BILLING}/accounts/30000001/balance",
        json=f.balance(amount_due="1234.50", due_date=None, last_payment=None),
    )
    await ActionCheckBillBalance().run(dispatcher, make_tracker(VERIFIED), domain)
    assert responses(dispatcher) == ["utter_balance_due_undated", "utter_offer_invoice_lines"]
    assert rendered(dispatcher)[0] == "Account 30000001: £1,234.50 to pay."


async def test_locked_customer_gets_no_data_and_is_offered_a_person(
    http, dispatcher, domain
) -> None:
    tracker = make_tracker({"verification_locked": True})
    events = await ActionCheckBillBalance().run(dispatcher, tracker, domain)
    assert not http.request_history, "no personal data may be fetched for an unverified customer"
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_verification_locked",
        "utter_offer_human",
    ]
    assert slot_events(events)["handover_reason"] == "failed_verification"


async def test_form_cut_short_is_not_explained_twice(http, dispatcher, domain) -> None:
    events = await ActionCheckBillBalance().run(
        dispatcher, make_tracker({"task_failed": True}), domain
    )
    assert dispatcher.messages == []
    assert slot_events(events) == {"task_failed": False}


async def test_billing_error_apologises_and_offers_a_person(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    http.get(f"{f.BILLING}/accounts/30000001/balance", status_code=503)
    events = await ActionCheckBillBalance().run(dispatcher, make_tracker(VERIFIED), domain)
    assert responses(dispatcher) == ["utter_backend_error_billing", "utter_offer_human"]
    assert rendered(dispatcher)[0].startswith("Sorry, I can't reach our billing system right now")
    assert slot_events(events) == {"pending_offer": "human", "handover_reason": "backend_failure"}


async def test_billing_timeout_apologises(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    http.get(f"{f.BILLING}/accounts/30000001/balance", exc=httpx.ConnectTimeout)
    await ActionCheckBillBalance().run(dispatcher, make_tracker(VERIFIED), domain)
    assert dispatcher.messages[0]["response"] == "utter_backend_error_billing"


async def test_invoice_lines(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    invoices = http.get(f"{f.BILLING}/accounts/30000001/invoices", json=[f.invoice()])
    events = await ActionShowInvoice().run(
        dispatcher, make_tracker({**VERIFIED, "pending_offer": "invoice_lines"}), domain
    )
    assert invoices.last_request.qs == {"limit": ["1"]}
    assert rendered(dispatcher) == [
        "Invoice INV-202611-0001 for account 30000001 (1 November 2026 to 30 November 2026):\n"
        "- Unlimited Plus plan: £40.00\n- Roaming (3 days): £7.50\n- Loyalty discount: -£5.00\n"
        "Total: £42.50 (unpaid)."
    ]
    assert slot_events(events) == {"pending_offer": None}


# As the billing system sends them: each line in English, and in French where it has one.
LINES = [
    {"description": "Monthly plan: Nimbus Fibre 150 + TV Essentials", "amount": "52.50",
     "description_translations": {"fr": "Forfait mensuel : Nimbus Fibre 150 + TV Essentiel"}},
    {"description": "Roaming in Italy: 4 days at £2.29", "amount": "9.16",
     "description_translations": {"fr": "Itinérance en Italie : 4 jours à 2,29\u00a0£"}},
    {"description": "Loyalty discount", "amount": "-5.00",
     "description_translations": {"fr": "Remise fidélité"}},
]  # fmt: skip
INVOICE_LINES = {
    "en": "- Monthly plan: Nimbus Fibre 150 + TV Essentials: £52.50\n"
    "- Roaming in Italy: 4 days at £2.29: £9.16\n- Loyalty discount: -£5.00",
    "fr": "- Forfait mensuel : Nimbus Fibre 150 + TV Essentiel : 52,50\u00a0£\n"
    "- Itinérance en Italie : 4 jours à 2,29\u00a0£ : 9,16\u00a0£\n"
    "- Remise fidélité : -5,00\u00a0£",
}


async def show_invoice(http, dispatcher, domain, language: str, lines: list[dict]) -> str:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    invoice = f.invoice(lines=lines, total="56.66")
    http.get(f"{f.BILLING}/accounts/30000001/invoices", json=[invoice])
    await ActionShowInvoice().run(
        dispatcher, make_tracker({**VERIFIED, "language": language}), domain
    )
    [said] = rendered(dispatcher, language)
    return said


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_invoice_lines_in_the_language_of_the_conversation(
    http, dispatcher, domain, language: str
) -> None:
    said = await show_invoice(http, dispatcher, domain, language, LINES)
    assert f":\n{INVOICE_LINES[language]}\n" in said


async def test_invoice_lines_billing_has_no_french_for_stay_in_english(
    http, dispatcher, domain
) -> None:
    no_french = {"description": "Late payment fee", "amount": "10.00"}
    said = await show_invoice(http, dispatcher, domain, "fr", [LINES[0], no_french])
    assert ":\n- Forfait mensuel : Nimbus Fibre 150 + TV Essentiel : 52,50\u00a0£\n" in said
    assert "\n- Late payment fee : 10,00\u00a0£\n" in said
