"""The agent console's session in Chromium, on a gateway of its own whose access tokens live
12 s: renewal, the end of the session, and a sign-out from elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, migrate, session_factory, session_scope
from handover.main import create_app
from handover.models import AgentSession, utcnow
from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import DESKTOP
from tests.handover.test_api import served

pytestmark = pytest.mark.e2e


PASSWORD = "long-enough-1"


@pytest.fixture
def short_tokens(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A gateway whose access tokens live 12 s (the console renews them after 5: its shortest
    wait, which leaves a busy machine 7 s to answer), and its database; the Rasa URL answers
    nothing: no customer talks here."""
    database = f"sqlite:///{tmp_path}/console.db"
    migrate(database)
    with session_scope(session_factory(make_engine(database))) as session:
        crud.create_agent(session, username="kim", password=PASSWORD, skills=[], capacity=2)
    config = HandoverSettings(
        database_url=database, rasa_url="http://127.0.0.1:9", access_token_ttl_seconds=12
    )
    with served(create_app(config)) as url:
        yield url, database


def signed_in_console(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{url}/console")
    page.get_by_label("Username").fill("kim")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My chats")).to_be_visible(timeout=WAIT_MS)
    return page


def stored_token(page: Page) -> str:
    return page.evaluate("window.sessionStorage.getItem('nimbus-agent-token')")


def test_the_console_renews_its_token_and_signs_in_again_once_the_session_ends(
    browser: Browser, short_tokens: tuple[str, str]
) -> None:
    url, database = short_tokens
    page = signed_in_console(browser, url)
    first = stored_token(page)

    # (wait_for_function would need eval, which the console's CSP refuses.)
    with page.expect_response(re.compile(r"/api/agent/refresh$"), timeout=WAIT_MS) as renewal:
        pass
    assert renewal.value.ok
    renewed = renewal.value.json()["token"]
    assert renewed != first
    me = requests.get(f"{url}/api/agent/me", headers={"Authorization": f"Bearer {renewed}"},
                      timeout=10)  # fmt: skip
    assert me.status_code == 200

    ended = update(AgentSession).values(revoked_at=utcnow())  # revoked behind its back
    with session_scope(session_factory(make_engine(database))) as session:
        session.execute(ended)

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#notice")).to_contain_text("Your session has expired")


def test_signing_out_elsewhere_closes_the_console_at_once(
    browser: Browser, short_tokens: tuple[str, str]
) -> None:
    url, _ = short_tokens
    page = signed_in_console(browser, url)
    expect(page.locator("#notice")).not_to_contain_text("Could not")
    # Signed out before its socket is joined, the console would learn it only from the renewal.
    expect(page.locator("body[data-live=on]")).to_have_count(1, timeout=WAIT_MS)
    headers = {"Authorization": f"Bearer {stored_token(page)}"}

    requests.post(f"{url}/api/agent/logout", headers=headers, timeout=10).raise_for_status()

    # The `signed_out` event, well before the 5 s renewal would meet the 401.
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=3000)
    expect(page.locator("#notice")).to_contain_text("You were signed out")
