"""Where each process of the assistant listens, the tokens between them, and the model."""

from ipaddress import ip_address
from pathlib import Path
from typing import Any

from pydantic import BaseSettings, Field, ValidationError, root_validator

from connectors.settings import refuse_placeholder_secrets

PLACEHOLDER_ACTION_TOKEN = "dev-action-token"
PLACEHOLDER_RASA_TOKEN = "dev-rasa-token"  # the gateway's HANDOVER_RASA_TOKEN default too


def describe(error: ValidationError) -> str:
    """What to fix, one line per setting, without pydantic's framing."""
    return "\n".join(f"error: {problem['msg']}" for problem in error.errors())


def _url_host(host: str) -> str:
    """The host part of a URL this machine reaches a server on (a wildcard bind: loopback)."""
    try:
        address = ip_address(host)
    except ValueError:  # a host name
        return host
    if address.is_unspecified:
        return "127.0.0.1"
    return f"[{host}]" if address.version == 6 else host


class BotSettings(BaseSettings):
    """Read from `BOT_*` environment variables (and the gateway's `HANDOVER_HOST`)."""

    # One variable for every process of the platform (see handover/config.py).
    environment: str = Field("production", env="SWITCHBOARD_ENVIRONMENT")
    # Loopback by default: Rasa's channels and the action server trust whoever reaches them
    # (tokens aside); customers and agents reach only the gateway.
    rasa_host: str = "127.0.0.1"
    action_host: str = "127.0.0.1"
    gateway_host: str = Field("127.0.0.1", env="HANDOVER_HOST")
    rasa_port: int = 5005
    action_port: int = 5055
    gateway_port: int = 8000
    # Rasa sends it to the action server (endpoints.yml `token:`), which refuses calls without it.
    action_token: str = PLACEHOLDER_ACTION_TOKEN
    # Rasa's HTTP API (`--auth-token`); the gateway sends it as HANDOVER_RASA_TOKEN.
    rasa_token: str = PLACEHOLDER_RASA_TOKEN
    # Browser origins allowed to call Rasa directly (JSON list); none, as only the gateway does.
    rasa_cors_origins: list[str] = []
    model: Path = Path("models/nimbus.tar.gz")
    # A second Rasa server for canary roll-outs (trainer/rollout.py): both then take their model
    # from the gateway's model server, polling it every `model_pull_seconds`.
    canary: bool = False
    canary_port: int = 5006
    model_pull_seconds: int = Field(2, ge=1)
    startup_timeout_seconds: float = 180.0

    class Config:
        env_prefix = "BOT_"

    @root_validator(skip_on_failure=True)
    def _real_secrets_outside_development(cls, values: dict[str, Any]) -> dict[str, Any]:
        placeholders = {
            "action_token": PLACEHOLDER_ACTION_TOKEN,
            "rasa_token": PLACEHOLDER_RASA_TOKEN,
        }
        refuse_placeholder_secrets(values, placeholders, prefix="BOT_")
        return values

    @property
    def rasa_url(self) -> str:
        return f"http://{_url_host(self.rasa_host)}:{self.rasa_port}"

    @property
    def canary_url(self) -> str:
        return f"http://{_url_host(self.rasa_host)}:{self.canary_port}"

    @property
    def action_url(self) -> str:
        return f"http://{_url_host(self.action_host)}:{self.action_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{_url_host(self.gateway_host)}:{self.gateway_port}"
