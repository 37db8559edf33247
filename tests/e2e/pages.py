"""What the browser tests do on the widget and the console, and the contrast check they share."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

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


def open_widget(page: Page, gateway_url: str, lang: str = "en") -> None:
    page.goto(f"{gateway_url}/?lang={lang}")
    name = {"en": "Chat with us", "fr": "Discuter avec nous"}[lang]
    page.get_by_role("button", name=name).click()


def say(page: Page, text: str, label: str = "Your message") -> None:
    box = page.get_by_label(label)
    box.fill(text)
    box.press("Enter")


def session_id(page: Page) -> str:
    return page.evaluate("window.localStorage.getItem('nimbus-chat-session')")


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
