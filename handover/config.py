"""Settings of the handover service, read from `HANDOVER_*` environment variables."""

import re
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseSettings, Field, root_validator, validator

from handover.canned import DEFAULT_FILE as DEFAULT_CANNED_RESPONSES
from handover.ratelimit import rule

PLACEHOLDER_SECRET = "dev-only-placeholder-secret-change-me"
PLACEHOLDER_BOT_TOKEN = "dev-bot-token"  # the action server's default too (connectors/settings.py)
PLACEHOLDER_RASA_TOKEN = "dev-rasa-token"  # Rasa's --auth-token default too (bot/settings.py)
# HS256 keys shorter than the hash output weaken the signature (RFC 7518, section 3.2).
MIN_SECRET_LENGTH = 32
ROOT = Path(__file__).resolve().parents[1]  # the repository: the bot's data and domain
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_REPLICAS = 16  # Rasa processes per arm the gateway spreads conversations over
_WINDOW = re.compile(r"^(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$")


@dataclass(frozen=True)
class OpeningWindow:
    """Opening hours on some weekdays (0 = Monday); `end` is exclusive, `None` means midnight."""

    weekdays: frozenset[int]
    start: time
    end: time | None


def _weekday(name: str) -> int:
    key = name.strip().lower()[:3]
    if key not in DAYS:
        raise ValueError(f"unknown day {name.strip()!r}; use Mon, Tue, ... Sun")
    return DAYS.index(key)


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        start = _weekday(first)
        end = _weekday(last) if last else start
        # "Fri-Mon" wraps over the weekend.
        days.update((start + offset) % 7 for offset in range((end - start) % 7 + 1))
    return frozenset(days)


def _clock(text: str) -> time | None:
    hours, minutes = (int(value) for value in text.split(":"))
    if (hours, minutes) == (24, 0):
        return None
    if hours > 23 or minutes > 59:
        raise ValueError(f"invalid time {text!r}")
    return time(hours, minutes)


def parse_opening_hours(text: str) -> list[OpeningWindow]:
    """Parse e.g. "Mon-Fri 08:00-20:00; Sat 09:00-17:00" (an empty text means always closed)."""
    windows = []
    for chunk in filter(None, (part.strip() for part in text.split(";"))):
        match = _WINDOW.match(chunk)
        if match is None:
            raise ValueError(f"cannot read opening hours {chunk!r}; expected 'Mon-Fri 08:00-20:00'")
        start, end = _clock(match["start"]), _clock(match["end"])
        if start is None or (end is not None and end <= start):
            # Overnight windows would belong to two days; writing them as two keeps it explicit.
            raise ValueError(f"{chunk!r} must end after it starts; split overnight hours in two")
        windows.append(OpeningWindow(_days(match["days"]), start, end))
    return windows


def base_urls(text: str) -> list[str]:
    """A comma-separated list of a server's base URLs, each http(s), without duplicates.

    The errors name a URL by its place in the list, never by its text, which may hold a secret.
    """
    urls = [part.strip().rstrip("/") for part in text.split(",")]
    if len(urls) > MAX_REPLICAS:
        raise ValueError(f"at most {MAX_REPLICAS} Rasa URLs per arm, not {len(urls)}")
    for place, url in enumerate(urls, start=1):
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Rasa URL #{place} is not an http(s) URL such as http://rasa:5005")
        if parts.username or parts.password or parts.query or parts.fragment:
            # Rasa's API takes its token as a parameter; credentials in a URL end up in logs.
            raise ValueError(f"Rasa URL #{place} must be a base URL: no credentials or query")
    normalised = [url.lower() for url in urls]
    if len(set(normalised)) != len(urls):
        raise ValueError("a Rasa URL is listed twice")
    return urls


class HandoverSettings(BaseSettings):
    """Everything the handover service reads from its environment."""

    # One variable for every process of the platform; production unless told otherwise, so a
    # forgotten setting fails closed (placeholder secrets are refused outside development).
    environment: str = Field("production", env="SWITCHBOARD_ENVIRONMENT")
    database_url: str = Field("sqlite:///var/handover.db", env="DATABASE_URL")
    redis_url: str | None = Field(None, env="REDIS_URL")
    # Keys and the Socket.IO channel live under this prefix, so deployments can share a Redis.
    redis_namespace: str = "handover"
    # Rasa's base URL, or its replicas' (comma-separated): handover/rasa_pool.py.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = PLACEHOLDER_RASA_TOKEN  # Rasa's --auth-token, for its HTTP API
    # The second Rasa server (or its replicas), for canary roll-outs (handover/bot_router.py);
    # it shares the token.
    rasa_canary_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = PLACEHOLDER_SECRET
    bot_token: str = PLACEHOLDER_BOT_TOKEN  # what the action server sends to ask for handovers
    # How long a sign-in lasts at most: refreshing never carries an agent's session past it.
    token_ttl_seconds: int = Field(12 * 60 * 60, gt=0)
    # Access tokens are short-lived; the console refreshes them while the session lives.
    access_token_ttl_seconds: int = Field(15 * 60, gt=0)
    # Sign-in attempts (`limits` rules): per username, and per client address across usernames.
    login_limit_per_user: str = "5/minute"
    login_limit_per_ip: str = "20/minute"
    # Customer sockets: every event of one socket (both namespaces), messages of one socket, and
    # messages of one conversation whatever its sockets. Excess is refused with an error event.
    socket_event_limit: str = "40 per 10 seconds"
    customer_message_limit: str = "10 per 10 seconds"
    conversation_message_limit: str = "30/minute"
    # Bot turns one gateway process takes on at once (answering or waiting for Rasa); past it a
    # message is refused (`bot_busy`) before it is stored. One Rasa process answers about 8
    # messages a second (docs/benchmarks.md): 100 is some 12 s of its work, within the 30 s a
    # gateway waits for an answer. Raise it with the Rasa processes behind each gateway.
    max_bot_backlog: int = Field(100, ge=1)
    # A customer's message stored but not answered this long after (its gateway stopped in
    # between) is answered by a gateway that looks (every RECOVERY_CHECK_SECONDS). Longer than
    # a live gateway's longest turn: a Rasa timeout (30 s) on two replicas, and some.
    recover_after_seconds: int = Field(90, ge=1)
    # Web origins allowed to open a Socket.IO connection, comma-separated ("*" for any): the
    # company's sites that embed the widget. Unset: the gateway's own origin only, or any
    # origin in development.
    allowed_origins: str | None = None
    # Shared with the sites that embed the widget, to vouch for their signed-in customer
    # (`data-customer-id` + `data-customer-hash`); unset: the gateway takes no site's word.
    identity_secret: str | None = Field(None, min_length=MIN_SECRET_LENGTH)
    agent_grace_seconds: int = 30
    default_capacity: int = 3
    max_wait_seconds: int = 600
    average_handle_seconds: int = 300  # for the customer's estimated wait
    opening_hours: str = "Mon-Sun 00:00-24:00"
    timezone: str = "Europe/London"
    canned_responses_file: Path = DEFAULT_CANNED_RESPONSES
    # Agent assist: the console suggests the bot's answer when the NLU is at least this sure.
    suggestion_min_confidence: float = Field(0.6, ge=0.0, le=1.0)
    # What the trainer's labels change (`/api/trainer/labels`, `trainer.labels`): the NLU
    # training data, the domain (new intents), and the regression set of labelled texts.
    trainer_data_dir: Path = ROOT / "data" / "nlu"
    trainer_domain: Path = ROOT / "domain.yml"
    trainer_regression_file: Path = ROOT / "data" / "regression.jsonl"

    class Config:
        env_prefix = "HANDOVER_"

    @validator("opening_hours")
    def _readable_hours(cls, value: str) -> str:
        parse_opening_hours(value)
        return value

    @validator(
        "login_limit_per_user",
        "login_limit_per_ip",
        "socket_event_limit",
        "customer_message_limit",
        "conversation_message_limit",
    )
    def _readable_rate_limit(cls, value: str) -> str:
        rule(value)  # ValueError names the rule it cannot read
        return value

    @validator("rasa_url", "rasa_canary_url")
    def _readable_rasa_urls(cls, value: str | None) -> str | None:
        return None if value is None else ",".join(base_urls(value))

    @validator("rasa_canary_url")
    def _arms_apart(cls, value: str | None, values: dict[str, Any]) -> str | None:
        if value is None or "rasa_url" not in values:  # rasa_url's own error says the rest
            return value
        shared = set(base_urls(value.lower())) & set(base_urls(values["rasa_url"].lower()))
        if shared:
            raise ValueError(f"{', '.join(sorted(shared))} serves both arms: list it once")
        return value

    @validator("timezone")
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @root_validator(skip_on_failure=True)
    def _real_secrets_outside_development(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["environment"] == "development":
            return values
        placeholders = {
            "secret_key": PLACEHOLDER_SECRET,
            "bot_token": PLACEHOLDER_BOT_TOKEN,
            "rasa_token": PLACEHOLDER_RASA_TOKEN,
        }
        for name, placeholder in placeholders.items():
            if values[name] == placeholder or len(values[name]) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"set HANDOVER_{name.upper()} to a random value of at least"
                    f" {MIN_SECRET_LENGTH} characters (or SWITCHBOARD_ENVIRONMENT=development)"
                )
        return values

    @property
    def rasa_urls(self) -> list[str]:
        return base_urls(self.rasa_url)

    @property
    def rasa_canary_urls(self) -> list[str] | None:
        return None if self.rasa_canary_url is None else base_urls(self.rasa_canary_url)

    def socket_origins(self) -> str | list[str] | None:
        """python-socketio's `cors_allowed_origins`: None means the gateway's own origin."""
        if self.allowed_origins is None:
            return "*" if self.environment == "development" else None
        origins = [origin.strip() for origin in self.allowed_origins.split(",") if origin.strip()]
        return "*" if "*" in origins else origins or None

    def is_open(self, now: datetime) -> bool:
        """Whether agents are working at `now` (timezone-aware), in the service's timezone."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware, e.g. datetime.now(timezone.utc)")
        local = now.astimezone(ZoneInfo(self.timezone))
        clock = local.time().replace(tzinfo=None)
        return any(
            local.weekday() in window.weekdays
            and window.start <= clock
            and (window.end is None or clock < window.end)
            for window in parse_opening_hours(self.opening_hours)
        )


@lru_cache(maxsize=1)
def settings() -> HandoverSettings:
    """The settings of this process, read once (tests call `settings.cache_clear()`)."""
    return HandoverSettings()
