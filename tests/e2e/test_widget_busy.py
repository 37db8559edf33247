"""The widget when the gateway has taken on all the bot turns it allows (one, here): the
customer reads why in their language, and their message is kept and sent again by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import PHONE, WIDGET, open_widget, say
from tests.e2e.slow_bot import Gateway, HeldRasa, held_rasa, start_gateway

pytestmark = pytest.mark.e2e

BUSY = {
    "en": "Our assistant is very busy right now. Your message will be sent again in",
    "fr": "Notre assistant est très sollicité en ce moment. Votre message sera renvoyé dans",
}
UNSENT = {"en": "Not sent yet", "fr": "Pas encore envoyé"}


@pytest.fixture(scope="module")
def rasa() -> Iterator[HeldRasa]:
    with held_rasa() as fake:
        yield fake


@pytest.fixture(scope="module")
def gateway(rasa: HeldRasa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder: Path = tmp_path_factory.mktemp("busy-gateway")
    running = start_gateway(folder, rasa, HANDOVER_MAX_BOT_BACKLOG="1")
    yield running
    running.stop()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_busy_bot_is_explained_and_the_message_goes_by_itself_once_it_can(
    gateway: Gateway, rasa: HeldRasa, browser: Browser, lang: str
) -> None:
    already = len(rasa.texts())
    rasa.hold()
    first = browser.new_context(viewport=PHONE).new_page()
    open_widget(first, gateway.url)
    say(first, "my internet is down")
    rasa.wait_for(already + 1)  # the gateway's one bot turn is taken

    page = browser.new_context(viewport=PHONE, locale=f"{lang}-FR").new_page()
    open_widget(page, gateway.url, lang=lang)
    text = WIDGET[lang]
    say(page, "where is my parcel", label=text["label"])

    expect(page.get_by_role("status")).to_contain_text(BUSY[lang], timeout=WAIT_MS)
    mine = page.locator(".nimbus-msg-user", has_text="where is my parcel")
    expect(mine).to_contain_text(UNSENT[lang])
    assert rasa.texts()[already:] == ["my internet is down"], "the refused message waits"

    rasa.release()
    log = page.get_by_role("log")
    expect(log).to_contain_text("Answer to: where is my parcel", timeout=WAIT_MS)
    expect(mine).not_to_contain_text(UNSENT[lang])
    expect(page.get_by_role("status")).not_to_contain_text(BUSY[lang])
    assert rasa.texts()[already:] == ["my internet is down", "where is my parcel"]
    page.reload()
    expect(log).to_contain_text("Answer to: where is my parcel", timeout=WAIT_MS)
    shown = page.locator(".nimbus-msg-text").all_inner_texts()
    assert shown == ["where is my parcel", "Answer to: where is my parcel"], "stored once"
    for opened in (first, page):
        opened.context.close()
