"""The third-party rasa-webchat widget (npm, Botfront) in headless Chromium, against the gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, WebSocket, expect

from bot.stack import ROOT
from handover.config import HandoverSettings
from handover.sockets.credentials import session_secret
from tests.e2e.conftest import WAIT_MS
from tests.e2e.test_handover import Customer

pytestmark = pytest.mark.e2e

BUNDLE = ROOT / "build" / "vendor" / "rasa-webchat.js"
# rasa-webchat sends its initPayload on opening even when none is set: a `user_uttered` without
# a message, which the gateway refuses (and so does not store) with this error.
EMPTY_INIT_PAYLOAD = "message must be a non-empty string"


def record_server_errors(page: Page) -> list[Any]:
    """The `error` events the gateway sends the page over the WebSocket (once it upgraded)."""
    errors: list[Any] = []

    def on_frame(payload: str | bytes) -> None:
        # Socket.IO over Engine.IO 4: "42" + JSON array is an event on namespace "/".
        if isinstance(payload, str) and payload.startswith("42"):
            name, *args = json.loads(payload[2:])
            if name == "error":
                errors.append(args[0] if args else None)

    def on_websocket(socket: WebSocket) -> None:
        socket.on("framereceived", on_frame)

    page.on("websocket", on_websocket)
    return errors


def block_other_origins(page: Page, origin: str) -> list[str]:
    """Abort what the page asks of anyone but the gateway; the URLs it asked for."""
    asked: list[str] = []

    def handle(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            asked.append(route.request.url)  # the bundle's CSS imports a Google font
            route.abort()

    page.route("**/*", handle)
    return asked


def stored_messages(gateway_url: str, session_id: str) -> list[dict[str, Any]]:
    """The conversation as the gateway stored it, asked for as our widget would come back to it.

    rasa-webchat keeps only the session id, not the gateway's secret, so it cannot come back to
    its conversation (after a reload it starts a new one); the test knows the gateway's key.
    """
    secret = session_secret(HandoverSettings().secret_key, session_id)
    customer = Customer(gateway_url, session_id=session_id, session_secret=secret)
    assert customer.session_id == session_id
    try:
        customer.sio.emit("history_request", {"session_id": session_id})
        return customer.wait("history", "virtual assistant")[1]["messages"]
    finally:
        customer.close()


def test_rasa_webchat_greets_through_the_gateway(stack, browser: Browser) -> None:
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: `make install` fetches it from npm")
    page = browser.new_page()
    errors = record_server_errors(page)
    outside = block_other_origins(page, stack.bot.gateway_url)
    page.goto(f"{stack.bot.gateway_url}/static/rasa-webchat.html")
    page.locator(".rw-launcher").click()  # shown once connected; no option opens it by itself
    expect(page.locator(".rw-header")).to_contain_text("Nimbus Telecom (rasa-webchat)")

    box = page.get_by_placeholder("Type a message...")
    box.fill("hello")
    box.press("Enter")
    expect(page.locator(".rw-client")).to_have_text(["hello"], timeout=WAIT_MS)
    expect(page.locator(".rw-response")).to_contain_text("virtual assistant", timeout=WAIT_MS)

    session = page.evaluate("JSON.parse(window.sessionStorage.getItem('chat_session'))")
    messages = stored_messages(stack.bot.gateway_url, session["session_id"])
    said = [(m["sender"], m["text"]) for m in messages]
    assert said[0] == ("user", "hello"), said
    assert any(sender == "bot" and "virtual assistant" in text for sender, text in said), said
    assert all(error["error"] == EMPTY_INIT_PAYLOAD for error in errors), errors
    assert all("fonts.googleapis.com" in url for url in outside), outside
    page.close()
