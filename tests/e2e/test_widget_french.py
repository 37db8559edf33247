"""The French widget in Chromium, from the bot to a person and back: the customer reads no English.

What the customer may read is everything the widget shows (text, labels, titles) but their own
messages. It is checked against the English words of what could have been said instead: the
English variations of the responses the bot sent (from its tracker), the gateway's English
lines, the canned responses' English texts and the widget's English strings, less every word
that some French text of the assistant uses too. Last, in both languages: after an agent's close
the customer writes again and is queued for a person again.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from bot.stack import ROOT
from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import (
    DESKTOP,
    PHONE,
    WIDGET,
    console_sign_in,
    end_chat,
    open_widget,
    rate,
    say,
    session_id,
)
from tests.e2e.test_french import CHLOE, english_giveaways, gateway_texts, texts, words
from tests.e2e.test_handover import login
from tests.e2e.test_widget import close, handed_to_ada

pytestmark = pytest.mark.e2e

LABEL = "Votre message"
# Every text node and accessible name in the widget, but the customer's own messages.
VISIBLE_TEXT_JS = """(root) => {
  const shown = (el) => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden";
  const mine = (el) => el.closest(".nimbus-msg-user");
  const found = [];
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (node.textContent.trim() && shown(el) && !mine(el)) found.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll(`${root} [aria-label], ${root} [title]`)) {
    if (!shown(el) || mine(el)) continue;
    for (const name of ["aria-label", "title"]) if (el.getAttribute(name)) found.push(el.getAttribute(name));
  }
  return found;
}"""


def widget_strings(language: str) -> list[str]:
    """The widget's own strings in `language` (widget.js, STRINGS)."""
    source = (ROOT / "handover" / "static" / "widget.js").read_text(encoding="utf-8")
    english, french = source.index("\n    en: {"), source.index("\n    fr: {")
    block = source[english:french] if language == "en" else source[french : source.index("}[lang]")]
    return re.findall(r'"([^"]+)"', block)


def sent_responses(stack, conversation_id: str) -> list[str]:
    """The domain responses the bot sent in the conversation, from its tracker."""
    tracker = requests.get(
        f"{stack.bot.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.bot.rasa_token},
        timeout=10,
    )
    tracker.raise_for_status()
    events = tracker.json()["events"]
    return [e["metadata"]["utter_action"] for e in events if e["event"] == "bot"]


def visible_text(page: Page) -> list[str]:
    return page.evaluate(VISIBLE_TEXT_JS, ".nimbus-chat")


def test_french_widget_bot_person_canned_reply_and_back_to_the_bot(stack, browser: Browser) -> None:
    url = stack.bot.gateway_url
    agent = browser.new_page(viewport=DESKTOP)
    console_sign_in(agent, url, "ada")
    page = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
    open_widget(page, url, lang="fr")
    log, status = page.get_by_role("log"), page.get_by_role("status")
    seen: list[str] = []

    def step(message: str, *answers: str) -> None:
        """Say `message`; wait for each answer; keep what the widget shows then."""
        say(page, message, label=LABEL)
        for answer in answers:
            expect(log).to_contain_text(answer, timeout=WAIT_MS)
        seen.extend(visible_text(page))

    seen.extend(visible_text(page))
    step("Bonjour ! Je voudrais vérifier ma facture, s'il vous plaît.", "Quel est votre numéro de compte ?")  # fmt: skip
    step(CHLOE["account"], "Comment souhaitez-vous confirmer votre identité ?")
    log.get_by_role("button", name="Avec ma date de naissance").click()
    expect(log).to_contain_text("Quelle est votre date de naissance ?", timeout=WAIT_MS)
    step(
        CHLOE["dob"],
        "Merci Chloé, votre identité est confirmée.",
        "Compte 30000007 : rien à régler pour le moment.",
        "Souhaitez-vous voir le détail de votre dernière facture ?",
    )
    log.get_by_role("button", name="Non, merci").click()
    expect(log).to_contain_text("Pas de problème. Puis-je vous aider pour autre chose ?", timeout=WAIT_MS)  # fmt: skip
    step("En fait, j'aimerais parler à quelqu'un de chez vous.", "Je vous mets en relation avec un membre de notre équipe")  # fmt: skip
    expect(status).to_contain_text("dans la file", timeout=WAIT_MS)
    seen.extend(visible_text(page))

    agent.get_by_role("button", name="Accept chat with Chloé Martin").click()
    expect(log).to_contain_text("ada, de notre équipe d'assistance, a rejoint la conversation.", timeout=WAIT_MS)  # fmt: skip
    expect(page.locator(".nimbus-chat-who")).to_have_text("Vous parlez à : ada")
    seen.extend(visible_text(page))
    reply = agent.get_by_label("Reply")
    reply.fill("/hi")
    reply.press("Tab")  # the canned response's shortcut: its French variant, in a French chat
    expect(reply).to_have_value(re.compile(r"^Bonjour Chloé, je suis ada, de l'équipe d'assistance Nimbus"))  # fmt: skip
    reply.press("Enter")
    expect(log).to_contain_text("Bonjour Chloé, je suis ada", timeout=WAIT_MS)
    expect(page.locator(".nimbus-msg-agent .nimbus-msg-who").last).to_have_text("ada · équipe Nimbus")  # fmt: skip
    seen.extend(visible_text(page))
    step("Merci ! Je voulais savoir quand aura lieu mon prochain prélèvement.")
    expect(agent.get_by_role("log", name="Transcript")).to_contain_text("mon prochain prélèvement", timeout=WAIT_MS)  # fmt: skip

    agent.get_by_role("button", name="Hand back to the bot").click()
    expect(log).to_contain_text("Vous êtes de nouveau avec l'assistant virtuel. Puis-je vous aider pour autre chose ?", timeout=WAIT_MS)  # fmt: skip
    expect(page.locator(".nimbus-chat-who")).to_have_text("Vous parlez à : Assistant virtuel")
    seen.extend(visible_text(page))
    step("Est-ce que votre service client est ouvert le dimanche ?")
    expect(page.locator(".nimbus-msg-bot").last).to_contain_text("Notre service client est joignable", timeout=WAIT_MS)  # fmt: skip
    seen.extend(visible_text(page))
    end_chat(page, lang="fr")  # ended with the bot: then the rating, stored on that contact
    expect(page.locator(".nimbus-chat-who")).to_have_text("Conversation terminée", timeout=WAIT_MS)
    expect(log).to_contain_text("Vous avez mis fin à la conversation.", timeout=WAIT_MS)
    seen.extend(visible_text(page))
    rate(page, 5, lang="fr")
    expect(log).to_contain_text("Merci pour votre avis.", timeout=WAIT_MS)
    seen.extend(visible_text(page))
    # Written after the end: the conversation reopens, and a person can be asked for again.
    step("Finalement, je voudrais parler à un conseiller.", "Je vous mets en relation avec un membre de notre équipe")  # fmt: skip
    expect(status).to_contain_text("dans la file", timeout=WAIT_MS)
    expect(page.locator(".nimbus-chat-who")).to_have_text("En attente d'un conseiller")
    seen.extend(visible_text(page))
    accept = agent.get_by_role("button", name="Accept chat with Chloé Martin")
    expect(accept).to_be_visible(timeout=WAIT_MS)
    conversation = f"{url}/api/conversations/{session_id(page)}"
    headers = login(stack, "ada")
    stored = requests.get(conversation, headers=headers, timeout=10).json()
    ended = stored["episodes"][0]
    assert (stored["state"], ended["outcome"], ended["satisfaction"]) == ("queued", "resolved_by_bot", 5)  # fmt: skip

    sent = sent_responses(stack, session_id(page))
    assert {"utter_verified_named", "utter_handback", "utter_faq/opening_hours"} <= set(sent)
    # The gateway's lines and the canned responses in English, whichever were said.
    english = [*texts("en", sent), *gateway_texts("en"), *widget_strings("en")]
    giveaways = english_giveaways(english, french=widget_strings("fr"))
    assert {"thanks", "your", "has", "joined", "closed", "virtual"} <= giveaways
    shown = set().union(*map(words, seen))
    leaked = shown & giveaways
    where = sorted({text for text in seen if words(text) & leaked})
    assert not leaked, f"English in the French widget: {sorted(leaked)} in {where}"
    accept.click()
    expect(status).to_have_text("Vous discutez avec ada.", timeout=WAIT_MS)
    close(conversation, headers)
    agent.close()
    page.context.close()


CLOSED_LINE = {"en": "ada has closed the conversation.", "fr": "ada a clôturé la conversation."}
OPENING_HOURS = {"en": "what are your opening hours?", "fr": "Quels sont vos horaires d'ouverture ?"}  # fmt: skip
TICKET = {"en": "working day", "fr": "jour ouvré"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_after_an_agent_closes_writing_again_reopens_and_a_person_can_be_asked_again(
    stack, browser: Browser, lang: str
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, stack.bot.gateway_url, lang=lang)
    text, log = WIDGET[lang], page.get_by_role("log")
    who, status = page.locator(".nimbus-chat-who"), page.get_by_role("status")
    url, headers = handed_to_ada(stack, page, lang)
    close(url, headers)
    expect(log.locator(".nimbus-msg-system").last).to_contain_text(CLOSED_LINE[lang], timeout=WAIT_MS)  # fmt: skip
    expect(who).to_have_text(text["ended"])
    question = page.get_by_role("group", name=text["rate"])
    expect(question).to_be_visible()  # offered, not forced: the input stays usable

    say(page, OPENING_HOURS[lang], label=text["label"])  # not rated: the question goes
    expect(question).to_have_count(0)
    expect(who).to_have_text(text["talking_to"].format(who=text["bot"]), timeout=WAIT_MS)
    stores = "https://www.nimbus-telecom.example/stores"  # the bot answers again
    expect(log.locator(".nimbus-msg-bot").last).to_contain_text(stores, timeout=WAIT_MS)
    say(page, text["ask_person"], label=text["label"])
    expect(status).to_contain_text(text["queued"], timeout=WAIT_MS)
    expect(who).to_have_text(text["waiting"])
    queue = requests.get(f"{stack.bot.gateway_url}/api/queue", headers=headers, timeout=10).json()
    assert session_id(page) in [item["conversation_id"] for item in queue["items"]]
    stored = requests.get(url, headers=headers, timeout=10).json()
    assert (stored["state"], stored["episode"]) == ("queued", 2), stored
    assert [e["outcome"] for e in stored["episodes"]][:1] == ["resolved_by_agent"]
    expect(log).not_to_contain_text(TICKET[lang])  # queued for a person, not a ticket
    requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
    expect(status).to_have_text(text["assigned"].format(name="ada"), timeout=WAIT_MS)
    close(url, headers)
    page.context.close()
