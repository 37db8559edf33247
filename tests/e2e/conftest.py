"""The whole assistant (mock back-ends, action server, Rasa server) on free ports, once per run."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, sync_playwright

from bot.settings import BotSettings
from bot.stack import ROOT, Stack
from connectors.settings import ConnectorSettings

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mock_backends() -> ConnectorSettings:
    """The mock back-ends on free ports, with a short timeout: a test's stuck call fails fast."""
    ports = {name: free_port() for name in ("crm", "billing", "orders", "network", "identity")}
    return ConnectorSettings(
        timeout_seconds=2, **{f"{name}_url": f"http://127.0.0.1:{p}" for name, p in ports.items()}
    )


def two_rasa_processes() -> BotSettings:
    """A stack whose Rasa server runs as two processes, every port free."""
    return BotSettings(
        environment="development",
        rasa_workers=2,
        rasa_ports=[free_port(), free_port()],
        action_port=free_port(),
        gateway_port=free_port(),
        action_token=secrets.token_urlsafe(32),
        startup_timeout_seconds=600,
    )


AGENTS = {"ada": "correct-horse-1", "bob": "correct-horse-2", "sue": "correct-horse-3"}
ROLES = {"sue": "supervisor"}  # the others are agents


def create_agent(database_url: str, name: str, password: str, role: str = "agent") -> None:
    subprocess.run(
        [sys.executable, "-m", "handover", "create-agent", name, "--password", password,
         "--role", role],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (ROOT / BotSettings().model).exists():
        pytest.fail("no trained model: `make test` trains it before running the tests")
    database_url = f"sqlite:///{tmp_path_factory.mktemp('gateway')}/handover.db"
    for name, password in AGENTS.items():
        create_agent(database_url, name, password, ROLES.get(name, "agent"))
    # A fresh action token: only the stack's own wiring (endpoints file, environment) knows it.
    bot = BotSettings(
        rasa_port=free_port(),
        action_port=free_port(),
        gateway_port=free_port(),
        action_token=secrets.token_urlsafe(32),
    )
    backends = mock_backends()
    log = io.StringIO()
    state = tmp_path_factory.mktemp("state")
    # Each run keeps its own lockouts and trackers: none left over from an earlier run.
    env = {
        "ACTIONS_DATABASE_URL": f"sqlite:///{state}/actions.db",
        "PRIVACY_TRACKER_STORE_URL": f"sqlite:///{state}/rasa-trackers.db",
        # Rasa's events for reports (the SQL broker): tests/e2e/test_events_recorded.py.
        "REPORTING_EVENTS_URL": f"sqlite:///{state}/rasa-events.db",
    }
    # Every test signs in from 127.0.0.1: the login limits have unit tests of their own.
    gateway_env = {
        "DATABASE_URL": database_url,
        "HANDOVER_LOGIN_LIMIT_PER_USER": "1000/minute",
        "HANDOVER_LOGIN_LIMIT_PER_IP": "1000/minute",
    }
    running = Stack(bot, backends, out=log, gateway_env=gateway_env, env=env)
    try:
        running.start()
    except RuntimeError:
        sys.stderr.write(log.getvalue()[-5000:])
        raise
    yield running
    running.stop()


@dataclass
class Chat:
    """One customer's conversation through Rasa's REST channel."""

    stack: Stack
    sender: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:10]}")

    def say(self, text: str) -> list[dict[str, Any]]:
        reply = requests.post(
            f"{self.stack.bot.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=60,
        )
        reply.raise_for_status()
        return reply.json()

    def text(self, message: str) -> str:
        """Everything the bot answers to `message`, as one string."""
        return "\n".join(m.get("text", "") for m in self.say(message))

    def slots(self) -> dict[str, Any]:
        tracker = requests.get(
            f"{self.stack.bot.rasa_url}/conversations/{self.sender}/tracker",
            params={"token": self.stack.bot.rasa_token},
            timeout=10,
        )
        tracker.raise_for_status()
        return tracker.json()["slots"]


@pytest.fixture
def chat(stack: Stack) -> Chat:
    return Chat(stack)


@pytest.fixture
def fault(stack: Stack) -> Iterator[Any]:
    """Put a mock system into a fault mode for one test."""
    touched: list[str] = []

    def set_fault(system: str, mode: str, delay_seconds: float = 0) -> None:
        url = getattr(stack.backends, f"{system}_url")
        body = {"mode": mode, "delay_seconds": delay_seconds}
        requests.post(f"{url}/_mock/faults", json=body, timeout=5).raise_for_status()
        touched.append(url)

    yield set_fault
    for url in touched:
        requests.post(f"{url}/_mock/faults", json={"mode": "ok"}, timeout=5)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, without a sandbox; background networking would only meet this machine's closed network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
WAIT_MS = 30_000


# Module scope: while Playwright's sync API is open, its event loop counts as running, and
# the asyncio tests of later modules could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = "Chromium is not installed (apt-get install chromium; .ci/run does it)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
