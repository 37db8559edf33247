"""The models and roll-out page (`/trainer/models`): served under the gateway's strict policy,
with no inline code, its scripts from the gateway, never writing HTML, and calling only API
routes the gateway has. What it shows and does is tested in Chromium
(tests/e2e/test_trainer_models_page.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handover.main import STATIC
from tests.handover.test_api import database, gateway  # noqa: F401

SCRIPTS = ("trainer-models-format.js", "trainer-models-train.js", "trainer-models-rollout.js",
           "trainer-models.js")  # fmt: skip
STYLES = ("dashboard.css", "trainer.css", "trainer-models.css")


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:  # noqa: F811
    with gateway(database) as running:
        yield running


def test_the_page_is_served_under_the_strict_policy_without_inline_code(
    client: TestClient,
) -> None:
    page = client.get("/trainer/models")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy and page.headers["x-frame-options"] == "DENY"
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None
    assert "<style" not in page.text and "style=" not in page.text
    assert re.search(r"\son[a-z]+=", page.text) is None
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert [s for s in sources if not s.startswith(("/", "#", "data:"))] == []  # no CDN
    assert sources.index("/static/agent-session.js") < sources.index("/static/trainer-models.js")
    for asset in (*SCRIPTS, *STYLES, "agent-session.js"):
        assert f'"/static/{asset}"' in page.text, asset
        assert client.get(f"/static/{asset}").status_code == 200, asset
    for name in SCRIPTS:  # everything shown is set as text
        script = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script)


def test_the_page_calls_only_routes_the_gateway_has(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["paths"]
    source = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in SCRIPTS)
    called = {
        (method.lower(), path)
        for method, path in re.findall(r'"(GET|POST)",\s*"(/api/[a-z/_-]+)"', source)
        if not path.endswith("/")  # a prefix: below
    }
    # Paths ending in an id or an action: `"/api/trainer/models/" + ...`.
    prefixes = set(re.findall(r'"(GET|POST)",\s*"(/api/[a-z/_-]+/)"\s*\+', source))
    assert prefixes == {
        ("GET", "/api/trainer/models/"), ("GET", "/api/trainer/jobs/"),
        ("POST", "/api/trainer/rollout/"),  # act("share"), act(what): promote, rollback
    }  # fmt: skip
    called |= {("get", "/api/trainer/models/{model_id}"), ("get", "/api/trainer/jobs/{job_id}")}
    assert re.findall(r'act\("([a-z]+)"', source) == ["share"]
    assert re.findall(r'openDecide\("([a-z]+)"\)', source) == ["promote", "rollback"]
    called |= {("post", f"/api/trainer/rollout/{action}")
               for action in ("share", "promote", "rollback")}  # fmt: skip
    assert {p for _, p in called if p.startswith("/api/trainer/")} == {
        "/api/trainer/models", "/api/trainer/models/{model_id}", "/api/trainer/jobs",
        "/api/trainer/jobs/{job_id}", "/api/trainer/rollout", "/api/trainer/rollout/publish",
        "/api/trainer/rollout/share", "/api/trainer/rollout/promote",
        "/api/trainer/rollout/rollback",
    }  # fmt: skip
    missing = [(m, p) for m, p in sorted(called) if m not in schema.get(p, {})]
    assert missing == [], missing
    assert "/trainer/models" not in schema  # a page, not an API route
