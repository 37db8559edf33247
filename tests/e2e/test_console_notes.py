"""Labels and private notes in Chromium: the agent writes them, finds them again after a reload,
and the customer's widget never shows them."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import (
    PHONE,
    WIDGET,
    console_sign_in,
    low_contrast,
    open_widget,
    say,
    screenshot,
    session_id,
)
from tests.e2e.test_console import LAPTOP, within_viewport, without_chats
from tests.e2e.test_handover import login

pytestmark = pytest.mark.e2e

NOTE = "Wants a callback after 5pm; gave her birth date 14/03/1985"
STORED = "Wants a callback after 5pm; gave her birth date [date of birth]"


def test_labels_and_notes_are_kept_for_agents_and_never_shown_to_the_customer(
    stack, browser: Browser
) -> None:
    url = stack.bot.gateway_url
    headers = login(stack, "ada")
    without_chats(url, headers)
    ada = browser.new_page(viewport=LAPTOP)
    console_sign_in(ada, url, "ada")
    customer = browser.new_context(viewport=PHONE).new_page()
    try:
        open_widget(customer, url)
        say(customer, WIDGET["en"]["ask_person"])
        expect(customer.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
        conversation = f"{url}/api/conversations/{session_id(customer)}"
        requests.post(f"{conversation}/accept", headers=headers, timeout=10).raise_for_status()
        chat = ada.locator("#chats li")
        chat.click()  # waits for the chat to be listed
        panel = ada.get_by_role("region", name="Notes and labels")
        expect(panel).to_contain_text("never shown to the customer", timeout=WAIT_MS)
        expect(panel).to_contain_text("No notes yet.")

        add_label = panel.get_by_label("Add label")
        add_label.fill("Billing dispute")  # typed as words: saved as a slug
        add_label.press("Enter")
        remove = panel.get_by_role("button", name="Remove label billing-dispute")
        expect(remove).to_be_visible(timeout=WAIT_MS)
        add_label.fill("vip")
        add_label.press("Enter")
        panel.get_by_role("button", name="Remove label vip").click()
        expect(panel.get_by_role("button", name="Remove label vip")).to_have_count(0)
        add_label.fill("-oops")
        add_label.press("Enter")
        expect(panel.get_by_role("alert")).to_contain_text("lowercase letters, digits or hyphens")
        panel.get_by_label("Private note").fill(NOTE)
        panel.get_by_role("button", name="Add note").click()
        notes = panel.get_by_role("list", name="Notes on this chat")
        expect(notes).to_contain_text(re.compile(r"You · \d\d:\d\d"), timeout=WAIT_MS)
        expect(notes).to_contain_text(STORED)  # what was stored: redacted
        expect(panel.get_by_label("Private note")).to_have_value("")

        # The chat still fits 1366x768: only the context column grew, and it scrolls.
        for control in (ada.get_by_label("Reply"), ada.get_by_role("button", name="Send")):
            assert within_viewport(ada, control), control
        assert ada.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        checked, failures = low_contrast(ada, "#notes-panel")
        assert checked >= 8 and failures == [], failures
        panel.scroll_into_view_if_needed()
        screenshot(ada, "console-notes.png")

        ada.reload()
        expect(ada.get_by_role("heading", name="My chats")).to_be_visible(timeout=WAIT_MS)
        chat.click()
        panel = ada.get_by_role("region", name="Notes and labels")
        expect(panel.get_by_role("button", name="Remove label billing-dispute")).to_be_visible(
            timeout=WAIT_MS
        )
        expect(panel.get_by_role("list", name="Notes on this chat")).to_contain_text(STORED)
        stored = requests.get(f"{conversation}/notes", headers=headers, timeout=10).json()
        assert ([n["text"] for n in stored["notes"]], stored["labels"]) == (
            [STORED], ["billing-dispute"],
        )  # fmt: skip

        # The customer, with the chat open and after reloading it, sees the agent's words only.
        ada.get_by_label("Reply").fill("I'll look into your bill now.")
        ada.get_by_label("Reply").press("Enter")
        log = customer.get_by_role("log")
        expect(log).to_contain_text("I'll look into your bill now.", timeout=WAIT_MS)
        customer.reload()  # the widget stays open, its history fetched again
        expect(customer.get_by_role("log")).to_contain_text(
            "I'll look into your bill now.", timeout=WAIT_MS
        )
        page = customer.content()
        for private in ("Wants a callback", "billing-dispute", "[date of birth]"):
            assert private not in page
    finally:
        without_chats(url, headers)
        ada.close()
        customer.context.close()
