"""Past contacts in Chromium: a verified customer comes back, and the agent sees their earlier
chat and their CRM ticket beside the new one; the CRM timing out leaves the rest shown."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import (
    PHONE,
    console_sign_in,
    low_contrast,
    open_widget,
    rate,
    say,
    screenshot,
    session_id,
    verify_as_jane_and_get_the_bill,
)
from tests.e2e.test_console import LAPTOP, without_chats
from tests.e2e.test_handover import Customer, login

pytestmark = pytest.mark.e2e

JANE = "CUS-00001"  # connectors/mocks/demo.py
SUBJECT = "Refund for a customer born 14/03/1985"


def jane_asks_for_a_person(browser: Browser, url: str) -> Page:
    """Jane, verified by the bot in a new widget (a new conversation), waiting in the queue."""
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, url)
    verify_as_jane_and_get_the_bill(page)
    say(page, "I want to talk to a human")
    expect(page.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
    return page


def test_a_returning_customer_shows_their_earlier_chat_and_ticket_under_past_contacts(
    stack, browser: Browser, fault
) -> None:
    url = stack.bot.gateway_url
    headers = login(stack, "ada")
    without_chats(url, headers)
    ticket = requests.post(
        f"{stack.backends.crm_url}/tickets",
        json={"customer_id": JANE, "subject": SUBJECT, "reason": "billing_dispute",
              "description": "Phoned about a refund.", "priority": "high"},
        timeout=10,
    )  # fmt: skip
    ticket.raise_for_status()
    reference = ticket.json()["ticket_id"]

    # An earlier chat: ada takes it, closes it as not resolved; Jane rates it 2.
    earlier = jane_asks_for_a_person(browser, url)
    earlier_id = session_id(earlier)
    conversation = f"{url}/api/conversations/{earlier_id}"
    requests.post(f"{conversation}/accept", headers=headers, timeout=10).raise_for_status()
    closing = {"reason": "not_resolved"}
    requests.post(
        f"{conversation}/close", json=closing, headers=headers, timeout=10
    ).raise_for_status()
    rate(earlier, 2)
    expect(earlier.get_by_role("log")).to_contain_text(
        "Thank you for your feedback", timeout=WAIT_MS
    )
    earlier.context.close()

    # Jane comes back in a new conversation; ada accepts it.
    ada = browser.new_page(viewport=LAPTOP)
    console_sign_in(ada, url, "ada")
    returning = jane_asks_for_a_person(browser, url)
    now = f"{url}/api/conversations/{session_id(returning)}"
    try:
        requests.post(f"{now}/accept", headers=headers, timeout=10).raise_for_status()
        ada.locator("#chats li").click()  # waits for the chat to be listed
        panel = ada.locator("#history-panel")
        expect(panel.get_by_role("heading", name="Past contacts")).to_be_visible(timeout=WAIT_MS)
        latest = panel.get_by_role("list", name="Past conversations").get_by_role("listitem").first
        expect(latest).to_contain_text(
            re.compile(r"Closed by an agent · ada · not resolved · rated 2 / 5"), timeout=WAIT_MS
        )
        expect(latest).to_contain_text("Asked for a person")
        tickets = panel.get_by_role("list", name="Tickets")
        expect(tickets).to_contain_text(
            f"{reference} · open · Refund for a customer born [date of birth]"
        )
        expect(panel).not_to_contain_text("14/03/1985")
        history = requests.get(f"{now}/history", headers=headers, timeout=10).json()
        assert (history["customer_id"], history["crm"]) == (JANE, "ok")
        assert history["conversations"][0]["conversation_id"] == earlier_id

        # At 1366x768 the context column scrolls to the panel; the page itself never scrolls.
        panel.scroll_into_view_if_needed()
        assert ada.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        box, aside = panel.bounding_box(), ada.locator("#context").bounding_box()
        assert box and aside, "the panel and the context column are shown"
        assert aside["x"] <= box["x"] and box["x"] + box["width"] <= aside["x"] + aside["width"]
        checked, failures = low_contrast(ada, "#history-panel")
        assert checked >= 4 and failures == [], failures
        screenshot(ada, "console-history.png")

        # The CRM stops answering in time: its tickets are said to be missing, the rest stays.
        fault("crm", "slow", delay_seconds=5)  # the stack's connectors wait 2 s
        ada.locator("#chats li").click()  # the same chat opened again asks again
        expect(panel).to_contain_text("CRM tickets unavailable right now", timeout=WAIT_MS)
        expect(latest).to_contain_text("not resolved · rated 2 / 5")
        expect(panel).not_to_contain_text(reference)

        # Handed back: nothing of Jane's past stays on screen.
        ada.get_by_role("button", name="Hand back to the bot").click()
        expect(ada.locator("#idle")).to_be_visible(timeout=WAIT_MS)
        expect(panel).to_be_empty()
    finally:
        without_chats(url, headers)
        returning.context.close()
        ada.close()


def test_an_unverified_customer_gets_no_past_contacts(stack, browser: Browser) -> None:
    url = stack.bot.gateway_url
    headers = login(stack, "ada")
    without_chats(url, headers)
    ada = browser.new_page(viewport=LAPTOP)
    console_sign_in(ada, url, "ada")
    customer = Customer(url)
    try:
        customer.say("let me speak to a real person please")
        customer.wait("handover_status", '"position"', timeout=60, consume=True)
        conversation = f"{url}/api/conversations/{customer.session_id}"
        requests.post(f"{conversation}/accept", headers=headers, timeout=10).raise_for_status()
        ada.locator("#chats li").click()
        panel = ada.locator("#history-panel")
        expect(panel).to_contain_text(
            "Not verified: past contacts are shown once the customer is verified", timeout=WAIT_MS
        )
        expect(panel.get_by_role("list")).to_have_count(0)
    finally:
        without_chats(url, headers)
        customer.close()
        ada.close()
