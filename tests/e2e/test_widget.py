"""The customer widget in headless Chromium (Debian's), against the whole running assistant."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.test_handover import login

pytestmark = pytest.mark.e2e


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_widget_bill_reload_person_and_hand_back(stack, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(f"{stack.bot.gateway_url}/")
    page.get_by_role("button", name="Chat with us").click()
    log = page.get_by_role("log")
    say(page, "hello")
    expect(log).to_contain_text("virtual assistant", timeout=WAIT_MS)

    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("log")).to_contain_text("hello", timeout=WAIT_MS)

    log = page.get_by_role("log")
    say(page, "how much do i owe on my bill")
    expect(log).to_contain_text("What's your account number?", timeout=WAIT_MS)
    say(page, "30000001")
    page.get_by_role("button", name="My date of birth").click()
    expect(log).to_contain_text("(for example 14/03/1985)", timeout=WAIT_MS)
    say(page, "14/03/1985")
    expect(log).to_contain_text("Thanks Jane, you're verified.", timeout=WAIT_MS)
    expect(log).to_contain_text("Account 30000001", timeout=WAIT_MS)

    headers = login(stack, "ada")
    say(page, "I want to talk to a human")
    expect(page.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
    session_id = page.evaluate("window.localStorage.getItem('nimbus-chat-session')")
    url = f"{stack.bot.gateway_url}/api/conversations/{session_id}"
    requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
    expect(page.get_by_role("status")).to_contain_text("chatting with ada", timeout=WAIT_MS)
    hostile = "<img src=x onerror=alert(1)>Hi, this is Ada"
    requests.post(f"{url}/messages", headers=headers, json={"text": hostile}, timeout=10)
    expect(log).to_contain_text(hostile, timeout=WAIT_MS)
    assert page.locator(".nimbus-chat-log img").count() == 0, "text must not become HTML"
    requests.post(f"{url}/handback", headers=headers, timeout=10).raise_for_status()
    expect(log).to_contain_text("back with the virtual assistant", timeout=WAIT_MS)
    page.close()
