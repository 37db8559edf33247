"""A gateway of its own for the trainer page's browser tests: a trainer, an agent and a
manager, the messages the bot missed (paraphrases of three requests, in French and English,
written into `misunderstood_texts` as the reports' fold would), the gateway's copy of one of
their conversations (the lines around a miss, then an agent), and copies of the NLU data the
labels go into. It needs no Rasa server: it is ready when it serves the page."""

from __future__ import annotations

import io
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import yaml
from playwright.sync_api import Browser, Page, Request
from sqlalchemy import create_engine

from bot.stack import ROOT, Process
from handover import crud
from handover.db import make_engine, session_factory, session_scope
from reporting.bot_facts import normalised
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from tests.e2e.conftest import AGENTS, create_agent, free_port
from tests.e2e.test_console import LAPTOP

TRAINER = ("tess", "correct-horse-7")
MANAGER = ("boss", "correct-horse-9")
ZONE = "Europe/Paris"
# What customers wrote that the bot did not understand: (language, text, messages). Two
# spellings of one text fold into one (its key); nothing in them is personal data.
MISSED = {
    "bill": [
        ("en", "how much is left to pay on my invoice this month", 2),
        ("en", "How much is left to pay on my invoice this month", 1),
        ("en", "what is the outstanding amount on my last invoice", 2),
        ("en", "how much do I still owe on my invoice", 1),
        ("fr", "combien il me reste à payer sur ma facture ce mois-ci", 2),
        ("fr", "quel est le montant restant sur ma dernière facture", 1),
    ],
    "router": [
        ("en", "my fibre box keeps blinking red since this morning", 2),
        ("en", "the light on my router is flashing red", 1),
        ("fr", "ma box fibre clignote en rouge depuis ce matin", 1),
        ("fr", "le voyant de mon routeur clignote rouge", 1),
    ],
    "football": [
        ("en", "what is your favourite football team", 1),
        ("fr", "quelle est ton équipe de foot préférée", 1),
        ("en", "who will win the football match tonight", 1),
    ],
}  # fmt: skip
INTENTS = {"bill": "check_bill_balance", "router": "check_outage"}
# The gateway's copy of the conversation of the first router message: (sender, text, seconds
# from the miss). The agent's line holds a phone number, which is never shown to the trainer.
AROUND = "e2e-trainer-router-0"
AGENT_PHONE = "+33 6 12 34 56 78"
CONVERSATION = [
    ("user", "hello", -30), ("bot", "Hi! How can I help you?", -25),
    ("user", MISSED["router"][0][1], 0), ("bot", "Sorry, I did not get that. Could you rephrase?", 2),
    ("user", "a person please", 10), ("system", "You are in the queue: an agent will answer.", 11),
    ("agent", f"Hello, Ada here. Is it the red light on the left? Call me on {AGENT_PHONE}", 60),
]  # fmt: skip
COMPLAINTS = ("Security Policy", "Uncaught")


@dataclass(frozen=True)
class Trainer:
    """The gateway's URL and the files its labels change."""

    url: str
    data: Path  # a copy of data/nlu
    domain: Path
    regression: Path


def seed(database_url: str) -> None:
    """One row per message, each request's messages two to a conversation, over the last days."""
    now = datetime.now(timezone.utc).timestamp()
    rows = []
    for request, texts in MISSED.items():
        n = 0
        for language, text, times in texts:
            for _ in range(times):
                started = now - 3600 * (5 + 7 * n)  # within the last 4 days
                rows.append({
                    "sender_id": f"e2e-trainer-{request}-{n // 2}", "started": started,
                    "at": started + 40, "channel": ("socketio", "rest")[n % 2],
                    "language": language, "text": text, "folded": normalised(text),
                })  # fmt: skip
                n += 1
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(MISUNDERSTOOD_TEXTS.insert(), rows)
    engine.dispose()
    missed_at = next(row["at"] for row in rows if row["sender_id"] == AROUND)
    gateway = make_engine(database_url)
    with session_scope(session_factory(gateway)) as db:
        for sender, text, seconds in CONVERSATION:
            missed = seconds == 0  # what the NLU made of it, as the gateway keeps it
            message = crud.add_message(db, conversation_id=AROUND, sender=sender, text=text,  # type: ignore[arg-type]
                                       agent_username="ada" if sender == "agent" else None,
                                       intent="nlu_fallback" if missed else None,
                                       confidence=0.42 if missed else None)  # fmt: skip
            message.created_at = datetime.fromtimestamp(missed_at + seconds, timezone.utc)
            db.flush()
    gateway.dispose()


@pytest.fixture(scope="module")
def trainer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trainer]:
    folder = tmp_path_factory.mktemp("trainer")
    files = Trainer("", folder / "data" / "nlu", folder / "domain.yml", folder / "regression.jsonl")
    env = {
        "SWITCHBOARD_ENVIRONMENT": "development",
        "DATABASE_URL": f"sqlite:///{folder}/gateway.db",
        "REPORTING_EVENTS_URL": f"sqlite:///{folder}/rasa-events.db",  # none yet: nothing to fold
        "PRIVACY_TRACKER_STORE_URL": f"sqlite:///{folder}/rasa-trackers.db",
    }
    create_agent(env["DATABASE_URL"], *TRAINER, role="trainer")
    create_agent(env["DATABASE_URL"], *MANAGER, role="manager")
    create_agent(env["DATABASE_URL"], "ada", AGENTS["ada"])
    seed(env["DATABASE_URL"])
    port = free_port()
    log = io.StringIO()
    gateway = Process(
        "trainer-gateway",
        [sys.executable, "-m", "handover", "serve"],
        f"http://127.0.0.1:{port}/trainer",
        {
            **env,
            "HANDOVER_PORT": str(port),
            "REDIS_URL": "",  # the state in memory: one gateway
            "HANDOVER_RASA_URL": "http://127.0.0.1:9",  # answers nothing: never needed here
            "HANDOVER_LOGIN_LIMIT_PER_USER": "1000/minute",
            "HANDOVER_LOGIN_LIMIT_PER_IP": "1000/minute",
            "HANDOVER_TRAINER_DATA_DIR": str(files.data),
            "HANDOVER_TRAINER_DOMAIN": str(files.domain),
            "HANDOVER_TRAINER_REGRESSION_FILE": str(files.regression),
        },
    )
    gateway.start(log)
    deadline = time.monotonic() + 60
    while not gateway.is_ready():
        assert time.monotonic() < deadline and gateway.exited() is None, log.getvalue()[-3000:]
        time.sleep(0.3)
    yield Trainer(f"http://127.0.0.1:{port}", files.data, files.domain, files.regression)
    gateway.popen.terminate()
    gateway.popen.wait(timeout=15)


@pytest.fixture
def fresh(trainer: Trainer) -> Trainer:
    """The repo's data and domain copied again, no regression file, every text new again."""
    shutil.rmtree(trainer.data, ignore_errors=True)
    shutil.copytree(ROOT / "data" / "nlu", trainer.data)
    shutil.copy(ROOT / "domain.yml", trainer.domain)
    trainer.regression.unlink(missing_ok=True)
    headers = sign_in(trainer.url, *TRAINER)
    listed = requests.get(
        f"{trainer.url}/api/trainer/inbox", params={"state": "all"}, headers=headers, timeout=120
    )
    listed.raise_for_status()
    items = [{"key": t["key"], "language": t["language"]}
             for group in listed.json()["groups"] for t in group["texts"]]  # fmt: skip
    requests.post(
        f"{trainer.url}/api/trainer/inbox/state",
        json={"items": items, "state": "new"}, headers=headers, timeout=30,
    ).raise_for_status()  # fmt: skip
    requests.post(f"{trainer.url}/api/agent/logout", headers=headers, timeout=10)
    return trainer


def sign_in(url: str, name: str, password: str) -> dict[str, str]:
    answer = requests.post(
        f"{url}/api/agent/login", json={"username": name, "password": password}, timeout=10
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def browse(browser: Browser, viewport: dict[str, int] = LAPTOP) -> tuple[Page, list[str]]:
    """A page, and what the browser complained of (policy violations, script errors)."""
    page = browser.new_context(viewport=viewport, timezone_id=ZONE).new_page()
    complaints: list[str] = []
    page.on(
        "console", lambda m: complaints.append(m.text) if m.text.startswith(COMPLAINTS) else None
    )
    page.on("pageerror", lambda error: complaints.append(str(error)))
    return page, complaints


def inbox_answer(response: Any) -> bool:
    return urlparse(response.url).path == "/api/trainer/inbox"


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}


def group_of(inbox: dict[str, Any], request: str, language: str = "en") -> dict[str, Any]:
    """The inbox's group holding the first text in `language` of `request` (of MISSED)."""
    text = next(text for lang, text, _ in MISSED[request] if lang == language)
    found = [g for g in inbox["groups"] if text in {t["text"] for t in g["texts"]}]
    assert len(found) == 1, inbox
    return found[0]


def card(page: Page, group: dict[str, Any]) -> Any:
    return page.locator(f'li.group[data-key="{group["key"]}"]')


def examples(path: Path, intent: str) -> list[str]:
    """The examples of `intent` in an NLU file, one per line of its block."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    blocks = [entry["examples"] for entry in data["nlu"] if entry.get("intent") == intent]
    return [line[2:].strip() for block in blocks for line in block.splitlines() if line.strip()]


def label_requests(page: Page) -> list[Request]:
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/api/trainer/labels") else None)
    return sent
