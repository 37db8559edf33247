"""The console worked from the keyboard, with a sound and a preview before accepting, and the
customer's rating shown once given: an agent's day in Chromium at 1366x768."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import PHONE, console_sign_in, open_widget, rate, say
from tests.e2e.test_console import LAPTOP

pytestmark = pytest.mark.e2e

# Counts the tones the console starts, whatever it does with them (headless has no speaker).
COUNT_TONES = """
  window.__tones = 0;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) { window.__tones += 1; return start.apply(this, args); };
"""


def tones(page: Page) -> int:
    return page.evaluate("window.__tones")


def queued_customer(browser: Browser, gateway_url: str, words: str) -> Page:
    customer = browser.new_context(viewport=PHONE).new_page()
    open_widget(customer, gateway_url)
    say(customer, words)
    expect(customer.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
    return customer


def test_accept_next_and_close_from_the_keyboard_with_a_sound_a_preview_and_the_rating(
    stack, browser: Browser
) -> None:
    url = stack.bot.gateway_url
    ada = browser.new_context(viewport=LAPTOP).new_page()
    ada.add_init_script(COUNT_TONES)
    console_sign_in(ada, url, "ada")
    queue = ada.locator("#queue > li")
    expect(queue).to_have_count(0, timeout=WAIT_MS)  # another test's chat would be taken first

    first = queued_customer(browser, url, "I want to talk to a human about my router")
    expect(queue).to_have_count(1, timeout=WAIT_MS)
    expect(queue.first).to_contain_text(
        "“I want to talk to a human about my router”", timeout=WAIT_MS
    )
    ada.wait_for_function("window.__tones >= 1", timeout=WAIT_MS)

    ada.keyboard.press("Alt+A")
    transcript = ada.get_by_role("log", name="Transcript")
    expect(transcript).to_contain_text("about my router", timeout=WAIT_MS)
    expect(queue).to_have_count(0, timeout=WAIT_MS)

    # With the sound off, the next chat comes in silently.
    ada.get_by_role("button", name="Sound on").click()
    sound_off = ada.get_by_role("button", name="Sound off")
    expect(sound_off).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
    heard = tones(ada)
    second = queued_customer(browser, url, "I want to talk to a human about my bill")
    expect(queue).to_have_count(1, timeout=WAIT_MS)
    expect(queue.first).to_contain_text("about my bill", timeout=WAIT_MS)
    assert tones(ada) == heard
    ada.keyboard.press("Alt+A")
    expect(transcript).to_contain_text("about my bill", timeout=WAIT_MS)

    ada.keyboard.press("Alt+N")  # the other chat
    expect(transcript).to_contain_text("about my router", timeout=WAIT_MS)
    expect(transcript).not_to_contain_text("about my bill")

    ada.keyboard.press("Alt+C")
    dialog = ada.get_by_role("dialog", name="Close this conversation?")
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    dialog.get_by_label("Resolved", exact=True).check()
    dialog.get_by_role("button", name="Confirm close").click()
    expect(dialog).to_be_hidden(timeout=WAIT_MS)
    closed = ada.locator("#closed > li").first
    expect(closed).to_contain_text("resolved · ", timeout=WAIT_MS)
    expect(closed).to_contain_text("not rated yet", timeout=WAIT_MS)

    rate(first, 5)
    expect(closed).to_contain_text("rated 5 / 5", timeout=WAIT_MS)

    ada.keyboard.press("Alt+N")  # the one chat left opens
    expect(transcript).to_contain_text("about my bill", timeout=WAIT_MS)
    ada.keyboard.press("Alt+C")
    dialog.get_by_label("Duplicate", exact=True).check()
    dialog.get_by_role("button", name="Confirm close").click()
    expect(ada.locator("#closed > li").first).to_contain_text("duplicate", timeout=WAIT_MS)
    expect(ada.locator("#closed > li").nth(1)).to_contain_text("rated 5 / 5", timeout=WAIT_MS)
    ada.get_by_role("button", name="Sound off").click()  # back on for whoever signs in next here
    for page in (ada, first, second):
        page.context.close()
