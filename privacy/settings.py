"""Settings of the privacy duties, read from `PRIVACY_*` environment variables."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseSettings, Field

DEFAULT_TRACKER_STORE_URL = "sqlite:///var/rasa-trackers.db"


class PrivacySettings(BaseSettings):
    """Retention, and where Rasa's tracker store is (Rasa writes it, the gateway purges it)."""

    # Messages, closed conversations and tracker events older than this are deleted.
    retention_days: int = Field(90, ge=1)
    retention_check_seconds: float = Field(3600.0, gt=0)
    # A SQLAlchemy URL: a SQLite file (relative to the working folder) or PostgreSQL.
    tracker_store_url: str = DEFAULT_TRACKER_STORE_URL

    class Config:
        env_prefix = "PRIVACY_"


def tracker_store_endpoint(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `tracker_store:` section of Rasa's endpoints.yml; `overrides` beat the environment.

    Rasa passes `url` to the store as `host`; a full SQLAlchemy URL is used as it is.
    """
    url = (overrides or {}).get("PRIVACY_TRACKER_STORE_URL") or PrivacySettings().tracker_store_url
    return {"type": "privacy.tracker_store.RedactingTrackerStore", "url": url}
