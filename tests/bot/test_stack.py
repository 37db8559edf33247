"""What the stack starts: each server on its own host, with the tokens that protect it."""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rasa.utils.endpoints import read_endpoint_config

from bot import run
from bot.settings import BotSettings
from bot.stack import ROOT, Process, Stack
from connectors.settings import ConnectorSettings

ACTION_TOKEN = "action-token-" + "a" * 30
RASA_TOKEN = "rasa-token-" + "r" * 30
HANDOVER_TOKEN = "handover-token-" + "h" * 30


@pytest.fixture
def stack() -> Iterator[Stack]:
    bot = BotSettings(action_token=ACTION_TOKEN, rasa_token=RASA_TOKEN, action_port=6055)
    made = Stack(bot, ConnectorSettings(handover_token=HANDOVER_TOKEN))
    yield made
    made.stop()


def process(stack: Stack, name: str) -> Process:
    return next(p for p in stack.processes if p.name == name)


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_rasa_sends_the_action_token(stack: Stack) -> None:
    endpoints = Path(option(process(stack, "rasa").argv, "--endpoints"))

    assert stat.S_IMODE(endpoints.stat().st_mode) == 0o600
    # Read as Rasa reads it: the token becomes the `token` query parameter of every call.
    config = read_endpoint_config(str(endpoints), "action_endpoint")
    assert config is not None
    assert config.url == "http://127.0.0.1:6055/webhook"
    assert config.combine_parameters() == {"token": ACTION_TOKEN}


def test_the_action_server_runs_through_the_authenticating_entry_point(stack: Stack) -> None:
    actions = process(stack, "actions")

    assert actions.argv == [sys.executable, "-m", "bot.action_server"]
    assert actions.env["BOT_ACTION_HOST"] == "127.0.0.1"
    assert actions.env["BOT_ACTION_PORT"] == "6055"
    assert actions.env["BOT_ACTION_TOKEN"] == ACTION_TOKEN
    assert actions.env["BACKEND_HANDOVER_TOKEN"] == HANDOVER_TOKEN


def test_rasa_api_needs_its_token_and_invites_no_browser(stack: Stack) -> None:
    rasa = process(stack, "rasa")

    assert option(rasa.argv, "--auth-token") == RASA_TOKEN
    assert option(rasa.argv, "--interface") == "127.0.0.1"
    assert "--cors" not in rasa.argv
    assert rasa.ready_url == f"http://127.0.0.1:5005/status?token={RASA_TOKEN}"


def test_cors_only_for_configured_origins() -> None:
    bot = BotSettings(rasa_cors_origins=["https://a.example", "https://b.example"])
    made = Stack(bot)
    try:
        argv = process(made, "rasa").argv
        origins = argv[argv.index("--cors") + 1 :][:2]
        assert origins == ["https://a.example", "https://b.example"]
    finally:
        made.stop()


def test_the_gateway_gets_the_tokens_of_what_it_calls_and_is_called_by(stack: Stack) -> None:
    gateway = process(stack, "gateway").env

    assert gateway["HANDOVER_RASA_TOKEN"] == RASA_TOKEN
    assert gateway["HANDOVER_BOT_TOKEN"] == HANDOVER_TOKEN
    assert gateway["HANDOVER_HOST"] == "127.0.0.1"
    assert ACTION_TOKEN not in gateway.values()


def test_every_process_runs_in_the_stacks_environment(stack: Stack) -> None:
    assert {p.env["SWITCHBOARD_ENVIRONMENT"] for p in stack.processes} == {"development"}


def test_no_process_reports_to_rasa_telemetry_even_when_asked_to() -> None:
    bot = BotSettings(action_token=ACTION_TOKEN, rasa_token=RASA_TOKEN, action_port=6055)
    connectors = ConnectorSettings(handover_token=HANDOVER_TOKEN)
    made = Stack(bot, connectors, env={"RASA_TELEMETRY_ENABLED": "true"})
    try:
        assert {p.env["RASA_TELEMETRY_ENABLED"] for p in made.processes} == {"false"}
    finally:
        made.stop()


def test_rasa_serves_no_socketio_channel() -> None:
    # Customers' widgets speak Rasa's socket.io protocol to the gateway; Rasa's own channel
    # would let anyone reaching it speak as any sender id.
    channels = yaml.safe_load((ROOT / "credentials.yml").read_text())

    assert set(channels) == {"rest"}


def test_run_refuses_placeholder_tokens_in_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def started(self: Stack) -> None:
        raise AssertionError("started with placeholder tokens")

    monkeypatch.setattr(Stack, "start", started)
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")
    for name in ("BOT_ACTION_TOKEN", "BOT_RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    assert run.main() == 2
    assert "set BOT_ACTION_TOKEN" in capsys.readouterr().err
