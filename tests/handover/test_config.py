"""Settings: environment variables, the secret check and opening hours."""

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from handover.config import HandoverSettings, parse_opening_hours, settings

LONG_SECRET = "x" * 40
WEEKDAYS_AND_SATURDAY = "Mon-Fri 08:00-20:00; Sat 09:00-17:00"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    names = ("DATABASE_URL", "REDIS_URL", "SWITCHBOARD_ENVIRONMENT", *HandoverSettings.__fields__)
    for name in names:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"HANDOVER_{name.upper()}", raising=False)
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")
    settings.cache_clear()
    yield
    settings.cache_clear()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_defaults() -> None:
    config = HandoverSettings()

    assert config.database_url == "sqlite:///var/handover.db"
    assert config.redis_url is None
    assert (config.host, config.port) == ("127.0.0.1", 8000)
    assert config.token_ttl_seconds == 12 * 3600
    assert config.is_open(utc(2026, 12, 25, 3, 0))


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/handover")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("HANDOVER_PORT", "9000")
    monkeypatch.setenv("HANDOVER_DATABASE_URL", "sqlite:///ignored.db")

    config = settings()

    assert config.database_url == "postgresql://db/handover"
    assert config.redis_url == "redis://cache:6379/0"
    assert config.port == 9000
    assert settings() is config


def test_the_bot_backlog_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert HandoverSettings().max_bot_backlog == 100
    monkeypatch.setenv("HANDOVER_MAX_BOT_BACKLOG", "7")
    assert HandoverSettings().max_bot_backlog == 7
    monkeypatch.setenv("HANDOVER_MAX_BOT_BACKLOG", "0")
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        HandoverSettings()


def test_production_is_the_default_and_refuses_placeholders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SWITCHBOARD_ENVIRONMENT")
    with pytest.raises(ValidationError, match="HANDOVER_SECRET_KEY"):
        HandoverSettings()
    config = HandoverSettings(secret_key=LONG_SECRET, bot_token=LONG_SECRET, rasa_token=LONG_SECRET)
    assert config.environment == "production"


def test_placeholder_secrets_only_in_development() -> None:
    HandoverSettings(environment="development")
    with pytest.raises(ValidationError, match="HANDOVER_SECRET_KEY"):
        HandoverSettings(environment="production", bot_token=LONG_SECRET)
    with pytest.raises(ValidationError, match="HANDOVER_SECRET_KEY"):
        HandoverSettings(environment="production", secret_key="short", bot_token=LONG_SECRET)
    with pytest.raises(ValidationError, match="HANDOVER_BOT_TOKEN"):
        HandoverSettings(environment="production", secret_key=LONG_SECRET)
    HandoverSettings(
        environment="production",
        secret_key=LONG_SECRET,
        bot_token=LONG_SECRET,
        rasa_token=LONG_SECRET,
    )


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (utc(2026, 1, 5, 7, 59), False),  # Monday 07:59 GMT
        (utc(2026, 1, 5, 8, 0), True),
        (utc(2026, 7, 6, 7, 30), True),  # Monday 08:30 BST
        (utc(2026, 7, 6, 19, 30), False),  # Monday 20:30 BST
        (utc(2026, 1, 9, 19, 59), True),  # Friday 19:59
        (utc(2026, 1, 10, 16, 59), True),  # Saturday 16:59
        (utc(2026, 1, 10, 17, 0), False),  # closing time is exclusive
        (utc(2026, 1, 11, 12, 0), False),  # Sunday
        (datetime.fromisoformat("2026-01-05T09:00:00+01:00"), True),  # 08:00 in London
    ],
)
def test_opening_hours(now: datetime, is_open: bool) -> None:
    assert HandoverSettings(opening_hours=WEEKDAYS_AND_SATURDAY).is_open(now) is is_open


def test_opening_hours_in_another_timezone() -> None:
    config = HandoverSettings(opening_hours="Mon 09:00-10:00", timezone="America/New_York")

    assert config.is_open(utc(2026, 1, 5, 14, 30))
    assert not config.is_open(utc(2026, 1, 5, 9, 30))


def test_day_ranges_wrap_and_list() -> None:
    [weekend] = parse_opening_hours("Fri-Mon 10:00-24:00")
    [some] = parse_opening_hours("mon,Wed, friday 10:00-12:00")

    assert weekend.weekdays == {4, 5, 6, 0}
    assert weekend.end is None
    assert some.weekdays == {0, 2, 4}
    assert parse_opening_hours("") == []
    assert not HandoverSettings(opening_hours="").is_open(utc(2026, 1, 5, 12, 0))


@pytest.mark.parametrize(
    "text",
    ["Mon-Fri 8-20", "Funday 09:00-17:00", "Mon 20:00-08:00", "Mon 09:00-25:00", "09:00-17:00"],
)
def test_unreadable_opening_hours_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="opening_hours"):
        HandoverSettings(opening_hours=text)


def test_naive_time_and_unknown_timezone_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HandoverSettings().is_open(datetime(2026, 1, 5, 12, 0))
    with pytest.raises(ValidationError, match="timezone"):
        HandoverSettings(timezone="Mars/Olympus")
