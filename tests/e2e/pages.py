"""What the browser tests do on the widget and the console, and the contrast check they share."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import socketio
from playwright.sync_api import Locator, Page, expect

from bot.stack import ROOT
from tests.e2e.conftest import AGENTS, WAIT_MS

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
SCREENSHOTS = ROOT / "build" / "screenshots"

# WCAG 2.1 contrast of every rendered element that shows text of its own, against the first
# opaque background behind it.
CONTRAST_JS = """(root) => {
  const parse = (c) => { const p = c.match(/[\\d.]+/g).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const failures = [];
  let checked = 0;
  for (const node of document.querySelectorAll(root + ", " + root + " *")) {
    const ownText = Array.from(node.childNodes).some((t) => t.nodeType === 3 && t.textContent.trim());
    const field = ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName);
    if ((!ownText && !field) || !node.getClientRects().length) continue;
    const style = getComputedStyle(node);
    if (style.visibility === "hidden") continue;
    const a = lum(parse(style.color)), b = lum(background(node));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    checked += 1;
    if (ratio < 4.5) failures.push(`${node.tagName} "${node.textContent.trim().slice(0, 40)}": ${ratio.toFixed(2)}`);
  }
  return {checked, failures};
}"""


def low_contrast(page: Page, root: str) -> tuple[int, list[str]]:
    """How many text elements under `root` were checked, and those below 4.5:1."""
    result = page.evaluate(CONTRAST_JS, root)
    return result["checked"], result["failures"]


def screenshot(page: Page, name: str) -> Path:
    """Saved under build/screenshots; docs/screenshots holds the copies the README shows."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


# What the widget shows, by language (handover/static/widget.js, STRINGS), and what the
# customer writes to reach a person (`ask_person`).
WIDGET = {
    "en": {"open": "Chat with us", "label": "Your message", "placeholder": "Type your message…",
           "topics": "Suggested topics", "waiting": "Waiting for a person",
           "talking_to": "You're talking to: {who}", "bot": "Virtual assistant",
           "queued": "in the queue", "assigned": "You're chatting with {name}.",
           "end": "End chat", "confirm_end": "Yes, end it", "keep": "No, keep chatting",
           "ended": "Conversation ended", "closed": "This conversation has ended.",
           "rate": "How satisfied are you with this chat?", "thanks": "Thank you for your feedback.",
           "scores": ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
           "ask_person": "I want to talk to a human"},
    "fr": {"open": "Discuter avec nous", "label": "Votre message",
           "placeholder": "Écrivez votre message…", "topics": "Sujets suggérés",
           "waiting": "En attente d'un conseiller", "talking_to": "Vous parlez à : {who}",
           "bot": "Assistant virtuel", "queued": "dans la file",
           "assigned": "Vous discutez avec {name}.", "end": "Terminer la discussion",
           "confirm_end": "Oui, y mettre fin", "keep": "Non, continuer",
           "ended": "Conversation terminée", "closed": "Cette discussion est terminée.",
           "rate": "Êtes-vous satisfait de cette discussion ?", "thanks": "Merci pour votre avis.",
           "scores": ["Très insatisfait", "Insatisfait", "Neutre", "Satisfait", "Très satisfait"],
           "ask_person": "Je voudrais parler à un conseiller"},
}  # fmt: skip


def open_widget(page: Page, gateway_url: str, lang: str = "en") -> None:
    page.goto(f"{gateway_url}/?lang={lang}")
    page.get_by_role("button", name=WIDGET[lang]["open"]).click()


def widget_topics(lang: str) -> list[str]:
    """The greeting's suggested topics in `lang`, as widget.js has them."""
    source = (ROOT / "handover" / "static" / "widget.js").read_text(encoding="utf-8")
    block = source[source.index(f"\n    {lang}: {{") :]
    listed = re.search(r"topics: \[(.*?)\]", block)
    assert listed, f"no topics for {lang} in widget.js"
    return re.findall(r'"([^"]+)"', listed.group(1))


def log_at_bottom(page: Page) -> bool:
    """Whether the widget's log shows its newest message (scrolled to the end)."""
    return page.locator(".nimbus-chat-log").evaluate(
        "(log) => log.scrollHeight > log.clientHeight"
        " && log.scrollTop + log.clientHeight >= log.scrollHeight - 2"
    )


def say(page: Page, text: str, label: str = "Your message") -> None:
    box = page.get_by_label(label)
    box.fill(text)
    box.press("Enter")


def session_id(page: Page) -> str:
    return page.evaluate("window.localStorage.getItem('nimbus-chat-session')")


def end_chat(page: Page, lang: str = "en") -> None:
    """The customer presses "End chat" and confirms."""
    page.get_by_role("button", name=WIDGET[lang]["end"]).click()
    page.get_by_role("button", name=WIDGET[lang]["confirm_end"]).click()


def rate(page: Page, score: int, lang: str = "en") -> None:
    """The customer answers the closing question with `score` (1-5)."""
    question = page.get_by_role("group", name=WIDGET[lang]["rate"])
    meaning = WIDGET[lang]["scores"][score - 1]
    question.get_by_role("button", name=f"{score} – {meaning}", exact=True).click()


class AgentSocket:
    """An agent's `/agent` socket (as the console has it): the events the gateway pushes."""

    def __init__(self, gateway_url: str, headers: dict[str, str]) -> None:
        self.events: list[tuple[str, Any]] = []
        self.arrived = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record, namespace="/agent")
        token = headers["Authorization"].removeprefix("Bearer ")
        self.sio.connect(gateway_url, namespaces=["/agent"], auth={"token": token},
                         transports=["websocket"], wait_timeout=10)  # fmt: skip

    def _record(self, event: str, data: Any = None) -> None:
        with self.arrived:
            self.events.append((event, data))
            self.arrived.notify_all()

    def wait(self, event: str, conversation_id: str, timeout: float = 30) -> dict[str, Any]:
        """The first `event` about `conversation_id`; fails after `timeout` seconds."""

        def found() -> dict[str, Any] | None:
            return next((d for e, d in self.events if e == event and isinstance(d, dict)
                         and d.get("conversation_id") == conversation_id), None)  # fmt: skip

        with self.arrived:
            if not self.arrived.wait_for(found, timeout):
                raise AssertionError(f"no {event} for {conversation_id}: {json.dumps(self.events)}")
            return found()  # type: ignore[return-value]

    def close(self) -> None:
        self.sio.disconnect()


def verify_as_jane_and_get_the_bill(page: Page) -> None:
    log = page.get_by_role("log")
    say(page, "how much do i owe on my bill")
    expect(log).to_contain_text("What's your account number?", timeout=WAIT_MS)
    say(page, "30000001")
    page.get_by_role("button", name="My date of birth").click()
    expect(log).to_contain_text("(for example 14/03/1985)", timeout=WAIT_MS)
    say(page, "14/03/1985")
    expect(log).to_contain_text("Thanks Jane, you're verified.", timeout=WAIT_MS)
    expect(log).to_contain_text("Account 30000001", timeout=WAIT_MS)


def console_sign_in(page: Page, gateway_url: str, name: str) -> None:
    page.goto(f"{gateway_url}/console")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(AGENTS[name])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My chats")).to_be_visible(timeout=WAIT_MS)


def dashboard_sign_in(page: Page, gateway_url: str, name: str, password: str) -> None:
    """Sign in on the dashboard's own form (managers need not open the console first)."""
    page.goto(f"{gateway_url}/dashboard")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def dashboard_tile(page: Page, key: str) -> str:
    """The value a KPI tile shows (`data-kpi` is the API's key)."""
    return page.locator(f'.tile[data-kpi="{key}"] .value').inner_text()


def live_tile(page: Page, key: str) -> Locator:
    """A live figure's value element (`queue_length`, `agents_online`, `chats_in_progress`)."""
    return page.locator(f'#live [data-live="{key}"]')
