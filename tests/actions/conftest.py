"""A real rasa_sdk Tracker and the bot's own domain, for running actions as Rasa would."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests_mock
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import lockout

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture(autouse=True)
def default_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Actions talk to the default back-end URLs, which requests-mock answers."""
    for name in (
        "CRM_URL",
        "BILLING_URL",
        "ORDERS_URL",
        "NETWORK_URL",
        "IDENTITY_URL",
        "HANDOVER_URL",
        "HANDOVER_TOKEN",
    ):
        monkeypatch.delenv(f"BACKEND_{name}", raising=False)
    monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "2")


@pytest.fixture(autouse=True)
def attempt_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test counts verification attempts in a SQLite file of its own."""
    path = tmp_path / "var" / "actions.db"
    monkeypatch.setenv("ACTIONS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name in lockout.LockoutSettings.__fields__:  # the documented defaults, whatever is set
        if name != "database_url":
            monkeypatch.delenv(f"ACTIONS_{name.upper()}", raising=False)
    lockout.verification_guard.cache_clear()
    yield path
    lockout.verification_guard.cache_clear()


@pytest.fixture
def http() -> requests_mock.Mocker:
    with requests_mock.Mocker() as mocker:
        yield mocker


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def user_event(text: str, intent: str = "inform", **extra: Any) -> dict[str, Any]:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    return {"event": "user", "text": text, "timestamp": time.time(), "parse_data": parse, **extra}


def make_tracker(
    slots: dict[str, Any] | None = None,
    *,
    text: str = "",
    intent: str = "inform",
    candidates: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    sender_id: str = "test-conversation",
) -> Tracker:
    """A tracker whose last user message is `text`, with `candidates` as the slot values a
    form extracted from it (they are what a form validation action validates)."""
    candidates = candidates or {}
    history = list(events or [])
    if text:
        history.append(user_event(text, intent))
    history += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
    latest = history[-1 - len(candidates)]["parse_data"] if text else {}
    return Tracker(
        sender_id=sender_id,
        slots={**(slots or {}), **candidates},
        latest_message=latest,
        events=history,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slot values that the events set, last one winning."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """What the bot says: texts, and response names for templated messages."""
    return [m.get("text") or m.get("response") for m in dispatcher.messages]
