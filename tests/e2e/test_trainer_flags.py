"""An agent flags a customer's message in the console, and the bot trainer finds it in the
inbox under "Flagged by an agent", with the reason shown on its group and its text; the flag
taken off, it leaves. Chromium for both pages, on `trainer_gateway`'s gateway (no Rasa: the
customer, a Socket.IO client, is offered a person by the gateway itself)."""

# Fixtures come from trainer_gateway: an argument named `trainer` is it.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import console_sign_in, low_contrast
from tests.e2e.test_handover import Customer
from tests.e2e.trainer_gateway import (  # noqa: F401  (the fixture: trainer)
    TRAINER,
    Trainer,
    browse,
    card,
    inbox_answer,
    query_of,
    trainer,
)

pytestmark = pytest.mark.e2e

SAID = "my modem makes a clicking noise every night"


def queued_customer(url: str) -> Customer:
    """A customer who wrote SAID, then took the gateway's offer of a person."""
    customer = Customer(url)
    customer.say(SAID)
    customer.wait("bot_uttered", "talk to a person", consume=True)
    customer.say("/request_human")
    customer.wait("bot_uttered", "passing you to a member of our team")
    return customer


def open_inbox(page: Page, url: str) -> dict:
    page.goto(f"{url}/trainer?state=all")
    with page.expect_response(inbox_answer, timeout=WAIT_MS * 2) as answer:  # the encoder loads
        page.get_by_label("Username").fill(TRAINER[0])
        page.get_by_label("Password").fill(TRAINER[1])
        page.get_by_role("button", name="Sign in").click()
    return answer.value.json()


def test_a_message_flagged_in_the_console_reaches_the_trainers_inbox(
    trainer: Trainer, browser: Browser
) -> None:
    console, complaints = browse(browser)
    console_sign_in(console, trainer.url, "ada")  # online: the gateway can queue for her
    customer = queued_customer(trainer.url)
    try:
        console.get_by_role("button", name="Accept chat with").first.click()
        message = console.locator("#transcript .msg-user", has_text=SAID)
        flag = message.get_by_role("button", name="Flag for the trainer")
        expect(flag).to_be_enabled(timeout=WAIT_MS)  # once the chat's flags are in
        expect(flag).to_have_attribute("aria-pressed", "false")
        # Described by the message it flags, for screen readers.
        described = flag.get_attribute("aria-describedby")
        assert described and console.locator(f"#{described}").inner_text() == SAID
        flag.click()
        expect(flag).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
        expect(console.locator("#notice")).to_have_text("Flagged for the bot trainer.")
        # Only the customer's messages can be flagged: the gateway's answers cannot.
        expect(console.locator("#transcript .msg-bot button.flag")).to_have_count(0)
        checked, failures = low_contrast(console, "#transcript")
        assert checked >= 3 and failures == [], failures
        # Opened again, the chat shows the flag it keeps.
        console.reload()
        console.locator("#chats li button.open").first.click()
        expect(flag).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)

        page, trainer_complaints = browse(browser)
        inbox = open_inbox(page, trainer.url)
        assert inbox["sources"]["flagged"] == 1, inbox["sources"]
        with page.expect_response(
            lambda r: inbox_answer(r) and query_of(r.url).get("source") == "flagged"
        ) as flagged:
            page.get_by_label("Reason").select_option("flagged")
        found = flagged.value.json()
        (group,) = found["groups"]
        assert (group["representative"], group["sources"]) == (SAID, {"flagged": 1}), group
        assert "source=flagged" in page.url  # kept in the address
        expect(page.get_by_label("Reason")).to_contain_text("Flagged by an agent (1)")
        shown = card(page, group)
        expect(shown.locator("li.source")).to_have_text(["Flagged by an agent · 1"])
        shown.get_by_text("1 distinct text").click()
        row = shown.locator("tbody tr")
        expect(row.locator("td.why")).to_have_text("Flagged by an agent")
        expect(row.locator("td.predicted")).to_have_text("–")  # the gateway's: no NLU reading
        checked, failures = low_contrast(page, "#groups")
        assert checked >= 5 and failures == [], failures

        # The flag taken off in the console: the trainer's next look has nothing flagged.
        flag.click()
        expect(flag).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
        with page.expect_response(inbox_answer) as again:
            page.get_by_role("button", name="Refresh").click()
        assert again.value.json()["groups"] == [] and again.value.json()["sources"]["flagged"] == 0
        expect(page.locator("li.group")).to_have_count(0)
        assert complaints == [] and trainer_complaints == [], complaints + trainer_complaints
    finally:
        customer.close()
