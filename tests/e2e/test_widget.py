"""The customer widget in headless Chromium (Debian's), against the whole running assistant."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import PHONE, open_widget, say, session_id, verify_as_jane_and_get_the_bill
from tests.e2e.test_handover import login

pytestmark = pytest.mark.e2e


def handed_to_ada(stack, page: Page) -> tuple[str, dict[str, str]]:
    """Ask for a person and have ada accept by REST: the conversation's URL and ada's headers."""
    headers = login(stack, "ada")
    say(page, "I want to talk to a human")
    expect(page.get_by_role("status")).to_contain_text("in the queue", timeout=WAIT_MS)
    url = f"{stack.bot.gateway_url}/api/conversations/{session_id(page)}"
    requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
    expect(page.get_by_role("status")).to_contain_text("chatting with ada", timeout=WAIT_MS)
    return url, headers


def test_widget_bill_reload_person_and_hand_back(stack, browser: Browser) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, stack.bot.gateway_url)
    notice = page.locator(".nimbus-chat-notice")
    expect(notice).to_contain_text("You're chatting with a virtual assistant")
    privacy = notice.get_by_role("link", name="How we use your personal data")
    assert privacy.get_attribute("href") == f"{stack.bot.gateway_url}/privacy?lang=en"
    log = page.get_by_role("log")
    say(page, "hello")
    expect(log).to_contain_text("virtual assistant", timeout=WAIT_MS)
    first_id = session_id(page)
    assert len(first_id) == 32, "the gateway issued the id"

    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("log")).to_contain_text("hello", timeout=WAIT_MS)
    assert page.locator(".nimbus-msg").count() == 2, "a reload restores each message once"
    assert session_id(page) == first_id, "the id and its secret brought the conversation back"
    say(page, "/restart")
    expect(page.get_by_role("status")).to_contain_text("can't start with", timeout=WAIT_MS)

    verify_as_jane_and_get_the_bill(page)
    url, headers = handed_to_ada(stack, page)
    hostile = "<img src=x onerror=alert(1)>Hi, this is Ada"
    requests.post(f"{url}/messages", headers=headers, json={"text": hostile}, timeout=10)
    expect(log).to_contain_text(hostile, timeout=WAIT_MS)
    assert page.locator(".nimbus-chat-log img").count() == 0, "text must not become HTML"
    requests.post(f"{url}/handback", headers=headers, timeout=10).raise_for_status()
    expect(log).to_contain_text("back with the virtual assistant", timeout=WAIT_MS)
    page.context.close()


def focused_text(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.textContent")


def test_keyboard_alone_opens_chats_picks_a_quick_reply_and_closes(stack, browser: Browser) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{stack.bot.gateway_url}/")
    page.keyboard.press("Tab")
    assert focused_text(page) == "Chat with us"
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your message")).to_be_focused()
    for text in ("how much do i owe on my bill", "30000001"):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log.get_by_role("button", name="My date of birth")).to_be_visible(timeout=WAIT_MS)
    for _ in range(8):  # back from the input to the quick replies above it
        page.keyboard.press("Shift+Tab")
        if focused_text(page) == "My date of birth":
            break
    assert focused_text(page) == "My date of birth"
    page.keyboard.press("Enter")
    expect(log).to_contain_text("(for example 14/03/1985)", timeout=WAIT_MS)
    page.keyboard.press("Escape")
    expect(page.get_by_role("log")).to_be_hidden()
    assert focused_text(page) == "Chat with us"
    page.context.close()


ENGLISH = {"Chat with us", "Close chat", "Your message", "Send", "End chat", "Virtual assistant"}


def test_french_interface(stack, browser: Browser) -> None:
    page = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
    open_widget(page, stack.bot.gateway_url, lang="fr")
    expect(page.get_by_role("button", name="Fermer la discussion")).to_be_visible()
    expect(page.locator(".nimbus-chat-who")).to_have_text("Vous parlez à : Assistant virtuel")
    say(page, "hello", label="Votre message")
    expect(page.locator(".nimbus-msg-bot .nimbus-msg-who").first).to_have_text(
        "Assistant virtuel", timeout=WAIT_MS
    )
    expect(page.locator(".nimbus-msg-user .nimbus-msg-who")).to_have_text("Vous")

    headers = login(stack, "ada")  # the gateway's own lines follow the widget's language
    say(page, "I want to talk to a human", label="Votre message")
    expect(page.get_by_role("status")).to_contain_text("dans la file", timeout=WAIT_MS)
    url = f"{stack.bot.gateway_url}/api/conversations/{session_id(page)}"
    requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
    log = page.get_by_role("log")
    expect(log).to_contain_text(
        "ada, de notre équipe d'assistance, a rejoint la conversation.", timeout=WAIT_MS
    )
    requests.post(f"{url}/handback", headers=headers, timeout=10).raise_for_status()
    expect(page.get_by_role("status")).not_to_contain_text("ada", timeout=WAIT_MS)
    page.get_by_role("button", name="Terminer la discussion").click()
    rating = page.get_by_role("group", name="Êtes-vous satisfait de cette discussion ?")
    expect(rating.get_by_role("button", name="1 – Très insatisfait")).to_be_focused()
    chrome = page.locator(".nimbus-chat button, .nimbus-chat label, .nimbus-chat-who")
    assert not set(chrome.all_inner_texts()) & ENGLISH
    assert page.locator(".nimbus-chat").get_attribute("lang") == "fr"
    notice = page.locator(".nimbus-chat-notice")
    expect(notice).to_contain_text("Vous discutez avec un assistant virtuel")
    link = notice.get_by_role("link", name="Comment nous utilisons vos données personnelles")
    page.goto(link.get_attribute("href"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("vos données personnelles")
    page.context.close()


def test_reconnect_after_a_network_loss_loses_no_message(stack, browser: Browser) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, stack.bot.gateway_url)
    log = page.get_by_role("log")
    url, headers = handed_to_ada(stack, page)

    page.context.set_offline(True)
    expect(page.get_by_role("status")).to_contain_text("Connection lost", timeout=WAIT_MS)
    sent = requests.post(f"{url}/messages", headers=headers, json={"text": "Are you still there?"}, timeout=10)  # fmt: skip
    sent.raise_for_status()
    say(page, "Sorry, my train went into a tunnel")
    page.wait_for_timeout(1500)  # the widget keeps trying while offline
    expect(log).not_to_contain_text("Are you still there?")

    page.context.set_offline(False)
    expect(log).to_contain_text("Are you still there?", timeout=WAIT_MS)
    expect(page.get_by_role("status")).not_to_contain_text("Connection lost", timeout=WAIT_MS)

    def transcript() -> list[str]:
        messages = requests.get(url, headers=headers, timeout=10).json()["transcript"]
        return [m["text"] for m in messages]

    expect(log).to_contain_text("tunnel")
    for _ in range(50):
        if "Sorry, my train went into a tunnel" in transcript():
            break
        page.wait_for_timeout(200)
    assert transcript().count("Sorry, my train went into a tunnel") == 1
    assert page.locator(".nimbus-msg", has_text="tunnel").count() == 1
    assert page.locator(".nimbus-msg", has_text="Are you still there?").count() == 1
    shown = page.locator(".nimbus-msg-text").all_inner_texts()
    assert shown == transcript(), "the widget shows exactly what was stored, in order"
    requests.post(f"{url}/close", headers=headers, timeout=10).raise_for_status()
    page.context.close()
