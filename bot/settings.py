"""Where the Rasa server and the action server listen, and which model they serve."""

from pathlib import Path

from pydantic import BaseSettings


class BotSettings(BaseSettings):
    """Read from `BOT_*` environment variables."""

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    gateway_port: int = 8000
    model: Path = Path("models/nimbus.tar.gz")
    startup_timeout_seconds: float = 180.0

    class Config:
        env_prefix = "BOT_"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"
