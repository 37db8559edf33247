"""/docs in Chromium with every request outside the gateway refused: Swagger UI renders from the
gateway's own files, runs under the page's strict policy, and calls the API it documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from handover.config import HandoverSettings
from handover.main import create_app
from tests.e2e.conftest import WAIT_MS
from tests.e2e.pages import DESKTOP
from tests.handover.test_api import served

pytestmark = pytest.mark.e2e
# Every Content-Security-Policy violation of the page, as "directive blocked-URI".
VIOLATIONS_JS = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});"""


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A development gateway of its own: the docs need no bot, no model and no back-end."""
    folder: Path = tmp_path_factory.mktemp("docs")
    settings = HandoverSettings(
        environment="development",
        database_url=f"sqlite:///{folder}/handover.db",
        rasa_url="http://127.0.0.1:9",  # answers nothing: /health reports it
    )
    with served(create_app(settings)) as url:
        yield url


def offline_page(browser: Browser, gateway_url: str) -> tuple[Page, list[str]]:
    """A page that reaches the gateway and nothing else; the list gathers what it refused."""
    page = browser.new_context(viewport=DESKTOP).new_page()
    gateway = urlsplit(gateway_url).netloc
    refused: list[str] = []

    def only_the_gateway(route: Route) -> None:
        if urlsplit(route.request.url).netloc == gateway:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_the_gateway)
    page.add_init_script(VIOLATIONS_JS)
    return page, refused


def test_docs_render_and_call_the_api_with_the_network_blocked(
    browser: Browser, gateway_url: str
) -> None:
    page, refused = offline_page(browser, gateway_url)
    page.goto(f"{gateway_url}/docs")

    expect(page.get_by_role("heading", name="Switchboard handover gateway")).to_be_visible(
        timeout=WAIT_MS
    )
    login = page.locator(".opblock-summary-path", has_text="/api/agent/login")
    expect(login.first).to_be_visible()
    health = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/health"))
    health.locator(".opblock-summary").first.click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    # The gateway answers 503: its Rasa server is not running; the call itself went through.
    expect(
        health.locator(".live-responses-table tbody .response-col_status").first
    ).to_contain_text("503", timeout=WAIT_MS)
    stylesheet = page.evaluate(
        "getComputedStyle(document.querySelector('.swagger-ui .info .title')).fontFamily"
    )
    assert "sans-serif" in stylesheet, "swagger-ui.css was applied"
    assert refused == [], f"the page asked for outside resources: {refused}"
    assert page.evaluate("window.__violations") == []
    page.context.close()


def test_the_docs_policy_refuses_any_other_inline_script(
    browser: Browser, gateway_url: str
) -> None:
    page, _ = offline_page(browser, gateway_url)
    page.goto(f"{gateway_url}/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=WAIT_MS)

    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__injected = true;";
                   document.body.appendChild(s); }"""
    )

    assert page.evaluate("window.__injected === undefined")
    violations = page.evaluate("window.__violations")
    assert any(v.startswith("script-src") for v in violations), violations
    page.context.close()
