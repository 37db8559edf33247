"""The bot trainers' page in Chromium, on a gateway of its own: the messages the bot missed
(paraphrases of three requests, in French and English, written into `misunderstood_texts` as
the reports' fold would), grouped by meaning with the real sentence encoder, filtered, labelled
into copies of the NLU data, ignored; non-trainers turned away; all of it with the keyboard
alone, at a phone's width.

Its gateway is `trainer_gateway`'s. Each test starts from the same inbox and the same data
files (`fresh`).
"""

# Fixtures come from trainer_gateway: arguments named `trainer` and `fresh` are them.
# ruff: noqa: F811

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AGENTS, WAIT_MS
from tests.e2e.pages import PHONE, low_contrast, screenshot
from tests.e2e.trainer_gateway import (  # noqa: F401  (fixtures: trainer, fresh)
    AGENT_PHONE,
    CONVERSATION,
    INTENTS,
    MANAGER,
    MISSED,
    TRAINER,
    Trainer,
    browse,
    card,
    examples,
    fresh,
    group_of,
    inbox_answer,
    label_requests,
    query_of,
    trainer,
)

pytestmark = pytest.mark.e2e


def test_a_trainer_sees_the_groups_labels_one_and_ignores_another(
    fresh: Trainer, browser: Browser
) -> None:
    page, complaints = browse(browser)
    labels = label_requests(page)
    page.goto(f"{fresh.url}/trainer")
    with page.expect_response(inbox_answer, timeout=WAIT_MS * 2) as answer:  # encoder loads
        page.get_by_label("Username").fill(TRAINER[0])
        page.get_by_label("Password").fill(TRAINER[1])
        page.get_by_role("button", name="Sign in").click()
    inbox = answer.value.json()
    assert query_of(answer.value.url)["state"] == "new"

    # Three requests, three groups; each holds its French and English paraphrases.
    bill, router, football = (group_of(inbox, request) for request in MISSED)
    messages = sum(times for texts in MISSED.values() for _, _, times in texts)
    assert len(inbox["groups"]) == 3 and inbox["messages"] == messages, inbox
    for group, request in ((bill, "bill"), (router, "router"), (football, "football")):
        assert group["languages"] == ["en", "fr"], group
        assert group["count"] == sum(times for _, _, times in MISSED[request])
    assert len(bill["texts"]) == 5  # the two spellings of one text are one text
    expect(page.locator("li.group")).to_have_count(3)
    bill_card = card(page, bill)
    expect(bill_card.locator(".facts")).to_contain_text(
        f"{bill['count']} messages · {bill['conversations']} conversations · English, French"
    )
    expect(bill_card.locator(".badge")).to_have_text("New")
    checked, failures = low_contrast(page, "body")
    assert checked > 20 and failures == [], failures

    # The French messages alone: the same groups, each with its French texts only.
    with page.expect_response(
        lambda r: inbox_answer(r) and query_of(r.url).get("language") == "fr"
    ) as french:
        page.get_by_label("Language").select_option("fr")
    in_french = french.value.json()
    assert all(g["languages"] == ["fr"] for g in in_french["groups"]), in_french
    expect(page.locator("li.group")).to_have_count(3)
    expect(card(page, group_of(in_french, "bill", "fr")).locator("tbody tr")).to_have_count(2)
    assert "language=fr" in page.url  # kept in the address: a reload shows the same
    with page.expect_response(lambda r: inbox_answer(r) and "language" not in query_of(r.url)):
        page.get_by_label("Language").select_option("")

    # A group opened: its texts, with their languages and counts, French marked as French.
    bill_card.get_by_text("5 distinct texts").click()
    rows = bill_card.locator("tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_be_visible()
    french_row = bill_card.locator('tbody tr[data-language="fr"]').first
    expect(french_row.locator("td").first).to_have_attribute("lang", "fr")
    expect(french_row).to_contain_text("French")
    shot = screenshot(page, "trainer.png")  # the one docs/screenshots shows
    assert shot.stat().st_size > 20_000

    # Labelled: one request per language, every text added, the group leaves the new ones.
    bill_card.get_by_role("button", name="Label…").click()
    dialog = page.get_by_role("dialog", name="Label these messages")
    expect(dialog).to_be_visible()
    intent = dialog.get_by_label("Intent", exact=True)
    expect(intent.locator("option", has_text="faq/opening_hours")).to_have_count(1)
    expect(dialog.get_by_role("checkbox")).to_have_count(5)
    for box in dialog.get_by_role("checkbox").all():
        expect(box).to_be_checked()
    intent.select_option(INTENTS["bill"])
    dialog.get_by_role("button", name="Add examples").click()
    added = dialog.locator('.outcome[data-status="added"]')
    expect(added).to_have_count(5, timeout=WAIT_MS)
    expect(dialog.locator(".outcome")).to_have_count(5)
    expect(dialog.locator("#retrain")).to_have_text(
        "Retrain with make model for the bot to use the new examples."
    )
    expect(dialog).to_contain_text("Written to data/nlu/en/billing.yml.")
    expect(dialog).to_contain_text("Written to data/nlu/fr/billing.yml.")
    sent = [json.loads(request.post_data or "{}") for request in labels]
    assert sorted(body["language"] for body in sent) == ["en", "fr"], sent
    for body in sent:
        expected = {t["text"] for t in bill["texts"] if t["language"] == body["language"]}
        assert body["intent"] == INTENTS["bill"] and body["new_intent"] is False
        assert set(body["texts"]) == expected
    # Written into the copies, in the intent's own files, and into the regression set.
    assert "how much do I still owe on my invoice" in examples(
        fresh.data / "en" / "billing.yml", INTENTS["bill"]
    )
    assert "quel est le montant restant sur ma dernière facture" in examples(
        fresh.data / "fr" / "billing.yml", INTENTS["bill"]
    )
    regression = [json.loads(line) for line in fresh.regression.read_text("utf-8").splitlines()]
    assert len(regression) == 5 and {r["author"] for r in regression} == {TRAINER[0]}

    with page.expect_response(inbox_answer):
        dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("li.group")).to_have_count(2)
    expect(bill_card).to_have_count(0)
    # The focus is not lost with the card: it is on the group now in its place.
    page.wait_for_function("document.activeElement.closest('li.group') !== null")

    # Another group ignored: it leaves the list, and is found among the ignored ones.
    football_card = card(page, football)
    with page.expect_request(lambda r: r.url.endswith("/api/trainer/inbox/state")) as changed:
        football_card.get_by_role("button", name="Ignore").click()
    body = json.loads(changed.value.post_data or "{}")
    assert body["state"] == "ignored" and len(body["items"]) == len(football["texts"])
    expect(football_card).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text(f"Ignored: “{football['representative']}”.")
    page.get_by_label("Showing").select_option("ignored")
    expect(page.locator("li.group")).to_have_count(1)
    expect(football_card.locator(".badge")).to_have_text("Ignored")
    page.get_by_label("Showing").select_option("done")
    expect(page.locator("li.group")).to_have_count(1)
    expect(bill_card.locator(".badge")).to_have_text("Done")
    expect(bill_card.get_by_role("button", name="Mark done")).to_have_count(0)
    assert complaints == [], complaints
    page.context.close()


def test_a_trainer_reads_the_conversation_around_a_text(fresh: Trainer, browser: Browser) -> None:
    page, complaints = browse(browser)
    page.goto(f"{fresh.url}/trainer")
    with page.expect_response(inbox_answer, timeout=WAIT_MS * 2) as answer:
        page.get_by_label("Username").fill(TRAINER[0])
        page.get_by_label("Password").fill(TRAINER[1])
        page.get_by_role("button", name="Sign in").click()
    router = group_of(answer.value.json(), "router")
    router_card = card(page, router)
    router_card.get_by_text(f"{len(router['texts'])} distinct texts").click()
    missed = MISSED["router"][0][1]

    with page.expect_response(lambda r: "/api/trainer/inbox/conversations" in r.url) as asked:
        router_card.get_by_role("button", name=f"Show the conversations of “{missed}”").click()
    query = query_of(asked.value.url)
    assert (query["text_language"], query["limit"]) == ("en", "5") and "state" not in query
    dialog = page.get_by_role("dialog", name="Conversations around this text")
    expect(dialog).to_be_visible()
    # Its two messages were said in one conversation; the gateway has its lines.
    expect(dialog.get_by_role("status")).to_have_text("2 messages in 1 conversation.")
    lines = dialog.locator("li.line")
    expect(lines).to_have_count(len(CONVERSATION))
    speakers = [line.get_attribute("data-speaker") for line in lines.all()]
    assert speakers == ["customer", "bot", "customer", "bot", "customer", "system", "agent"]
    asked_line = dialog.locator("li.line.asked")
    expect(asked_line).to_have_count(1)
    expect(asked_line).to_contain_text(missed)
    expect(asked_line).to_contain_text("In the inbox")
    expect(asked_line.locator(".nlu")).to_have_text("nlu_fallback (0.42)")
    expect(dialog.locator("ol.transcript")).to_have_attribute("lang", "en")
    agent = lines.nth(6)
    expect(agent).to_contain_text("Ada here")
    expect(agent).not_to_contain_text(AGENT_PHONE)  # redacted at rest, and again when shown
    expect(dialog.locator(".excerpt h3")).to_contain_text("English · Not understood")
    checked, failures = low_contrast(page, "#context-dialog")
    assert checked > 10 and failures == [], failures
    if os.environ.get("SCREENSHOTS"):
        screenshot(page, "trainer-context.png")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(
        router_card.get_by_role("button", name=f"Show the conversations of “{missed}”")
    ).to_be_focused()

    # A text whose conversation neither the gateway nor Rasa keeps any more.
    rest_only = MISSED["router"][1][1]
    router_card.get_by_role("button", name=f"Show the conversations of “{rest_only}”").click()
    expect(dialog.locator(".excerpt")).to_contain_text("no longer kept")
    page.keyboard.press("Escape")
    assert complaints == [], complaints
    page.context.close()


@pytest.mark.parametrize(
    ("account", "link", "href"),
    [
        (("ada", AGENTS["ada"]), "Go to the agent console", "/console"),
        (MANAGER, "Go to the dashboard", "/dashboard"),
    ],
    ids=["agent", "manager"],
)
def test_a_non_trainer_is_told_the_page_is_for_bot_trainers(
    trainer: Trainer, browser: Browser, account: tuple[str, str], link: str, href: str
) -> None:
    page, complaints = browse(browser)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{trainer.url}/trainer")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Username").fill(account[0])
    page.get_by_label("Password").fill(account[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Bot trainers only")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#gate-text")).to_contain_text("for bot trainers and admins")
    expect(page.get_by_role("link", name=link)).to_have_attribute("href", href)
    expect(page.locator("#inbox")).to_be_hidden()
    assert not [url for url in asked if "/api/trainer/" in url], asked
    # Signed in here only to be turned away: signed out again.
    assert page.evaluate("window.sessionStorage.getItem('nimbus-agent-token')") is None
    assert complaints == [], complaints
    page.context.close()


def focused(page: Page) -> dict[str, Any]:
    """What has the focus: its id or action, the group it is in, and whether it is outlined."""
    return page.evaluate(
        """() => { const node = document.activeElement, group = node.closest('li.group');
             return {id: node.id, tag: node.tagName, action: node.getAttribute('data-action'),
                     context: node.hasAttribute('data-context') && node.getAttribute('data-text'),
                     group: group && group.getAttribute('data-key'),
                     outlined: getComputedStyle(node).outlineStyle !== 'none'}; }"""
    )


def tab_to(page: Page, wanted: Any, most: int = 40) -> list[dict[str, Any]]:
    """Tab until `wanted(focused)`; every stop on the way must show where the focus is."""
    passed = []
    for _ in range(most):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["outlined"] or now["tag"] == "BODY", now
        passed.append(now)
        if wanted(now):
            return passed
    raise AssertionError(f"never reached: {passed}")


def test_the_whole_flow_works_with_the_keyboard_alone_on_a_phone(
    fresh: Trainer, browser: Browser
) -> None:
    page, complaints = browse(browser, PHONE)
    page.goto(f"{fresh.url}/trainer")
    tab_to(page, lambda f: f["id"] == "username", most=5)
    page.keyboard.type(TRAINER[0])
    page.keyboard.press("Tab")
    page.keyboard.type(TRAINER[1])
    with page.expect_response(inbox_answer, timeout=WAIT_MS * 2) as answer:
        page.keyboard.press("Enter")
    inbox = answer.value.json()
    router, football = group_of(inbox, "router"), group_of(inbox, "football")
    expect(page.locator("li.group")).to_have_count(3)
    # Nothing wider than the phone; every control named (fields by <label>, buttons by text).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    unnamed = page.evaluate(
        """() => Array.from(document.querySelectorAll('select, input, button, summary'))
             .filter((node) => node.getClientRects().length)
             .filter((node) => ['BUTTON', 'SUMMARY'].includes(node.tagName)
                               ? !node.textContent.trim() : !node.labels.length)
             .map((node) => node.outerHTML.slice(0, 80))"""
    )
    assert unnamed == [], unnamed

    # A filter changed from the keyboard: the list is asked again in French.
    page.evaluate("document.activeElement.blur()")
    reached = tab_to(page, lambda f: f["id"] == "language")
    assert reached[-2]["id"] == "period", reached
    with page.expect_response(lambda r: inbox_answer(r) and query_of(r.url).get("language")):
        page.keyboard.press("ArrowDown")  # English
    with page.expect_response(lambda r: inbox_answer(r) and "language" not in query_of(r.url)):
        page.keyboard.press("ArrowUp")  # all languages again

    # The router group: opened, labelled, from its summary on.
    tab_to(page, lambda f: f["group"] == router["key"] and f["tag"] == "SUMMARY")
    page.keyboard.press("Enter")
    expect(card(page, router).locator("tbody tr").first).to_be_visible()
    # Its first text's conversation read, then closed with Escape: back where it was.
    first = router["texts"][0]["text"]
    tab_to(page, lambda f: f["group"] == router["key"] and f["context"] == first, most=6)
    page.keyboard.press("Enter")
    around = page.get_by_role("dialog", name="Conversations around this text")
    expect(around.locator("li.line")).not_to_have_count(0, timeout=WAIT_MS)
    expect(page.locator("#context-title")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.keyboard.press("Escape")
    expect(around).to_be_hidden()
    assert focused(page)["context"] == first
    passed = tab_to(page, lambda f: f["group"] == router["key"] and f["action"] == "label")
    assert passed[-1]["action"] == "label"
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Label these messages")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Intent", exact=True)).to_be_focused()
    page.keyboard.type(INTENTS["router"])  # a closed select picks the option typed
    expect(dialog.get_by_label("Intent", exact=True)).to_have_value(INTENTS["router"])
    stops = tab_to(page, lambda f: f["id"] == "label-submit", most=12)
    assert sum(f["id"].startswith("label-text-") for f in stops) == len(router["texts"])
    page.keyboard.press("Enter")
    outcomes = dialog.locator(".outcome")
    expect(outcomes).to_have_count(len(router["texts"]), timeout=WAIT_MS)
    # One of them was an example of the intent already: skipped, and says so.
    expect(dialog.locator('.outcome[data-status="added"]')).to_have_count(3)
    expect(dialog.locator('.outcome[data-status="skipped"]')).to_contain_text(
        f"already an example of {INTENTS['router']}"
    )
    expect(page.locator("#results-title")).to_be_focused()
    tab_to(page, lambda f: f["id"] == "label-cancel", most=3)
    with page.expect_response(inbox_answer):
        page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(card(page, router)).to_have_count(0)
    # On the group now in the router's place.
    page.wait_for_function("document.activeElement.closest('li.group') !== null")

    # The football group ignored, from the keyboard too.
    tab_to(page, lambda f: f["group"] == football["key"] and f["action"] == "ignored")
    with page.expect_response(inbox_answer):
        page.keyboard.press("Enter")
    expect(card(page, football)).to_have_count(0)
    expect(page.locator("li.group")).to_have_count(1)
    assert complaints == [], complaints
    page.context.close()
