"""HANDOVER_RASA_URL and HANDOVER_RASA_CANARY_URL: one base URL, or the replicas' list."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handover.config import MAX_REPLICAS, HandoverSettings


@pytest.fixture(autouse=True)
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HANDOVER_RASA_URL", "HANDOVER_RASA_CANARY_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("http://127.0.0.1:5005", ["http://127.0.0.1:5005"]),
        ("http://rasa-1:5005/, https://rasa-2.internal", ["http://rasa-1:5005", "https://rasa-2.internal"]),
        ("http://[::1]:5005,http://[::1]:5105", ["http://[::1]:5005", "http://[::1]:5105"]),
    ],
)  # fmt: skip
def test_one_url_or_a_list(monkeypatch: pytest.MonkeyPatch, text: str, urls: list[str]) -> None:
    monkeypatch.setenv("HANDOVER_RASA_URL", text)
    monkeypatch.setenv("HANDOVER_RASA_CANARY_URL", "http://rasa-b:5005,http://rasa-b2:5005")

    settings = HandoverSettings()

    assert settings.rasa_urls == urls
    assert settings.rasa_canary_urls == ["http://rasa-b:5005", "http://rasa-b2:5005"]


def test_no_canary_by_default() -> None:
    assert HandoverSettings().rasa_canary_urls is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "URL #1 is not an http"),
        ("rasa:5005", "URL #1 is not an http"),
        ("ftp://rasa:5005", "URL #1 is not an http"),
        ("http://rasa:50x5", "URL #1 is not an http"),
        ("http://a:5005,,http://b:5005", "URL #2 is not an http"),
        ("http://a:5005,", "URL #2 is not an http"),
        ("http://a:5005,http://A:5005/", "listed twice"),
        ("http://a:5005,http://admin:s3cret@b:5005", "URL #2 must be a base URL"),
        ("http://a:5005/?token=s3cret", "URL #1 must be a base URL"),
        (",".join(f"http://a:{5000 + n}" for n in range(MAX_REPLICAS + 1)), "at most 16"),
    ],
)
def test_a_bad_list_is_a_clear_error_that_quotes_no_secret(
    monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.setenv("HANDOVER_RASA_URL", text)

    with pytest.raises(ValidationError, match=message) as raised:
        HandoverSettings()

    assert "rasa_url" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_sixteen_replicas_are_allowed() -> None:
    text = ",".join(f"http://a:{5000 + n}" for n in range(MAX_REPLICAS))
    assert len(HandoverSettings(rasa_url=text).rasa_urls) == MAX_REPLICAS


def test_a_canary_list_is_checked_too_and_shares_no_server_with_the_live_arm() -> None:
    with pytest.raises(ValidationError, match="URL #1 is not an http"):
        HandoverSettings(rasa_canary_url="rasa-b")
    with pytest.raises(ValidationError, match="http://b:5005 serves both arms"):
        HandoverSettings(rasa_url="http://a:5005,http://b:5005", rasa_canary_url="http://B:5005")
