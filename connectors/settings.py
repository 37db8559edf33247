"""Where the back-end systems live and how long to wait for them."""

from typing import Any

from pydantic import BaseSettings, Field, root_validator

# The default of the gateway's HANDOVER_BOT_TOKEN too (handover/config.py).
PLACEHOLDER_HANDOVER_TOKEN = "dev-bot-token"
# HS256 keys shorter than the hash output weaken the signature (RFC 7518, section 3.2); the
# shared tokens follow the same floor.
MIN_SECRET_LENGTH = 32


def refuse_placeholder_secrets(
    values: dict[str, Any], placeholders: dict[str, str], *, prefix: str
) -> None:
    """Raise unless in development, or each secret is long and not its placeholder.

    Args:
        values: the settings' values, `environment` included.
        placeholders: each secret's field name and its development default.
        prefix: the settings' environment prefix, to name the variable to set.
    """
    if values["environment"] == "development":
        return
    for name, placeholder in placeholders.items():
        if values[name] == placeholder or len(values[name]) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"set {prefix}{name.upper()} to a random value of at least {MIN_SECRET_LENGTH}"
                " characters (or SWITCHBOARD_ENVIRONMENT=development)"
            )


class ConnectorSettings(BaseSettings):
    """Base URLs of the back-end systems, read from `BACKEND_*` environment variables."""

    # One variable for every process of the platform (see handover/config.py).
    environment: str = Field("production", env="SWITCHBOARD_ENVIRONMENT")
    crm_url: str = "http://127.0.0.1:8101"
    billing_url: str = "http://127.0.0.1:8102"
    orders_url: str = "http://127.0.0.1:8103"
    network_url: str = "http://127.0.0.1:8104"
    identity_url: str = "http://127.0.0.1:8105"
    handover_url: str = "http://127.0.0.1:8000"
    # Shared with the gateway (HANDOVER_BOT_TOKEN); the default only works in development.
    handover_token: str = PLACEHOLDER_HANDOVER_TOKEN
    timeout_seconds: float = 5.0

    class Config:
        env_prefix = "BACKEND_"

    @root_validator(skip_on_failure=True)
    def _real_secrets_outside_development(cls, values: dict[str, Any]) -> dict[str, Any]:
        refuse_placeholder_secrets(
            values, {"handover_token": PLACEHOLDER_HANDOVER_TOKEN}, prefix="BACKEND_"
        )
        return values
