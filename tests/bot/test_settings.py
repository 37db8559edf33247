"""Every process listens on loopback by default and refuses placeholder secrets in production."""

from __future__ import annotations

import pytest
from pydantic import BaseSettings, ValidationError

from bot.settings import BotSettings
from connectors.settings import ConnectorSettings
from handover.config import HandoverSettings

LONG = "x" * 32
# Each shared secret, the settings that read it, and the other secrets those settings need.
SECRETS = [
    (BotSettings, "BOT_ACTION_TOKEN", {"rasa_token": LONG}),
    (BotSettings, "BOT_RASA_TOKEN", {"action_token": LONG}),
    (ConnectorSettings, "BACKEND_HANDOVER_TOKEN", {}),
    (HandoverSettings, "HANDOVER_RASA_TOKEN", {"secret_key": LONG, "bot_token": LONG}),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix, settings in (("BOT_", BotSettings), ("BACKEND_", ConnectorSettings),
                             ("HANDOVER_", HandoverSettings)):  # fmt: skip
        for name in settings.__fields__:
            monkeypatch.delenv(f"{prefix}{name.upper()}", raising=False)
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")


def field(variable: str) -> str:
    return variable.split("_", 1)[1].lower()


@pytest.mark.parametrize(("settings", "variable", "others"), SECRETS)
def test_placeholder_is_refused_in_production(
    settings: type[BaseSettings], variable: str, others: dict[str, str]
) -> None:
    with pytest.raises(ValidationError, match=variable):
        settings(**others)


@pytest.mark.parametrize(("settings", "variable", "others"), SECRETS)
def test_a_short_secret_is_refused(
    settings: type[BaseSettings], variable: str, others: dict[str, str]
) -> None:
    with pytest.raises(ValidationError, match=variable):
        settings(**others, **{field(variable): "y" * 31})
    settings(**others, **{field(variable): "y" * 32})


@pytest.mark.parametrize(("settings", "variable", "others"), SECRETS)
def test_placeholders_work_in_development(
    monkeypatch: pytest.MonkeyPatch,
    settings: type[BaseSettings],
    variable: str,
    others: dict[str, str],
) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")

    settings()


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ACTION_TOKEN", "a" * 40)
    monkeypatch.setenv("BOT_RASA_TOKEN", "r" * 40)

    bot = BotSettings()

    assert (bot.action_token, bot.rasa_token) == ("a" * 40, "r" * 40)


def test_every_process_listens_on_loopback_by_default() -> None:
    bot = BotSettings(action_token=LONG, rasa_token=LONG)

    assert (bot.rasa_host, bot.action_host, bot.gateway_host) == ("127.0.0.1",) * 3
    assert bot.rasa_cors_origins == []
    assert bot.rasa_url == "http://127.0.0.1:5005"
    assert bot.action_url == "http://127.0.0.1:5055"


def test_each_process_has_its_own_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_RASA_HOST", "10.0.0.5")
    monkeypatch.setenv("BOT_ACTION_HOST", "::1")
    monkeypatch.setenv("HANDOVER_HOST", "0.0.0.0")
    monkeypatch.setenv("BOT_RASA_CORS_ORIGINS", '["https://shop.example"]')

    bot = BotSettings(action_token=LONG, rasa_token=LONG)

    assert bot.rasa_url == "http://10.0.0.5:5005"
    assert bot.action_url == "http://[::1]:5055"
    # The gateway open to the network does not open Rasa, and is reached locally on loopback.
    assert bot.gateway_host == "0.0.0.0"
    assert bot.gateway_url == "http://127.0.0.1:8000"
    assert bot.rasa_cors_origins == ["https://shop.example"]
