"""The widget's pending messages carry ids: after a reload (or a lost acknowledgement), what the
gateway stored already is not sent again, and what it did not is sent once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import PHONE, open_widget, say, session_id
from tests.e2e.slow_bot import Gateway, HeldRasa, held_rasa, start_gateway

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rasa() -> Iterator[HeldRasa]:
    with held_rasa() as fake:
        yield fake


@pytest.fixture(scope="module")
def gateway(rasa: HeldRasa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder: Path = tmp_path_factory.mktemp("resend-gateway")
    running = start_gateway(folder, rasa)
    yield running
    running.stop()


def history(gateway: Gateway, page: Page) -> list[dict[str, Any]]:
    """The stored messages of the page's conversation, as its widget gets them."""
    secret = page.evaluate("window.localStorage.getItem('nimbus-chat-secret')")
    client = socketio.Client(reconnection=False)
    answered = threading.Event()
    messages: list[dict[str, Any]] = []

    def heard(data: dict[str, Any]) -> None:
        messages.extend(data["messages"])
        answered.set()

    client.on("history", heard)
    client.connect(gateway.url, transports=["websocket"], wait_timeout=10)
    request = {"session_id": session_id(page), "session_secret": secret}
    client.call("session_request", request, timeout=10)
    client.emit("history_request", {})
    assert answered.wait(10), "no history"
    client.disconnect()
    return messages


def test_a_reload_sends_again_only_what_the_gateway_does_not_hold(
    gateway: Gateway, rasa: HeldRasa, browser: Browser
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    open_widget(page, gateway.url)
    log = page.get_by_role("log")
    say(page, "first question")
    expect(log).to_contain_text("Answer to: first question", timeout=WAIT_MS)
    (stored,) = [m for m in history(gateway, page) if m["sender"] == "user"]
    assert stored["message_id"], "the widget gave the message an id"
    before = len(rasa.texts())

    # As if the page had gone away before two acknowledgements came: the first message is
    # stored, the second, the same words again, not yet (matching by text would lose it).
    pending = [
        {"id": stored["message_id"], "sent": "first question", "text": "first question"},
        {"id": "b7e0c2a4-5f1d-4c3b-9e8a-7d6c5b4a3f21", "sent": "first question",
         "text": "first question"},
    ]  # fmt: skip
    page.evaluate(
        "(kept) => window.localStorage.setItem('nimbus-chat-pending', kept)", json.dumps(pending)
    )
    page.reload()

    expected = ["first question", "Answer to: first question"] * 2
    expect(page.locator(".nimbus-msg-text")).to_have_text(expected, timeout=WAIT_MS)
    assert rasa.texts()[before:] == ["first question"], "only what was not stored"
    assert page.evaluate("window.localStorage.getItem('nimbus-chat-pending')") == "[]"
    page.reload()
    expect(page.locator(".nimbus-msg-text")).to_have_text(expected, timeout=WAIT_MS)
    ids = [m["message_id"] for m in history(gateway, page) if m["sender"] == "user"]
    assert ids == [stored["message_id"], "b7e0c2a4-5f1d-4c3b-9e8a-7d6c5b4a3f21"]
    page.context.close()
