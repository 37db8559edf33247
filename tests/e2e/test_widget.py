"""The customer widget in headless Chromium (Debian's), against the whole running assistant."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import (
    PHONE,
    WIDGET,
    AgentSocket,
    end_chat,
    log_at_bottom,
    low_contrast,
    open_widget,
    rate,
    say,
    session_id,
    verify_as_jane_and_get_the_bill,
    widget_topics,
)
from tests.e2e.test_french import WidgetChat
from tests.e2e.test_handover import login

pytestmark = pytest.mark.e2e


def handed_to_ada(stack, page: Page, lang: str = "en") -> tuple[str, dict[str, str]]:
    """Ask for a person and have ada accept by REST: the conversation's URL and ada's headers."""
    headers = login(stack, "ada")
    text = WIDGET[lang]
    say(page, text["ask_person"], label=text["label"])
    expect(page.get_by_role("status")).to_contain_text(text["queued"], timeout=WAIT_MS)
    url = f"{stack.bot.gateway_url}/api/conversations/{session_id(page)}"
    requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
    assigned = text["assigned"].format(name="ada")
    expect(page.get_by_role("status")).to_have_text(assigned, timeout=WAIT_MS)
    return url, headers


def close(url: str, headers: dict[str, str]) -> None:
    """The agent closes the conversation, with the wrap-up reason the API asks for."""
    answer = requests.post(f"{url}/close", headers=headers, json={"reason": "resolved"}, timeout=10)
    answer.raise_for_status()


def test_widget_bill_reload_person_and_hand_back(stack, browser: Browser) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, stack.bot.gateway_url)
    notice = page.locator(".nimbus-chat-notice")
    expect(notice).to_contain_text("Answers come from our virtual assistant")
    privacy = notice.get_by_role("link", name="How we use your personal data")
    assert privacy.get_attribute("href") == f"{stack.bot.gateway_url}/privacy?lang=en"
    log = page.get_by_role("log")
    say(page, "hello")
    expect(log.locator(".nimbus-msg-bot")).to_contain_text("virtual assistant", timeout=WAIT_MS)
    first_id = session_id(page)
    assert len(first_id) == 32, "the gateway issued the id"

    page.reload()  # the widget stays open
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
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
    end_chat(page, lang="fr")
    rating = page.get_by_role("group", name="Êtes-vous satisfait de cette discussion ?")
    expect(rating.get_by_role("button", name="1 – Très insatisfait")).to_be_focused(timeout=WAIT_MS)
    chrome = page.locator(".nimbus-chat button, .nimbus-chat label, .nimbus-chat-who")
    assert not set(chrome.all_inner_texts()) & ENGLISH
    assert page.locator(".nimbus-chat").get_attribute("lang") == "fr"
    notice = page.locator(".nimbus-chat-notice")
    expect(notice).to_contain_text("Notre assistant virtuel vous répond")
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
    close(url, headers)
    page.context.close()


# -- a new conversation: the greeting, its topics, the placeholder ------------------------

GREETING = {"en": "I'm the Nimbus virtual assistant", "fr": "je suis l'assistant virtuel de Nimbus"}
FIRST_ANSWER = {"en": "What's your account number?", "fr": "Quel est votre numéro de compte ?"}
# The intent each topic of widget.js stands for, in its order there.
TOPIC_INTENTS = ["check_bill_balance", "track_order", "reset_password", "check_outage"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_new_conversation_is_greeted_with_topics_and_a_topic_gets_the_bots_answer(
    stack, browser: Browser, lang: str
) -> None:
    page = browser.new_context(viewport=PHONE, locale=f"{lang}-GB").new_page()
    open_widget(page, stack.bot.gateway_url, lang=lang)
    text = WIDGET[lang]
    log, status = page.get_by_role("log"), page.get_by_role("status")
    greeting = log.locator(".nimbus-greeting")
    expect(greeting).to_contain_text(GREETING[lang], timeout=WAIT_MS)
    assert page.get_by_label(text["label"]).get_attribute("placeholder") == text["placeholder"]
    topics = log.get_by_role("group", name=text["topics"])
    expect(topics.get_by_role("button")).to_have_text(widget_topics(lang))

    bill = widget_topics(lang)[0]
    topics.get_by_role("button", name=bill).click()
    expect(log.locator(".nimbus-msg-bot").first).to_contain_text(
        FIRST_ANSWER[lang], timeout=WAIT_MS
    )
    expect(topics).to_have_count(0)  # offered once, before the first message
    expect(status).to_have_text("")  # not refused: the words went, not a /command

    page.reload()  # the greeting is the widget's: once the conversation has messages, it is gone
    expect(log.locator(".nimbus-msg-user .nimbus-msg-text")).to_have_text([bill], timeout=WAIT_MS)
    expect(log.locator(".nimbus-msg-bot").first).to_contain_text(FIRST_ANSWER[lang])
    expect(greeting).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("index", range(len(TOPIC_INTENTS)))
def test_each_suggested_topic_is_understood_in_its_language(stack, lang: str, index: int) -> None:
    customer = WidgetChat(stack, language=lang)
    topic = widget_topics(lang)[index]
    customer.say(topic)
    tracker = requests.get(
        f"{stack.bot.rasa_url}/conversations/{customer.sender}/tracker",
        params={"token": stack.bot.rasa_token},
        timeout=10,
    )
    tracker.raise_for_status()
    understood = tracker.json()["latest_message"]["intent"]
    assert understood["name"] == TOPIC_INTENTS[index], f"{topic!r}: {understood}"


# -- links, reloads, and who the header names ----------------------------------------------

# What an agent could paste, hostile or not: only the http(s) addresses become links.
HOSTILE = (
    "Plans: https://www.nimbus-telecom.example/plans. Wiki (https://en.wikipedia.org/wiki/SIM_(card)) "
    'javascript:alert(1) JAVASCRIPT:alert(2)//https://x.example/a data:text/html,<b>x</b> '
    '<a href="javascript:alert(3)">pay</a> https://evil.example/"onmouseover=alert(4) http:// '
    "ftp://files.example/f"
)  # fmt: skip
HOSTILE_LINKS = [
    "https://www.nimbus-telecom.example/plans",
    "https://en.wikipedia.org/wiki/SIM_(card)",
    "https://x.example/a",
    "https://evil.example/",
]


def anchors(page: Page, selector: str) -> list[dict[str, str | None]]:
    return page.locator(f"{selector} a").evaluate_all(
        "(links) => links.map((a) => ({href: a.getAttribute('href'), text: a.textContent,"
        " rel: a.getAttribute('rel'), target: a.getAttribute('target'),"
        " attributes: a.getAttributeNames().join(' ')}))"
    )


def test_links_are_safe_anchors_and_a_reload_keeps_the_agent_and_the_newest_message(
    stack, browser: Browser
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, stack.bot.gateway_url)
    log = page.get_by_role("log")
    say(page, "what are your opening hours?")
    stores = "https://www.nimbus-telecom.example/stores"
    expect(log.locator(".nimbus-msg-bot a")).to_have_text([stores], timeout=WAIT_MS)
    link = {"href": stores, "text": stores, "rel": "noopener noreferrer", "target": "_blank",
            "attributes": "href target rel"}  # fmt: skip
    assert anchors(page, ".nimbus-msg-bot") == [link]

    url, headers = handed_to_ada(stack, page)
    who = page.locator(".nimbus-chat-who")
    expect(who).to_have_text("You're talking to: ada")
    requests.post(f"{url}/messages", headers=headers, json={"text": HOSTILE}, timeout=10)
    agent = log.locator(".nimbus-msg-agent .nimbus-msg-text")
    expect(agent).to_have_text([HOSTILE], timeout=WAIT_MS)  # every character shown as text
    found = anchors(page, ".nimbus-msg-agent")
    assert [a["href"] for a in found] == HOSTILE_LINKS
    assert [a["text"] for a in found] == HOSTILE_LINKS
    assert {(a["rel"], a["target"], a["attributes"]) for a in found} == {
        ("noopener noreferrer", "_blank", "href target rel")
    }
    assert page.locator(".nimbus-chat-log b, .nimbus-chat-log [onmouseover]").count() == 0
    say(page, "I looked at https://www.nimbus-telecom.example/account.")
    mine = log.locator(".nimbus-msg-user a")
    expect(mine).to_have_attribute("href", "https://www.nimbus-telecom.example/account")
    checked, failures = low_contrast(page, ".nimbus-chat")
    assert checked > 10 and not failures, failures  # links on every kind of bubble included

    for line in range(15):
        requests.post(f"{url}/messages", headers=headers, json={"text": f"Step {line + 1} of 15"}, timeout=10)  # fmt: skip
    newest = log.locator(".nimbus-msg-agent").last
    expect(newest).to_contain_text("Step 15 of 15", timeout=WAIT_MS)

    page.reload()  # still open, still with ada, at the newest message
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
    expect(newest).to_contain_text("Step 15 of 15", timeout=WAIT_MS)
    expect(who).to_have_text("You're talking to: ada")
    expect(page.get_by_role("status")).to_have_text("You're chatting with ada.")
    assert log_at_bottom(page)
    assert [a["href"] for a in anchors(page, ".nimbus-msg-agent")] == HOSTILE_LINKS

    page.get_by_role("button", name="Close chat").click()
    page.reload()  # still closed; opened, it shows the newest message
    expect(page.get_by_role("button", name="Chat with us")).to_be_visible()
    expect(log).to_be_hidden()
    page.get_by_role("button", name="Chat with us").click()
    expect(newest).to_contain_text("Step 15 of 15", timeout=WAIT_MS)
    assert log_at_bottom(page)
    close(url, headers)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_while_queued_the_header_says_the_customer_waits_for_a_person(
    stack, browser: Browser, lang: str
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, stack.bot.gateway_url, lang=lang)
    headers = login(stack, "ada")
    who, status = page.locator(".nimbus-chat-who"), page.get_by_role("status")
    text = WIDGET[lang]
    ask = {"en": "I want to talk to a human", "fr": "Je voudrais parler à un conseiller"}[lang]
    say(page, ask, label=text["label"])
    queued = {"en": "in the queue", "fr": "dans la file"}[lang]
    expect(status).to_contain_text(queued, timeout=WAIT_MS)
    expect(who).to_have_text(text["waiting"])
    # "about 1 minute", "environ 5 minutes": the count decides the word, in each language.
    wait = re.search(r"(?:about|environ) (\d+) (minutes?)\.$", status.inner_text())
    assert wait, status.inner_text()
    assert (wait.group(2) == "minute") == (int(wait.group(1)) in ((1,) if lang == "en" else (0, 1)))

    page.reload()
    expect(status).to_contain_text(queued, timeout=WAIT_MS)
    expect(who).to_have_text(text["waiting"])
    url = f"{stack.bot.gateway_url}/api/conversations/{session_id(page)}"
    requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
    expect(who).to_have_text(text["talking_to"].format(who="ada"), timeout=WAIT_MS)
    close(url, headers)
    page.context.close()


# -- ending, rating, coming back -------------------------------------------------------------

ENDED_LINE = {"en": "You ended the conversation. Write to us again any time.",
              "fr": "Vous avez mis fin à la conversation."}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_end_chat_ends_it_for_the_agent_too_then_asks_for_the_rating(
    stack, browser: Browser, lang: str
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, stack.bot.gateway_url, lang=lang)
    text, log = WIDGET[lang], page.get_by_role("log")
    who, status = page.locator(".nimbus-chat-who"), page.get_by_role("status")
    url, headers = handed_to_ada(stack, page, lang)
    agent = AgentSocket(stack.bot.gateway_url, headers)
    question = page.get_by_role("group", name=text["rate"])
    try:
        page.get_by_role("button", name=text["end"]).click()
        page.get_by_role("button", name=text["keep"]).click()  # changed their mind: nothing ends
        expect(page.get_by_role("button", name=text["confirm_end"])).to_be_hidden()
        assert requests.get(url, headers=headers, timeout=10).json()["state"] == "assigned"
        expect(question).to_have_count(0)  # no rating while the chat goes on

        end_chat(page, lang)
        expect(who).to_have_text(text["ended"], timeout=WAIT_MS)
        expect(status).to_have_text(text["closed"])
        expect(log.locator(".nimbus-msg-system").last).to_contain_text(ENDED_LINE[lang], timeout=WAIT_MS)  # fmt: skip
        expect(question.get_by_role("button").first).to_be_focused(timeout=WAIT_MS)
        expect(page.get_by_role("button", name=text["end"])).to_be_hidden()
        told = agent.wait("conversation_closed", session_id(page))
        assert (told["by"], told["outcome"]) == ("customer", "ended_by_customer"), told
        stored = requests.get(url, headers=headers, timeout=10).json()
        assert (stored["state"], stored["outcome"], stored["satisfaction"]) == ("closed", "ended_by_customer", None)  # fmt: skip
    finally:
        agent.close()
    rate(page, 2, lang)
    expect(log).to_contain_text(text["thanks"], timeout=WAIT_MS)
    assert requests.get(url, headers=headers, timeout=10).json()["satisfaction"] == 2

    page.reload()  # ended before the reload: said so, and not asked again
    expect(who).to_have_text(text["ended"], timeout=WAIT_MS)
    expect(status).to_have_text(text["closed"])
    expect(log.locator(".nimbus-msg-system").last).to_contain_text(ENDED_LINE[lang])
    expect(question).to_have_count(0)
    page.context.close()
