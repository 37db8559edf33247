"""Agent assist in Chromium: the bot's own FAQ answer offered to the agent, inserted for editing."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import Browser, expect

from bot.stack import ROOT
from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import DESKTOP, console_sign_in
from tests.e2e.test_console import without_chats
from tests.e2e.test_handover import Customer, login

pytestmark = pytest.mark.e2e


def english_answer(response: str) -> str:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return next(v["text"] for v in domain["responses"][response] if not v.get("condition"))


def test_the_agent_inserts_the_bots_faq_answer_and_edits_it_before_sending(
    stack, browser: Browser
) -> None:
    url = stack.bot.gateway_url
    headers = login(stack, "ada")
    without_chats(url, headers)
    ada = browser.new_page(viewport=DESKTOP)
    console_sign_in(ada, url, "ada")
    customer = Customer(url)
    try:
        customer.say("let me speak to a real person please")
        customer.wait("handover_status", '"position"', timeout=60, consume=True)
        ada.get_by_role("button", name="Accept chat with Unverified customer").first.click()
        reply = ada.get_by_label("Reply", exact=True)
        expect(reply).to_be_enabled(timeout=WAIT_MS)
        suggestion = ada.get_by_role("region", name="Suggestion from the assistant")
        # The latest message asked for a person: the bot has no answer worth offering.
        expect(suggestion).to_be_hidden()

        customer.say("what are your opening hours")
        expect(ada.get_by_role("log", name="Transcript")).to_contain_text(
            "what are your opening hours", timeout=WAIT_MS
        )
        answer = english_answer("utter_faq/opening_hours")
        expect(suggestion).to_be_visible(timeout=WAIT_MS)
        expect(suggestion.get_by_role("heading", name="Suggested reply")).to_be_visible()
        expect(suggestion).to_contain_text(answer)
        expect(reply).to_have_value("")

        suggestion.get_by_role("button", name="Insert").click()
        expect(reply).to_have_value(answer)
        expect(reply).to_be_focused()
        # The keyboard does the same, from anywhere in the console; nothing is sent by itself.
        reply.fill("")
        ada.get_by_role("log", name="Transcript").focus()
        ada.keyboard.press("Alt+s")
        expect(reply).to_have_value(answer)
        reply.press("End")
        reply.type(" Anything else?")
        expect(reply).to_have_value(answer + " Anything else?")
        assert not [e for e in customer.events if e[0] == "bot_uttered" and answer in str(e[1])]
    finally:
        ada.close()
        customer.close()
        without_chats(url, headers)  # later tests start with ada free
