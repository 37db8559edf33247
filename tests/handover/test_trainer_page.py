"""The bot trainers' page (`/trainer`): served under the gateway's strict policy, with no inline
code, calling only API routes the gateway has. What it shows and does is tested in Chromium
(tests/e2e/test_trainer_page.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handover.main import STATIC
from tests.handover.test_api import database, gateway  # noqa: F401

ASSETS = (
    "/static/trainer.js",
    "/static/trainer-filters.js",
    "/static/trainer-context.js",
    "/static/trainer.css",
    "/static/dashboard.css",  # the staff pages' look: top bar, sign-in, filters, cards
    "/static/agent-session.js",
)
SCRIPTS = ("trainer.js", "trainer-filters.js", "trainer-context.js")  # the page's own


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:  # noqa: F811
    with gateway(database) as running:
        yield running


def test_the_page_is_served_under_the_strict_policy_without_inline_code(
    client: TestClient,
) -> None:
    page = client.get("/trainer")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    # No inline script, style or event handler: the policy would block them.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None
    assert "<style" not in page.text and "style=" not in page.text
    assert re.search(r"\son[a-z]+=", page.text) is None
    for asset in ASSETS:
        assert f'"{asset}"' in page.text and client.get(asset).status_code == 200
    for name in SCRIPTS:
        script = client.get(f"/static/{name}").text
        # Customers' words (redacted, but typed by anyone) are only ever set as text.
        assert "innerHTML" not in script and "insertAdjacentHTML" not in script, name
        assert "outerHTML" not in script and "document.write" not in script, name


def test_every_script_and_style_comes_from_the_gateway() -> None:
    page = (STATIC / "trainer.html").read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    outside = [s for s in sources if not s.startswith(("/", "#", "data:"))]
    assert outside == [], outside  # no CDN: the page works offline
    assert sources.index("/static/agent-session.js") < sources.index("/static/trainer.js")
    # trainer.js asks the others for their parts as it starts: they come first.
    for name in SCRIPTS[1:]:
        assert sources.index(f"/static/{name}") < sources.index("/static/trainer.js"), name


def test_the_page_calls_only_routes_the_gateway_has_and_is_left_out_of_the_schema(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    source = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in SCRIPTS)
    # `api("GET", "/api/...")` and its bound form; `send(path)` is the labels' POST.
    called = {
        (method.lower(), path)
        for method, path in re.findall(r'"(GET|POST)",\s*"(/api/[a-z/_-]+)', source)
    }
    called |= {("post", path) for path in re.findall(r'send\("(/api/[a-z/_-]+)"', source)}
    called |= {("post", path) for path in re.findall(r'fetch\("(/api/[a-z/_-]+)"', source)}

    trainer_calls = {(m, p) for m, p in called if p.startswith("/api/trainer/")}
    assert trainer_calls == {
        ("get", "/api/trainer/inbox"),
        ("get", "/api/trainer/inbox/conversations"),
        ("post", "/api/trainer/inbox/state"),
        ("get", "/api/trainer/intents"),
        ("post", "/api/trainer/labels"),
    }, called
    missing = [(m, p) for m, p in sorted(called) if m not in schema["paths"].get(p, {})]
    assert missing == [], missing
    for method, path in trainer_calls:
        assert "trainer" in schema["paths"][path][method]["tags"], path
    assert "/trainer" not in schema["paths"]  # a page, not an API route
