"""The supervisor view in Chromium, beside two agents' consoles and a customer's widget: the
queue and the agents' load live, and a chat reassigned from one agent to the other."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import (
    DESKTOP,
    PHONE,
    console_sign_in,
    low_contrast,
    open_widget,
    say,
    screenshot,
    session_id,
)
from tests.e2e.test_console import LAPTOP, expect_no_chat_shown, within_viewport, without_chats
from tests.e2e.test_handover import Customer, login

pytestmark = pytest.mark.e2e


def supervisor_view(browser: Browser, url: str) -> Page:
    """Sue signs in at the console, then opens the supervisor view in the same tab."""
    page = browser.new_context(viewport=LAPTOP).new_page()
    console_sign_in(page, url, "sue")
    page.goto(f"{url}/supervisor")
    expect(page.get_by_role("heading", name=re.compile(r"^Queue"))).to_be_visible(timeout=WAIT_MS)
    return page


def test_the_supervisor_watches_the_queue_and_moves_a_chat_from_ada_to_bob(
    stack, browser: Browser
) -> None:
    url = stack.bot.gateway_url
    ada_api, bob_api = login(stack, "ada"), login(stack, "bob")  # the same agents elsewhere
    for headers in (ada_api, bob_api):
        without_chats(url, headers)
    capacity = requests.get(f"{url}/api/agent/me", headers=ada_api, timeout=10).json()["capacity"]
    ada = browser.new_context(viewport=DESKTOP).new_page()
    console_sign_in(ada, url, "ada")
    bob = browser.new_context(viewport=DESKTOP).new_page()
    console_sign_in(bob, url, "bob")
    sue = supervisor_view(browser, url)
    customer = browser.new_context(viewport=PHONE).new_page()
    waiting: Customer | None = None
    try:
        open_widget(customer, url)
        say(customer, "I want to talk to a human")
        expect(customer.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
        cid = session_id(customer)

        # Live, without reloading: the customer appears in the queue, their wait ticking.
        queued = sue.locator(f'#queue tr[data-conversation="{cid}"]')
        expect(queued).to_contain_text("Unverified customer", timeout=WAIT_MS)
        expect(queued).to_contain_text("Asked for a person")
        expect(queued).to_contain_text(re.compile(r"\d+:\d\d"))
        first = queued.locator(".tick").text_content()
        expect(queued.locator(".tick")).not_to_have_text(first or "", timeout=3000)

        # Ada accepts (in another window of hers); her console lists it, she opens it.
        accepted = requests.post(
            f"{url}/api/conversations/{cid}/accept", headers=ada_api, timeout=10
        )
        accepted.raise_for_status()
        ada.locator("#chats li").click()
        expect(ada.get_by_role("log", name="Transcript")).to_contain_text(
            "I want to talk to a human", timeout=WAIT_MS
        )
        expect(queued).to_have_count(0, timeout=WAIT_MS)
        ada_row, bob_row = (sue.locator(f'#agents tr[data-agent="{n}"]') for n in ("ada", "bob"))
        expect(ada_row).to_contain_text(f"1 / {capacity}", timeout=WAIT_MS)
        expect(ada_row).to_contain_text("Online")
        expect(bob_row).to_contain_text(f"0 / {capacity}")
        held = sue.locator(f'#chats tr[data-conversation="{cid}"]')
        expect(held).to_contain_text("ada")

        # Another customer waits meanwhile: the screenshot shows both tables in use.
        waiting = Customer(url)
        waiting.say("let me speak to a real person please")
        waiting.wait("handover_status", '"position"', timeout=60)
        expect(sue.locator(f'#queue tr[data-conversation="{waiting.session_id}"]')).to_be_visible(
            timeout=WAIT_MS
        )

        # The supervisor moves ada's chat to bob.
        choice = held.get_by_label("Reassign chat with Unverified customer to")
        options = [o.split(" (")[0] for o in choice.locator("option").all_text_contents()]
        assert "bob" in options and "ada" not in options, options  # not to whoever has it
        choice.select_option("bob")
        held.get_by_role("button", name="Reassign chat with Unverified customer").click()

        expect(sue.locator("#notice")).to_contain_text(
            "The chat with Unverified customer went to bob", timeout=WAIT_MS
        )
        expect(held).to_contain_text("bob", timeout=WAIT_MS)
        expect(bob_row).to_contain_text(f"1 / {capacity}")
        expect(ada_row).to_contain_text(f"0 / {capacity}")
        # Bob's console opens the chat; ada's lets it go; the customer hears who took over.
        expect(bob.locator("#notice")).to_contain_text("transferred to you", timeout=WAIT_MS)
        expect(bob.get_by_role("log", name="Transcript")).to_contain_text(
            "I want to talk to a human", timeout=WAIT_MS
        )
        expect(ada.locator("#idle")).to_contain_text("no longer yours", timeout=WAIT_MS)
        expect_no_chat_shown(ada)
        expect(customer.get_by_role("log")).to_contain_text(
            "bob from our team is taking over.", timeout=WAIT_MS
        )
        expect(customer.locator(".nimbus-chat-who")).to_contain_text("bob")

        waiting_row = sue.locator(f'#queue tr[data-conversation="{waiting.session_id}"]')
        # At 1366×768 everything fits: no page scroll, the controls on screen, legible text.
        assert sue.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        for seen in (held.get_by_role("button", name="Reassign chat with Unverified customer"),
                     waiting_row.get_by_role("button"), bob_row):  # fmt: skip
            assert within_viewport(sue, seen), seen
        checked, failures = low_contrast(sue, "body")
        assert checked > 40 and failures == [], failures
        shot = screenshot(sue, "supervisor.png")  # the one docs/screenshots shows
        assert shot.stat().st_size > 10_000

        # A refusal is told in the notice (the gateway's answer when ada is full, faked here).
        sue.route("**/reassign", lambda route: route.fulfill(
            status=409, json={"detail": "ada has no room for another chat (3 of 3)"}))  # fmt: skip
        waiting_row.get_by_label("Reassign chat with Unverified customer to").select_option("ada")
        waiting_row.get_by_role("button", name="Reassign chat with Unverified customer").click()
        expect(sue.get_by_role("status")).to_contain_text(
            "Could not reassign the chat with Unverified customer: ada has no room", timeout=WAIT_MS
        )
        sue.unroute("**/reassign")
        expect(waiting_row).to_be_visible()  # still waiting: nothing happened
    finally:
        if waiting is not None:
            waiting.sio.emit("end_chat", {})
            waiting.close()
        for headers in (ada_api, bob_api):
            without_chats(url, headers)
        for page in (ada, bob, customer):
            page.context.close()
    sue.context.close()


def test_agents_and_strangers_are_sent_back_to_the_console(stack, browser: Browser) -> None:
    url = stack.bot.gateway_url
    stranger = browser.new_context(viewport=LAPTOP).new_page()
    stranger.goto(f"{url}/supervisor")
    expect(stranger.get_by_role("heading", name="Sign in first")).to_be_visible(timeout=WAIT_MS)
    expect(stranger.get_by_role("link", name="Sign in at the agent console")).to_have_attribute(
        "href", "/console"
    )
    expect(stranger.locator("#board")).to_be_hidden()

    ada = browser.new_context(viewport=LAPTOP).new_page()
    console_sign_in(ada, url, "ada")
    ada.goto(f"{url}/supervisor")
    expect(ada.get_by_role("heading", name="Supervisors only")).to_be_visible(timeout=WAIT_MS)
    back = ada.get_by_role("link", name="Back to the agent console")
    expect(back).to_have_attribute("href", "/console")
    expect(ada.locator("#board")).to_be_hidden()
    expect(ada.locator("#queue tbody tr")).to_have_count(0)
    back.click()  # the same sign-in, in the same tab: straight back to her chats
    expect(ada.get_by_role("heading", name="My chats")).to_be_visible(timeout=WAIT_MS)
    for page in (stranger, ada):
        page.context.close()
