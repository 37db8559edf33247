"""The agent console and the widget together in Chromium: the whole demo, as two people play it."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, expect

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
    verify_as_jane_and_get_the_bill,
)
from tests.e2e.test_handover import login

pytestmark = pytest.mark.e2e


def test_bill_verify_person_agent_replies_in_the_console_and_hands_back(
    stack, browser: Browser
) -> None:
    agent = browser.new_page(viewport=DESKTOP)
    console_sign_in(agent, stack.bot.gateway_url, "ada")
    customer = browser.new_context(viewport=PHONE).new_page()
    open_widget(customer, stack.bot.gateway_url)
    log = customer.get_by_role("log")
    verify_as_jane_and_get_the_bill(customer)

    say(customer, "I want to talk to a human")
    expect(customer.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
    notice = agent.locator("#notice")
    expect(notice).to_contain_text("New chat waiting (Asked for a person)", timeout=WAIT_MS)
    queue = agent.locator("#queue")
    expect(queue).to_contain_text("Jane Doe", timeout=WAIT_MS)
    expect(queue).to_contain_text("billing · Asked for a person")
    expect(queue).to_contain_text(re.compile(r"Waiting \d+:\d\d"))
    agent.get_by_role("button", name="Accept chat with Jane Doe").click()

    context = agent.locator("#context")
    expect(context).to_contain_text("Jane Doe needs help with their bill", timeout=WAIT_MS)
    verification = agent.locator("#verification")
    expect(verification).to_contain_text("VerifiedYes")
    expect(verification).to_contain_text("30000001")
    expect(agent.locator("#profile")).to_contain_text("jane")  # the CRM e-mail address
    intents = agent.locator("#intents")
    expect(intents).to_contain_text("check_bill_balance")
    expect(intents).to_contain_text(re.compile(r"request_human\s*\d+%"))
    transcript = agent.get_by_role("log", name="Transcript")
    expect(transcript).to_contain_text("how much do i owe on my bill")
    expect(transcript).to_contain_text("ada from our support team has joined.")
    expect(customer.locator(".nimbus-chat-who")).to_contain_text("You're talking to: ada")

    reply = agent.get_by_label("Reply")
    reply.fill("/hi")
    reply.press("Tab")  # the canned response's shortcut
    expect(reply).to_have_value(re.compile(r"^Hi Jane, I'm ada from the Nimbus support team"))
    reply.press("Enter")
    expect(log).to_contain_text("Hi Jane, I'm ada from the Nimbus support team", timeout=WAIT_MS)
    expect(customer.locator(".nimbus-msg-agent .nimbus-msg-who").last).to_have_text(
        "ada · Nimbus team"
    )

    say(customer, "Why is it higher than last month?")
    expect(transcript).to_contain_text("Why is it higher than last month?", timeout=WAIT_MS)
    agent.get_by_label("Reply").fill(
        "The roaming charges from your trip: I've explained them by email."
    )
    agent.get_by_label("Reply").press("Enter")
    expect(log).to_contain_text("roaming charges from your trip", timeout=WAIT_MS)

    checked, failures = low_contrast(customer, ".nimbus-chat")
    assert checked > 20 and failures == [], failures
    checked, failures = low_contrast(agent, "body")
    assert checked > 40 and failures == [], failures
    screenshot(customer, "widget.png")
    screenshot(agent, "console.png")

    agent.get_by_role("button", name="Hand back to the bot").click()
    expect(log).to_contain_text("back with the virtual assistant", timeout=WAIT_MS)
    expect(agent.locator("#chats-empty")).to_be_visible(timeout=WAIT_MS)
    say(customer, "is there an outage in my area")
    expect(customer.locator(".nimbus-msg-bot").last).not_to_contain_text(
        "back with the virtual assistant", timeout=WAIT_MS
    )
    expect(customer.locator(".nimbus-chat-who")).to_contain_text("Virtual assistant")
    agent.close()
    customer.context.close()


def test_transfer_to_a_colleague_close_and_satisfaction(stack, browser: Browser) -> None:
    ada = browser.new_page(viewport=DESKTOP)
    console_sign_in(ada, stack.bot.gateway_url, "ada")
    bob = browser.new_context(viewport=DESKTOP).new_page()
    console_sign_in(bob, stack.bot.gateway_url, "bob")
    customer = browser.new_context(viewport=PHONE).new_page()
    open_widget(customer, stack.bot.gateway_url)
    say(customer, "let me speak to a real person please")
    expect(customer.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
    ada.get_by_role("button", name="Accept chat with Unverified customer").first.click()
    expect(ada.get_by_role("log", name="Transcript")).to_contain_text(
        "let me speak to a real person please", timeout=WAIT_MS
    )

    ada.get_by_label("Transfer to").select_option(label="bob (agent)")
    ada.get_by_role("button", name="Transfer", exact=True).click()
    expect(ada.locator("#notice")).to_contain_text("Transferred to bob", timeout=WAIT_MS)
    expect(bob.locator("#notice")).to_contain_text("transferred to you", timeout=WAIT_MS)
    expect(bob.get_by_role("log", name="Transcript")).to_contain_text(
        "let me speak to a real person please", timeout=WAIT_MS
    )
    expect(customer.locator(".nimbus-chat-who")).to_contain_text("bob", timeout=WAIT_MS)

    bob.get_by_label("Status").select_option("away")
    expect(bob.locator("#notice")).to_contain_text("You're away", timeout=WAIT_MS)
    headers = login(stack, "bob")  # signing in again puts bob online for the other tests
    me = requests.get(f"{stack.bot.gateway_url}/api/agent/me", headers=headers, timeout=10)
    assert me.json()["status"] == "online"

    bob.get_by_role("button", name="Close conversation").click()
    rating = customer.get_by_role("group", name="How satisfied are you with this chat?")
    expect(rating).to_be_visible(timeout=WAIT_MS)
    checked, failures = low_contrast(customer, ".nimbus-rating")
    assert checked >= 6 and failures == [], failures
    rating.get_by_role("button", name="4 – Satisfied").click()
    expect(customer.get_by_role("log")).to_contain_text(
        "Thank you for your feedback", timeout=WAIT_MS
    )
    url = f"{stack.bot.gateway_url}/api/conversations/{session_id(customer)}"
    stored = requests.get(url, headers=headers, timeout=10).json()
    assert (stored["state"], stored["satisfaction"]) == ("closed", 4)
    ada.close()
    for page in (bob, customer):
        page.context.close()
