"""Where the back-end systems live and how long to wait for them."""

from pydantic import BaseSettings


class ConnectorSettings(BaseSettings):
    """Base URLs of the back-end systems, read from `BACKEND_*` environment variables."""

    crm_url: str = "http://127.0.0.1:8101"
    billing_url: str = "http://127.0.0.1:8102"
    orders_url: str = "http://127.0.0.1:8103"
    network_url: str = "http://127.0.0.1:8104"
    identity_url: str = "http://127.0.0.1:8105"
    handover_url: str = "http://127.0.0.1:8000"
    # Shared with the gateway (HANDOVER_BOT_TOKEN); the default only works in development.
    handover_token: str = "dev-bot-token"
    timeout_seconds: float = 5.0

    class Config:
        env_prefix = "BACKEND_"
