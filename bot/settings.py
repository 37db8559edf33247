"""Where each process of the assistant listens, the tokens between them, and the model."""

import os
from ipaddress import ip_address
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseSettings, Field, ValidationError, root_validator

from connectors.settings import refuse_placeholder_secrets

PLACEHOLDER_ACTION_TOKEN = "dev-action-token"
PLACEHOLDER_RASA_TOKEN = "dev-rasa-token"  # the gateway's HANDOVER_RASA_TOKEN default too
RASA_RSS_BYTES = 2_100_000_000  # one Rasa process with the model loaded, measured
MAX_WORKERS = 16  # per arm: the gateway's HANDOVER_RASA_URL takes 16 at most
PORT_STEP = 100  # a server's k-th extra process listens on its port + k * PORT_STEP


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


def auto_rasa_workers(arms: int) -> int:
    """Rasa processes per arm for this machine: one per core, at most 4, and all the arms'
    processes in half of the memory (each holds its model: `RASA_RSS_BYTES`)."""
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: no way to tell
        return 1
    fits = memory // 2 // (RASA_RSS_BYTES * arms)
    return max(1, min(os.cpu_count() or 1, 4, fits))


def ports(first: int, count: int, listed: list[int]) -> list[int]:
    """A server's ports: the listed ones, or `first` and every `PORT_STEP` above it."""
    return listed or [first + k * PORT_STEP for k in range(count)]


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
    # Rasa processes per arm ("a", and "b" with the canary), the gateway spreading conversations
    # over them (handover/rasa_pool.py). 1 by default: each holds 2.1 GB and takes about a
    # minute of a core to start, twice with the canary, and on the 2-core machines this runs on
    # a second one would compete with the gateway, the actions and the mocks for the same
    # cores; "auto" takes one per core, at most 4, in half of the memory (`auto_rasa_workers`).
    # They may share a SQLite tracker store: each save is one short write transaction that
    # waits (up to pysqlite's 5 s) for another's; 4 processes saving 300 turns each at once
    # never met "database is locked" (p99 0.3 s on a busy 2-core machine).
    rasa_workers: int | Literal["auto"] = 1
    # TensorFlow's threads in each Rasa process (intra- and inter-op). Rasa's models are small:
    # under load, one thread per process does more than TensorFlow's default of one per core,
    # which has each process's threads compete with the others' (bench_table, 2 processes at
    # c=32 on 2 cores: 20.3 msg/s against 17.9, p95 1.9 s against 2.9). Training is not
    # concerned: it runs in the trainer worker or `make model`.
    rasa_tf_threads: int = Field(1, ge=1, le=64)
    # Action servers, each Rasa process using one in turn. 1 is enough: the actions wait on the
    # back-ends (async httpx), and one event loop waits on hundreds of calls at once.
    action_workers: int = Field(1, ge=1, le=MAX_WORKERS)
    # Each process's port, as JSON lists (e.g. "[5005, 5007]") that replace BOT_RASA_PORT,
    # BOT_CANARY_PORT or BOT_ACTION_PORT; unset, a server's k-th extra process listens
    # k * 100 above it (5105, 5205, ... for Rasa; 5106, ... for the canary; 5155, ...).
    rasa_ports: list[int] = []
    canary_ports: list[int] = []
    action_ports: list[int] = []

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

    @root_validator(skip_on_failure=True)
    def _workers_and_their_ports(cls, values: dict[str, Any]) -> dict[str, Any]:
        arms = 2 if values["canary"] else 1
        if values["rasa_workers"] == "auto":
            values["rasa_workers"] = auto_rasa_workers(arms)
        if not 1 <= values["rasa_workers"] <= MAX_WORKERS:
            raise ValueError(f"BOT_RASA_WORKERS must be from 1 to {MAX_WORKERS}, or auto")
        servers = [("rasa", values["rasa_workers"]), ("action", values["action_workers"])]
        if values["canary"]:
            servers.append(("canary", values["rasa_workers"]))
        used = [values["gateway_port"]]
        for name, count in servers:
            listed = values[f"{name}_ports"]
            if listed and len(listed) != count:
                workers = "ACTION_WORKERS" if name == "action" else "RASA_WORKERS"
                raise ValueError(
                    f"BOT_{name.upper()}_PORTS lists {len(listed)} ports for BOT_{workers}={count}"
                )
            if listed:
                values[f"{name}_port"] = listed[0]
            used += ports(values[f"{name}_port"], count, listed)
        if clash := sorted({port for port in used if used.count(port) > 1}):
            raise ValueError(f"two processes would listen on port {clash[0]}: set BOT_*_PORTS")
        if bad := [port for port in used if not 0 < port < 65536]:
            raise ValueError(f"port {bad[0]} is out of range: set BOT_*_PORTS")
        return values

    @property
    def rasa_workers_count(self) -> int:
        assert isinstance(self.rasa_workers, int)  # "auto" is resolved on reading
        return self.rasa_workers

    @property
    def rasa_urls(self) -> list[str]:
        """Arm "a"'s Rasa processes."""
        listed = ports(self.rasa_port, self.rasa_workers_count, self.rasa_ports)
        return [f"http://{_url_host(self.rasa_host)}:{port}" for port in listed]

    @property
    def canary_urls(self) -> list[str]:
        """Arm "b"'s Rasa processes (with `canary`)."""
        listed = ports(self.canary_port, self.rasa_workers_count, self.canary_ports)
        return [f"http://{_url_host(self.rasa_host)}:{port}" for port in listed]

    @property
    def action_urls(self) -> list[str]:
        listed = ports(self.action_port, self.action_workers, self.action_ports)
        return [f"http://{_url_host(self.action_host)}:{port}" for port in listed]

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def canary_url(self) -> str:
        return self.canary_urls[0]

    @property
    def action_url(self) -> str:
        return self.action_urls[0]

    @property
    def gateway_url(self) -> str:
        return f"http://{_url_host(self.gateway_host)}:{self.gateway_port}"
