"""The models and roll-out page in Chromium, on a gateway of its own (`models_gateway`): the
registry's table, a model's evaluation opened, the publish dialog (force offered only for the
model whose verdict failed), the canary's arms side by side, promotion with a reason and its
audit line; a training followed from its queueing to its end (the test plays the worker: no
training runs); the same with the keyboard alone at a phone's width; non-trainers turned away.
No console error and no Content-Security-Policy complaint anywhere.

`SCREENSHOTS=1` copies the page's screenshot (1366×768, the canary's arms shown) to
docs/screenshots/trainer-models.png; it is always saved under build/screenshots.
"""

# Fixtures come from models_gateway: arguments named `models_gateway` and `fresh` are them.
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from bot.stack import ROOT
from tests.e2e.conftest import WAIT_MS
from tests.e2e.models_gateway import DEFAULT_SHARE, Models, fresh, models_gateway  # noqa: F401
from tests.e2e.pages import PHONE, low_contrast, screenshot
from tests.e2e.test_trainer_page import tab_to
from tests.e2e.trainer_gateway import MANAGER, TRAINER, browse, sign_in
from tests.handover.trainer_models_rows import BAD, GOOD, LIVE

pytestmark = pytest.mark.e2e


def api_path(path: str) -> Any:
    return lambda response: response.url.split("?")[0].endswith(path)


def open_signed_in(page: Page, models: Models) -> list[dict[str, Any]]:
    """The page, signed in as the trainer with the form; the registry it listed."""
    page.goto(f"{models.url}/trainer/models")
    with page.expect_response(api_path("/api/trainer/models"), timeout=WAIT_MS) as listed:
        page.get_by_label("Username").fill(TRAINER[0])
        page.get_by_label("Password").fill(TRAINER[1])
        page.get_by_role("button", name="Sign in").click()
    return listed.value.json()


def row(page: Page, model_id: str) -> Any:
    return page.locator(f'#models tr:not(.detail)[data-model="{model_id}"]')


def audit_says(page: Page, text: str) -> Any:
    return expect(page.locator("#audit tr").first).to_contain_text(text, timeout=WAIT_MS)


def test_the_registry_an_evaluation_a_forced_canary_and_its_promotion(
    fresh: Models, browser: Browser
) -> None:
    page, complaints = browse(browser)
    listed = open_signed_in(page, fresh)
    assert [m["id"] for m in listed] == [GOOD, BAD, LIVE]
    expect(page.locator("#models tr:not(.detail)")).to_have_count(3)
    expect(row(page, LIVE).locator(".badge.role")).to_have_text("Live")
    expect(row(page, LIVE)).to_contain_text("on server a and b")
    expect(row(page, GOOD).locator(".badge.verdict")).to_have_text("Passed")
    expect(row(page, BAD).locator(".badge.verdict")).to_have_text("Failed")
    expect(row(page, BAD)).to_contain_text("6 of 17 checks failed")
    expect(page.locator("#rollout-mode")).to_have_text(
        "Every new conversation gets the live model. Try a model on a share of customers from"
        " the Models table."
    )
    expect(page.locator("#audit tr")).to_have_count(1)
    audit_says(page, f"Started with {LIVE} live")

    # The failed model's evaluation, opened in its row: the verdict in words, the sets.
    with page.expect_response(api_path(f"/api/trainer/models/{BAD}")):
        row(page, BAD).get_by_role("button", name="Evaluation").click()
    detail = page.locator(f'#models tr.detail[data-model="{BAD}"]')
    expect(detail).to_be_visible()
    expect(row(page, BAD).get_by_role("button", name="Evaluation")).to_have_attribute(
        "aria-expanded", "true"
    )
    expect(detail.locator(".verdict-line")).to_have_text(
        "Failed 6 of 17 checks against the live model it was evaluated with:"
    )
    expect(detail.locator(".failed-checks li")).to_have_count(6)
    expect(detail.locator(".failed-checks")).to_contain_text(
        "On holdout, check_bill_balance is recognised 55.0 % against 95.0 % for the live model"
        " (-40.0 points; it must stay ≥ 90.0 %)."
    )
    holdout = detail.locator('table.sets tr[data-set="holdout"]')
    expect(holdout).to_contain_text("83.3 %")
    expect(holdout.locator("td.change.worse")).to_have_count(2)
    expect(holdout.locator("td.change").first).to_have_text("−7.5 pts")
    detail.locator('details[data-set="holdout"] summary').click()
    expect(detail.locator('details[data-set="holdout"] .confusions li').first).to_have_text(
        "check_bill_balance → track_order: 7 messages"
    )
    expect(detail.locator('details[data-set="holdout"] tbody tr').first).to_contain_text(
        "check_bill_balance"
    )
    checked, failures = low_contrast(page, "body")
    assert checked > 60 and failures == [], failures

    # The passing model's dialog offers no force; the slider starts at the settings' share.
    row(page, GOOD).get_by_role("button", name="Try on a share…").click()
    dialog = page.get_by_role("dialog", name="Try on a share of customers")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Share of new conversations")).to_have_value(
        str(round(DEFAULT_SHARE * 100))
    )
    expect(dialog.get_by_role("checkbox")).to_be_hidden()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(row(page, GOOD).get_by_role("button", name="Try on a share…")).to_be_focused()

    # The failed one's: force offered with a warning, needed, and sent.
    row(page, BAD).get_by_role("button", name="Try on a share…").click()
    expect(dialog.get_by_role("checkbox", name="Publish it anyway")).to_be_visible()
    expect(dialog.locator("#force-warning")).to_contain_text(
        "Warning: this model failed its evaluation (6 of 17 checks failed)."
    )
    dialog.get_by_label("Share of new conversations").fill("25")
    expect(dialog.locator("#share-output")).to_have_text("25 %")
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.locator("#publish-error")).to_have_text(
        "Tick “Publish it anyway” to publish a model without a passed verdict."
    )
    dialog.get_by_role("checkbox", name="Publish it anyway").check()
    with page.expect_request(api_path("/api/trainer/rollout/publish")) as sent:
        dialog.get_by_role("button", name="Publish").click()
    assert json.loads(sent.value.post_data or "{}") == {
        "model_id": BAD,
        "share": 0.25,
        "force": True,
    }
    expect(dialog).to_be_hidden()
    expect(page.locator("#rollout-title")).to_be_focused()
    expect(page.locator("#rollout-mode")).to_contain_text("the candidate takes 25 % of new")
    expect(page.locator("#rollout-facts")).to_contain_text(f"{BAD} on server b")
    audit_says(
        page,
        f"Published {BAD} to 25 % of new conversations, on server b (forced: its verdict was fail)",
    )
    expect(row(page, BAD).locator(".badge.role")).to_have_text("Candidate")
    expect(page.get_by_role("button", name="Try on a share…")).to_have_count(0)

    # Rolled back by hand, with a reason: audited, idle again; server b keeps it for its chats.
    page.get_by_role("button", name="Roll back now").click()
    decide = page.get_by_role("dialog", name="Roll back now")
    expect(decide.get_by_label("Reason (kept in the audit log)")).to_be_focused()
    decide.get_by_role("button", name="Roll back").click()
    expect(decide.locator("#decide-error")).to_have_text(
        "Say why, in a few words: it goes into the audit log."
    )
    decide.get_by_label("Reason (kept in the audit log)").fill("bills confused with orders")
    decide.get_by_role("button", name="Roll back").click()
    expect(decide).to_be_hidden()
    audit_says(page, f"Rolled back {BAD}: “bills confused with orders”")
    expect(page.locator("#audit tr").first).to_contain_text(TRAINER[0])
    expect(page.locator("#rollout-facts")).to_contain_text(f"b holds {BAD}")
    expect(page.locator("#arms-box")).to_be_hidden()

    # The passing model at the settings' share, then conversations in both arms: shown side
    # by side at the next refresh, with what the gates would decide.
    row(page, GOOD).get_by_role("button", name="Try on a share…").click()
    with page.expect_request(api_path("/api/trainer/rollout/publish")) as sent:
        dialog.get_by_role("button", name="Publish").click()
    assert json.loads(sent.value.post_data or "{}") == {
        "model_id": GOOD, "share": DEFAULT_SHARE, "force": False,
    }  # fmt: skip
    expect(page.locator("#rollout-facts")).to_contain_text(f"{GOOD} on server b")
    fresh.seed_arms()
    arms = page.locator("#arms tbody")
    expect(arms.locator("tr").first).to_contain_text("Conversations2422", timeout=WAIT_MS)
    expect(arms).to_contain_text("20.8 % (5 of 24)")
    expect(arms).to_contain_text("13.6 % (3 of 22)")
    expect(arms).to_contain_text("4.50 / 5 (n = 8)")
    expect(arms.locator("tr").nth(6)).to_contain_text(" ms / ")
    expect(page.locator("#decision")).to_have_attribute("data-action", "promote")
    expect(page.locator("#decision")).to_contain_text("The gates would promote the candidate now:")
    shot = screenshot(page, "trainer-models.png")  # the one docs/screenshots shows
    assert shot.stat().st_size > 20_000
    if os.environ.get("SCREENSHOTS") == "1":
        shutil.copy(shot, ROOT / "docs" / "screenshots" / "trainer-models.png")

    # Promoted by hand, with a reason: audited, live now where it runs.
    page.get_by_role("button", name="Promote now").click()
    decide = page.get_by_role("dialog", name="Promote now")
    decide.get_by_label("Reason (kept in the audit log)").fill("fallbacks down; 20 chats read")
    decide.get_by_role("button", name="Promote").click()
    expect(decide).to_be_hidden()
    audit_says(page, f"Promoted {GOOD}: “fallbacks down; 20 chats read”")
    expect(page.locator("#rollout-facts")).to_contain_text(f"{GOOD} on server b")
    expect(row(page, GOOD).locator(".badge.role")).to_have_text("Live", timeout=WAIT_MS)
    expect(page.locator("#arms-box")).to_be_hidden()
    assert complaints == [], complaints
    page.context.close()


def test_a_training_followed_to_its_end_and_a_second_one_refused(
    fresh: Models, browser: Browser
) -> None:
    page, complaints = browse(browser)
    open_signed_in(page, fresh)
    expect(page.locator("#job")).to_be_hidden()
    # Another trainer's training, started meanwhile: this page's click is refused, and says so.
    other = sign_in(fresh.url, *TRAINER)
    started = requests.post(f"{fresh.url}/api/trainer/jobs", json={}, headers=other, timeout=30)
    assert started.status_code == 202, started.text
    job = started.json()
    with page.expect_response(api_path("/api/trainer/jobs")) as refused:
        page.get_by_role("button", name="Train a new model").click()
    assert refused.value.status == 409
    expect(page.locator("#notice")).to_have_text(
        f"Could not start the training: a training is queued already (job {job['id']}): one at"
        " a time."
    )
    expect(page.locator("#job-line")).to_contain_text("Full training: Waiting for a worker · 0 %")
    expect(page.get_by_role("button", name="Training…")).to_be_disabled()

    # The worker's part: progress and log appear at the next poll (every 2 s).
    fresh.run_job(job["id"], 0.5, "\x1b[93mEpochs: 50%|##| 50/100\x1b[0m\n")
    expect(page.locator("#job-progress")).to_have_attribute("value", "50", timeout=WAIT_MS)
    page.get_by_text("Training log").click()
    expect(page.locator("#job-log")).to_have_text("Epochs: 50%|##| 50/100\n")
    fresh.run_job(job["id"], 1.0, "registered\n", model_id=GOOD)
    expect(page.locator("#notice")).to_have_text(
        f"Training done: model {GOOD} joined the registry, evaluated.", timeout=WAIT_MS
    )
    expect(page.locator("#job-line")).to_contain_text(f"Full training done: model {GOOD}")
    expect(page.get_by_role("button", name="Train a new model")).to_be_enabled()

    # Fine-tuning now, from this page: the fraction asked for is sent.
    page.get_by_label("Fine-tune the live model").check()
    page.get_by_label("Epochs, as a share of the configured ones").select_option("0.5")
    page.get_by_label("Note for the audit log (optional)").fill("two new bill phrasings")
    with page.expect_request(api_path("/api/trainer/jobs")) as sent:
        page.get_by_role("button", name="Train a new model").click()
    body = json.loads(sent.value.post_data or "{}")
    assert body == {"finetune": True, "epoch_fraction": 0.5, "note": "two new bill phrasings"}
    expect(page.locator("#job-line")).to_contain_text("Fine-tuning (50 % of the epochs): Waiting")
    assert complaints == [], complaints
    page.context.close()


def test_the_whole_flow_with_the_keyboard_alone_on_a_phone(fresh: Models, browser: Browser) -> None:
    page, complaints = browse(browser, PHONE)
    page.goto(f"{fresh.url}/trainer/models")
    tab_to(page, lambda f: f["id"] == "username", most=5)
    page.keyboard.type(TRAINER[0])
    page.keyboard.press("Tab")
    page.keyboard.type(TRAINER[1])
    with page.expect_response(api_path("/api/trainer/models"), timeout=WAIT_MS):
        page.keyboard.press("Enter")
    expect(page.locator("#models tr:not(.detail)")).to_have_count(3)
    expect(page.locator("#audit tr")).to_have_count(1)
    # Nothing wider than the phone; every control named.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    unnamed = page.evaluate(
        """() => Array.from(document.querySelectorAll('select, input, button, summary, textarea'))
             .filter((node) => node.getClientRects().length)
             .filter((node) => ['BUTTON', 'SUMMARY'].includes(node.tagName)
                               ? !node.textContent.trim() : !node.labels.length)
             .map((node) => node.outerHTML.slice(0, 80))"""
    )
    assert unnamed == [], unnamed

    # The failed model's evaluation, from its button.
    page.evaluate("document.activeElement.blur()")
    tab_to(page, lambda f: f["action"] == "evaluation" and row_of(page) == BAD, most=30)
    with page.expect_response(api_path(f"/api/trainer/models/{BAD}")):
        page.keyboard.press("Enter")
    expect(page.locator(f'#models tr.detail[data-model="{BAD}"] .failed-checks li')).to_have_count(
        6
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The passing model tried on 35 %: the slider moved with the arrows, published with Enter.
    tab_to(page, lambda f: f["action"] == "publish" and row_of(page) == GOOD, most=40)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Try on a share of customers")
    expect(dialog.get_by_label("Share of new conversations")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(dialog.locator("#share-output")).to_have_text("35 %")
    tab_to(page, lambda f: f["id"] == "publish-submit", most=4)
    with page.expect_request(api_path("/api/trainer/rollout/publish")) as sent:
        page.keyboard.press("Enter")
    assert json.loads(sent.value.post_data or "{}") == {
        "model_id": GOOD,
        "share": 0.35,
        "force": False,
    }
    expect(page.locator("#rollout-title")).to_be_focused()
    expect(page.locator("#rollout-mode")).to_contain_text("35 % of new conversations")

    # Promoted, with a reason, from the keyboard.
    tab_to(page, lambda f: f["id"] == "promote", most=12)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Reason (kept in the audit log)")).to_be_focused()
    page.keyboard.type("read the first chats: fine")
    tab_to(page, lambda f: f["id"] == "decide-submit", most=3)
    page.keyboard.press("Enter")
    audit_says(page, f"Promoted {GOOD}: “read the first chats: fine”")
    expect(page.locator("#rollout-title")).to_be_focused()
    expect(page.locator("#rollout-mode")).to_contain_text("Every new conversation gets the live")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert complaints == [], complaints
    page.context.close()


def row_of(page: Page) -> str | None:
    """The model of the row the focus is in."""
    return page.evaluate(
        "(document.activeElement.closest('tr[data-model]') || {}).dataset?.model || null"
    )


def test_a_manager_is_told_the_page_is_for_bot_trainers(
    models_gateway: Models, browser: Browser
) -> None:
    page, complaints = browse(browser)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{models_gateway.url}/trainer/models")
    page.get_by_label("Username").fill(MANAGER[0])
    page.get_by_label("Password").fill(MANAGER[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Bot trainers only")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("link", name="Go to the dashboard")).to_have_attribute(
        "href", "/dashboard"
    )
    expect(page.locator("#work")).to_be_hidden()
    assert not [url for url in asked if "/api/trainer/" in url], asked
    assert page.evaluate("window.sessionStorage.getItem('nimbus-agent-token')") is None
    assert complaints == [], complaints
    page.context.close()
