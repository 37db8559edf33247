"""The managers' dashboard in Chromium, on a gateway of its own with a seeded month of history
(`python -m handover reports seed`): the tiles and a chart drawn from the reports API, a filter
applied, a CSV file downloaded, a live tile following a customer into the queue, an agent
turned away, and the page used with the keyboard alone and at a phone's width.

The gateway is its own so that the seeded history (and its agents) stay out of the other
tests' figures; it talks to the run's Rasa server like the stack's gateway does.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import redis
import requests
from playwright.sync_api import Browser, Page, expect

from bot.stack import ROOT, Process
from handover.config import PLACEHOLDER_BOT_TOKEN
from tests.e2e.conftest import AGENTS, WAIT_MS, create_agent, free_port
from tests.e2e.pages import (
    dashboard_sign_in,
    dashboard_tile,
    live_tile,
    low_contrast,
    screenshot,
)
from tests.e2e.test_console import LAPTOP
from tests.e2e.test_handover import Customer

pytestmark = pytest.mark.e2e
MANAGER = ("boss", "correct-horse-9")
ZONE = "Europe/Paris"  # the browser's: the page asks for buckets in it
PHONE_WIDE = {"width": 390, "height": 844}
REDIS_URL = "redis://127.0.0.1:6379/0"
SEEDED = 1500  # conversations over the 30 days before now: a few hundred a week
AGENT_COLUMNS = ["agent", "name", "chats", "handle_time", "csat", "ratings", "first_response_p50"]
CSV_TABLES = {"series", "agents", "transfer-reasons", "top-requests", "misunderstood", "breakdown"}
# The socket's nudge must beat the page's fallback poll (every 30 s).
NUDGED_MS = 10_000


@pytest.fixture(scope="module")
def reports(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway with a seeded history, a manager `boss` and the agent `ada`: its URL."""
    folder = tmp_path_factory.mktemp("reports")
    env = {
        "SWITCHBOARD_ENVIRONMENT": "development",  # seeding is refused anywhere else
        "DATABASE_URL": f"sqlite:///{folder}/gateway.db",
        "REPORTING_EVENTS_URL": f"sqlite:///{folder}/rasa-events.db",
    }
    create_agent(env["DATABASE_URL"], *MANAGER, role="manager")
    create_agent(env["DATABASE_URL"], "ada", AGENTS["ada"])
    subprocess.run(
        [sys.executable, "-m", "handover", "reports", "seed", "--conversations", str(SEEDED)],
        cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    log = io.StringIO()
    gateway = Process(
        "reports-gateway",
        [sys.executable, "-m", "handover", "serve"],
        f"http://127.0.0.1:{port}/health",
        {
            **env,
            "HANDOVER_PORT": str(port),
            "REDIS_URL": REDIS_URL,
            "HANDOVER_REDIS_NAMESPACE": namespace,
            "HANDOVER_RASA_URL": stack.bot.rasa_url,
            "BACKEND_CRM_URL": stack.backends.crm_url,
            "HANDOVER_LOGIN_LIMIT_PER_USER": "1000/minute",
            "HANDOVER_LOGIN_LIMIT_PER_IP": "1000/minute",
        },
    )
    gateway.start(log)
    deadline = time.monotonic() + 60
    while not gateway.is_ready():
        assert time.monotonic() < deadline and gateway.exited() is None, log.getvalue()[-3000:]
        time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    gateway.popen.terminate()
    gateway.popen.wait(timeout=15)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)


def dashboard(browser: Browser, viewport: dict[str, int] = LAPTOP) -> Page:
    context = browser.new_context(viewport=viewport, timezone_id=ZONE, accept_downloads=True)
    return context.new_page()


def reports_call(path: str) -> Any:
    """Matches the page's answers from `/api/reports/<path>?...`."""
    return lambda response: urlparse(response.url).path == f"/api/reports/{path}"


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}


def token(page: Page) -> dict[str, str]:
    kept = page.evaluate("window.sessionStorage.getItem('nimbus-agent-token')")
    return {"Authorization": f"Bearer {kept}"}


def contacts_in(summary: dict[str, Any]) -> int:
    return int(next(kpi for kpi in summary["kpis"] if kpi["key"] == "contacts")["value"])


def duration(seconds: float) -> str:
    """What the page shows for a duration (dashboard.js `duration`), e.g. 80 s: "1 min 20 s"."""
    total = int(seconds + 0.5)
    hours, minutes, rest = total // 3600, total % 3600 // 60, total % 60
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    if minutes:
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    return f"{rest} s"


def test_a_manager_reads_the_figures_filters_them_and_downloads_a_table(
    reports: str, browser: Browser
) -> None:
    page = dashboard(browser)
    complaints: list[str] = []  # what the policy blocked (ECharts needs no eval, no inline style)
    page.on("console", lambda m: complaints.append(m.text) if "Security Policy" in m.text else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    with (
        page.expect_response(reports_call("summary")) as summary_answer,
        page.expect_response(reports_call("series")) as series_answer,
    ):
        dashboard_sign_in(page, reports, *MANAGER)
    summary, series = summary_answer.value.json(), series_answer.value.json()
    asked = query_of(summary_answer.value.url)

    # "Last 7 days" in the browser's zone: from midnight six days ago (today is the 7th) to now.
    today = datetime.now(ZoneInfo(ZONE)).date()
    first_day = datetime.combine(today - timedelta(days=6), datetime.min.time(), ZoneInfo(ZONE))
    assert datetime.fromisoformat(asked["start"]) == first_day, asked
    assert asked["tz"] == ZONE and "language" not in asked
    assert query_of(series_answer.value.url)["bucket"] == "day"

    # Tiles: one per KPI, in the API's order, its figure as people read it.
    kpis = {kpi["key"]: kpi for kpi in summary["kpis"]}
    expect(page.locator(".tile")).to_have_count(len(summary["kpis"]))
    contacts = contacts_in(summary)
    assert contacts > 50, contacts  # a seeded week: some 350 conversations, most on the widget
    expect(page.locator('.tile[data-kpi="contacts"] .value')).to_have_text(f"{contacts:,}")
    for key, kpi in kpis.items():
        if kpi["value"] is None:
            expect(page.locator(f'.tile[data-kpi="{key}"] .value')).to_have_text("–")
        elif kpi["unit"] == "ratio":  # e.g. 0.4412 → "44.1%"
            assert dashboard_tile(page, key) == f"{kpi['value'] * 100:.1f}%", key
        elif kpi["unit"] == "score":  # e.g. 4.17 → "4.2 / 5"
            assert dashboard_tile(page, key) == f"{kpi['value']:.1f} / 5", key
        elif kpi["unit"] == "seconds":
            assert dashboard_tile(page, key) == duration(kpi["value"]), key
    # The change against the previous period: arrow, words and colour class agree with the
    # figures (ratios whose difference is clear of rounding: 0.2 points or more).
    compared = 0
    for key, kpi in kpis.items():
        now, before = kpi["value"], kpi["previous"]
        if kpi["unit"] != "ratio" or now is None or before is None or abs(now - before) < 0.002:
            continue
        up = now > before
        verdict = "better" if up == (kpi["better"] == "higher") else "worse"
        line = page.locator(f'.tile[data-kpi="{key}"] .change')
        # "Up" and "Down" are for screen readers (visually hidden), the arrow for the eyes.
        shown = re.escape("▲Up +" if up else "▼Down −") + r"\d+\.\d pts, " + verdict
        expect(line).to_have_text(re.compile(shown))
        expect(line).to_have_class(re.compile(rf"\b{verdict}\b"))
        compared += 1
    assert compared >= 3, summary

    # A chart on canvas with the series' figures, and the same figures in a table.
    canvas = page.locator("#chart-volume canvas").first
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100, box
    drawn = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('chart-volume'))"
        ".getOption().series.map((s) => s.data)"
    )
    contacts_by_day = [point["contacts"] for point in series["points"]]
    assert len(contacts_by_day) == 7 and sum(contacts_by_day) > 0, series
    assert drawn[0] == contacts_by_day
    hidden_table = page.locator('[data-chart="volume"] table tbody tr')
    expect(hidden_table).to_have_count(7)
    expect(page.locator("#chart-volume")).to_have_attribute("role", "img")

    expect(page.locator("#agents tbody tr").first).to_be_visible()
    checked, failures = low_contrast(page, "body")
    assert checked > 150 and failures == [], failures

    # A filter: the page asks again in French and shows the French figures.
    with page.expect_response(
        lambda r: reports_call("summary")(r) and query_of(r.url).get("language") == "fr"
    ) as french_answer:
        page.get_by_label("Language", exact=True).select_option("fr")
    french = contacts_in(french_answer.value.json())
    expect(page.locator('.tile[data-kpi="contacts"] .value')).to_have_text(f"{french:,}")
    english_query = {**query_of(french_answer.value.url), "language": "en"}
    english = requests.get(
        f"{reports}/api/reports/summary", params=english_query, headers=token(page), timeout=30
    ).json()
    in_english = contacts_in(english)
    # Every seeded contact is in one language or the other: the two add up to all of them.
    assert 0 < french < contacts and french + in_english == contacts
    assert "language=fr" in page.url  # kept in the address: a reload shows the same

    # The agents' table as CSV, with the same filter and the manager's token.
    with (
        page.expect_download() as saved,
        page.expect_request(lambda r: urlparse(r.url).path == "/api/reports/agents.csv") as sent,
    ):
        page.locator("#agents").get_by_role("button", name=re.compile("^Download CSV")).click()
    assert query_of(sent.value.url).get("language") == "fr"
    assert sent.value.all_headers()["authorization"] == token(page)["Authorization"]
    assert re.fullmatch(
        r"agents-\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d\.csv", saved.value.suggested_filename
    )
    rows = list(csv.reader(Path(saved.value.path()).read_text(encoding="utf-8").splitlines()))
    assert rows[0] == AGENT_COLUMNS
    expect(page.locator("#agents tbody tr")).to_have_count(len(rows) - 1)
    assert len(rows) > 1
    expect(page.get_by_role("status")).to_have_text(f"Downloaded {saved.value.suggested_filename}.")
    assert complaints == [], complaints
    page.context.close()


def test_the_live_tiles_follow_a_customer_into_the_queue_without_a_reload(
    reports: str, browser: Browser
) -> None:
    page = dashboard(browser)
    dashboard_sign_in(page, reports, *MANAGER)
    queue, online, chatting = (
        live_tile(page, key) for key in ("queue_length", "agents_online", "chats_in_progress")
    )
    expect(queue).to_have_text(re.compile(r"^\d+$"), timeout=WAIT_MS)
    waiting, held, present = (int(tile.inner_text()) for tile in (queue, chatting, online))
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    answer = requests.post(
        f"{reports}/api/agent/login",
        json={"username": "ada", "password": AGENTS["ada"]},
        timeout=10,
    )
    answer.raise_for_status()
    ada = {"Authorization": f"Bearer {answer.json()['token']}"}
    customer = Customer(reports)
    try:
        # Online (as her console says when it opens): one more agent online, told by the socket.
        requests.post(
            f"{reports}/api/agent/status", json={"status": "online"}, headers=ada, timeout=10
        ).raise_for_status()
        expect(online).to_have_text(str(present + 1), timeout=NUDGED_MS)
        asked = requests.post(  # as the action server asks for a person
            f"{reports}/api/handover",
            json={"conversation_id": customer.session_id, "reason": "customer_request",
                  "context": {"skill": "billing", "summary": "Unverified customer needs help"}},
            headers={"Authorization": f"Bearer {PLACEHOLDER_BOT_TOKEN}"},
            timeout=10,
        )  # fmt: skip
        assert asked.json()["status"] == "queued", asked.text
        expect(queue).to_have_text(str(waiting + 1), timeout=NUDGED_MS)
        shot = screenshot(page, "dashboard.png")  # the one docs/screenshots shows: a month seeded
        assert shot.stat().st_size > 20_000  # and, live, a customer waiting and ada online

        accepted = requests.post(
            f"{reports}/api/conversations/{customer.session_id}/accept", headers=ada, timeout=10
        )
        accepted.raise_for_status()
        expect(queue).to_have_text(str(waiting), timeout=NUDGED_MS)
        expect(chatting).to_have_text(str(held + 1), timeout=NUDGED_MS)

        closed = requests.post(
            f"{reports}/api/conversations/{customer.session_id}/close",
            json={"reason": "resolved"}, headers=ada, timeout=10,
        )  # fmt: skip
        closed.raise_for_status()
        expect(chatting).to_have_text(str(held), timeout=NUDGED_MS)
        assert page.evaluate("window.sameDocument === true")
        expect(page.locator("#live-tiles")).to_have_attribute("aria-live", "polite")
    finally:
        customer.close()
        requests.post(f"{reports}/api/agent/logout", headers=ada, timeout=10)
    page.context.close()


def test_an_agent_is_told_the_dashboard_is_for_managers(reports: str, browser: Browser) -> None:
    page = dashboard(browser)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{reports}/dashboard")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT_MS)
    dashboard_sign_in(page, reports, "ada", AGENTS["ada"])
    expect(page.get_by_role("heading", name="Managers and supervisors only")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(page.get_by_role("link", name="Go to the agent console")).to_have_attribute(
        "href", "/console"
    )
    expect(page.locator("#dash")).to_be_hidden()
    assert not [url for url in asked if "/api/reports/" in url], asked
    # Signed in here only to be turned away: signed out again, not left online with no console.
    assert page.evaluate("window.sessionStorage.getItem('nimbus-agent-token')") is None
    page.context.close()


def test_the_dashboard_works_with_the_keyboard_alone_on_a_phone(
    reports: str, browser: Browser
) -> None:
    page = dashboard(browser, PHONE_WIDE)
    page.goto(f"{reports}/dashboard")
    page.get_by_label("Username").focus()
    page.keyboard.type(MANAGER[0])
    page.keyboard.press("Tab")
    page.keyboard.type(MANAGER[1])
    page.keyboard.press("Enter")
    expect(page.locator('.tile[data-kpi="contacts"] .value')).to_have_text(
        re.compile(r"\d"), timeout=WAIT_MS
    )
    # Nothing wider than the phone: no sideways scrolling of the page (tables scroll alone).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Every control has a name: fields their <label>, buttons their text.
    unnamed = page.evaluate(
        """() => Array.from(document.querySelectorAll('select, input, button'))
             .filter((node) => node.getClientRects().length)
             .filter((node) => node.tagName === 'BUTTON' ? !node.textContent.trim()
                                                         : !node.labels.length)
             .map((node) => node.outerHTML.slice(0, 80))"""
    )
    assert unnamed == [], unnamed

    # From the top, Tab reaches the filters, then every CSV button, each with a visible outline.
    page.evaluate("document.activeElement.blur()")
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const node = document.activeElement;
                 const outline = getComputedStyle(node).outlineStyle;
                 const section = node.closest('section');
                 return {name: node.id || node.getAttribute('data-table')
                               || node.tagName + (section ? ':' + section.id : ''),
                         outlined: outline !== 'none'}; }"""
        )
        if focused["name"] == "BODY" or focused["name"] in reached[:1]:  # round the page once
            break
        assert focused["outlined"], focused
        reached.append(focused["name"])
    filters = [reached.index(name) for name in ("period", "language", "skill", "channel")]
    assert filters == sorted(filters), reached
    assert set(reached) >= CSV_TABLES, reached
    assert reached.index("channel") < reached.index("series")

    # A CSV button pressed with Enter downloads the file.
    page.locator('button.csv[data-table="top-requests"]').focus()
    with page.expect_download() as saved:
        page.keyboard.press("Enter")
    rows = list(csv.reader(Path(saved.value.path()).read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["request", "sessions"]
    page.context.close()
