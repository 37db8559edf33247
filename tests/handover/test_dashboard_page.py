"""The dashboard page (`/dashboard`): served under the gateway's strict policy, with no inline
code, its chart library from the gateway's own /vendor. What it shows is tested in Chromium
(tests/e2e/test_dashboard.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handover.main import STATIC, VENDOR
from tests.handover.test_api import database, gateway  # noqa: F401

ASSETS = ("/static/dashboard.js", "/static/dashboard.css", "/static/agent-session.js")


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:  # noqa: F811
    with gateway(database) as running:
        yield running


def test_the_page_is_served_under_the_strict_policy_without_inline_code(
    client: TestClient,
) -> None:
    page = client.get("/dashboard")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    # ECharts draws on canvas and needs neither 'unsafe-eval' nor inline styles.
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text and "style=" not in page.text
    for asset in ASSETS:
        assert f'"{asset}"' in page.text and client.get(asset).status_code == 200
    script = client.get("/static/dashboard.js").text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_every_script_and_style_comes_from_the_gateway() -> None:
    page = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/vendor/echarts.min.js" in sources and "/vendor/socket.io.min.js" in sources
    outside = [s for s in sources if not s.startswith(("/", "#", "data:"))]
    assert outside == [], outside  # no CDN: the page works offline


@pytest.mark.skipif(not (VENDOR / "echarts.min.js").exists(), reason="run `make install` first")
def test_the_chart_library_is_served_from_vendor(client: TestClient) -> None:
    answer = client.get("/vendor/echarts.min.js")
    assert answer.status_code == 200
    assert "javascript" in answer.headers["content-type"]
    assert "echarts" in answer.text[:2000].lower() and len(answer.content) > 500_000
