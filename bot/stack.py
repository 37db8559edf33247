"""The processes of the assistant, started together and stopped together.

`make run` uses this through `python -m bot.run`; the end-to-end tests use it too, on other
ports, so that what they test is exactly what runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlencode, urlsplit

import requests
import yaml

from bot.settings import BotSettings
from connectors.settings import ConnectorSettings
from privacy.settings import tracker_store_endpoint
from reporting.settings import event_broker_endpoint, reporting_settings

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# With Redis, how long a Rasa process's hold on a conversation lasts at most (Rasa's default: 60).
# A process killed while answering leaves its hold in Redis, and the conversation waits that long
# on the other processes; shorter than the gateway's wait for an answer (handover/bot_router.py
# TIMEOUT, 30 s), the message it moved there is still answered. Only a message the gateway gave
# up on holds it longer, and the gateway sends a conversation's messages one at a time.
LOCK_LIFETIME_SECONDS = 20


@dataclass
class Process:
    """One child process, its readiness URL, and its log lines prefixed with its name.

    Without a readiness URL (a process that serves nothing), running is being ready.
    """

    name: str
    argv: list[str]
    ready_url: str | None
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self, out: IO[str]) -> None:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        threading.Thread(target=self._pump, args=(out,), daemon=True).start()

    def _pump(self, out: IO[str]) -> None:
        assert self.popen and self.popen.stdout
        for raw in self.popen.stdout:
            out.write(f"[{self.name}] {raw.decode(errors='replace').rstrip()}\n")
            out.flush()

    def is_ready(self) -> bool:
        if self.ready_url is None:
            return self.exited() is None
        try:
            return requests.get(self.ready_url, timeout=2).ok
        except requests.RequestException:
            return False

    def exited(self) -> int | None:
        return None if self.popen is None else self.popen.poll()


class Stack:
    """Mock back-ends, action server and Rasa server."""

    def __init__(
        self,
        bot: BotSettings | None = None,
        backends: ConnectorSettings | None = None,
        out: IO[str] = sys.stdout,
        gateway_env: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.bot = bot or BotSettings()
        self.backends = (backends or ConnectorSettings()).copy(
            update={"handover_url": self.bot.gateway_url}
        )
        self.out = out
        self.gateway_env = gateway_env or {}
        # For every process, e.g. where the action server and the tracker store keep their data.
        self.env = env or {}
        # Where Rasa's events go for reports: one table, through RabbitMQ or not (reporting/).
        self.reporting = reporting_settings(
            {**self.env, **self.gateway_env}, environment=self.bot.environment
        )
        # Rasa servers by name (trainer/rollout.py): "a", and "b" for canary roll-outs; each
        # served by `BOT_RASA_WORKERS` processes, the gateway spreading conversations over them.
        self.rasa_servers = {"a": self.bot.rasa_urls}
        if self.bot.canary:
            self.rasa_servers["b"] = self.bot.canary_urls
        every = self._environment()
        redis_url = every.get("REDIS_URL")
        namespace = every.get("HANDOVER_REDIS_NAMESPACE") or "handover"
        self._lock_store = lock_store_endpoint(redis_url, namespace) if redis_url else None
        # One endpoints file per Rasa process (by its URL): each uses the action servers in turn.
        rasa = [(name, url) for name, urls in self.rasa_servers.items() for url in urls]
        actions = self.bot.action_urls
        self._endpoints = {
            url: self._write_endpoints(name, actions[n % len(actions)])
            for n, (name, url) in enumerate(rasa)
        }
        self.processes = self._processes()

    def _environment(self) -> dict[str, str]:
        """What the children see of the variables the stack reads itself."""
        return {**os.environ, **self.env, **self.gateway_env}

    def _write_endpoints(self, server: str, action_url: str) -> Path:
        """endpoints.yml, with an action server this stack starts and its token; with a canary
        server, where each server takes its model from (the gateway's model server); with
        Redis, the conversations' locks shared by every Rasa process."""
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
        if self.bot.canary:
            endpoints["models"] = {
                "url": f"{self.bot.gateway_url}/api/bot/models/{server}",
                "headers": {"Authorization": f"Bearer {self.bot.rasa_token}"},
                "wait_time_between_pulls": self.bot.model_pull_seconds,
            }
        endpoints["action_endpoint"] = {
            "url": f"{action_url}/webhook",
            "token": self.bot.action_token,
        }
        # Without Redis each Rasa process locks its conversations in memory only. That is safe
        # as long as one process serves a conversation at a time, which the gateway's sticky
        # pool ensures (handover/rasa_pool.py) except for the moment a conversation moves
        # because its process failed or came back.
        if self._lock_store is not None:
            endpoints["lock_store"] = self._lock_store
        # Trackers persist, redacted (no date of birth or code): privacy/tracker_store.py.
        endpoints["tracker_store"] = tracker_store_endpoint(self._environment())
        # The store publishes what it saved, redacted, to this broker (privacy/tracker_store.py).
        endpoints["event_broker"] = event_broker_endpoint(self.reporting)
        # mkstemp makes the file readable by its owner only: it holds the tokens.
        handle, path = tempfile.mkstemp(prefix="endpoints-", suffix=".yml")
        with os.fdopen(handle, "w") as file:
            yaml.safe_dump(endpoints, file)
        return Path(path)

    def _processes(self) -> list[Process]:
        # Every child runs in the stack's environment, whatever the parent's variables say.
        # Rasa's telemetry and its crash reports (to Sentry) would carry customers' messages and
        # this deployment's details off the machine: off in every process, whatever env says.
        common = {
            "SWITCHBOARD_ENVIRONMENT": self.bot.environment,
            **self.env,
            "RASA_TELEMETRY_ENABLED": "false",
        }
        backend_env = {
            **common,
            **{
                f"BACKEND_{key.upper()}": str(value)
                for key, value in self.backends.dict(exclude={"environment"}).items()
            },
        }
        cors = ["--cors", *self.bot.rasa_cors_origins] if self.bot.rasa_cors_origins else []
        rasa_env = {
            **common,
            "TF_INTRA_OP_PARALLELISM_THREADS": str(self.bot.rasa_tf_threads),
            "TF_INTER_OP_PARALLELISM_THREADS": str(self.bot.rasa_tf_threads),
        }
        if self._lock_store is not None:
            rasa_env["TICKET_LOCK_LIFETIME"] = str(LOCK_LIFETIME_SECONDS)
        processes = [
            Process(
                "mocks",
                [sys.executable, "-m", "connectors.mocks"],
                f"{self.backends.crm_url}/_mock/health",
                backend_env,
            ),
            *(
                Process(
                    replica_name("actions", n),
                    [sys.executable, "-m", "bot.action_server"],
                    f"{url}/health",
                    {
                        **backend_env,
                        "BOT_ACTION_HOST": self.bot.action_host,
                        # Each is one action server, on its own port.
                        "BOT_ACTION_PORT": url.rsplit(":", 1)[1],
                        "BOT_ACTION_WORKERS": "1",
                        "BOT_ACTION_PORTS": "[]",
                        "BOT_ACTION_TOKEN": self.bot.action_token,
                        "BOT_RASA_TOKEN": self.bot.rasa_token,
                    },
                )
                for n, url in enumerate(self.bot.action_urls)
            ),
            *(
                Process(
                    replica_name("rasa" if name == "a" else f"rasa-{name}", n),
                    [
                        str(VENV_BIN / "rasa"), "run", "--enable-api",
                        "--auth-token", self.bot.rasa_token, *cors,
                        "--interface", self.bot.rasa_host, "--port", url.rsplit(":", 1)[1],
                        "--model", str(self.bot.model),
                        "--credentials", "credentials.yml",
                        "--endpoints", str(self._endpoints[url]),
                    ],
                    f"{url}/status?{urlencode({'token': self.bot.rasa_token})}",
                    rasa_env,
                )
                for name, urls in self.rasa_servers.items()
                for n, url in enumerate(urls)
            ),
            Process(
                "gateway",
                [sys.executable, "-m", "handover", "serve"],
                f"{self.bot.gateway_url}/health",
                {
                    **backend_env,
                    "HANDOVER_HOST": self.bot.gateway_host,
                    "HANDOVER_PORT": str(self.bot.gateway_port),
                    "HANDOVER_RASA_URL": ",".join(self.rasa_servers["a"]),
                    "HANDOVER_RASA_TOKEN": self.bot.rasa_token,
                    **(
                        {"HANDOVER_RASA_CANARY_URL": ",".join(self.rasa_servers["b"])}
                        if "b" in self.rasa_servers
                        else {}
                    ),
                    # The token the action server sends when it asks for a person.
                    "HANDOVER_BOT_TOKEN": self.backends.handover_token,
                    **self.gateway_env,
                    # Purged and erased by the gateway: the table the broker writes.
                    "REPORTING_EVENTS_URL": self.reporting.events_url,
                },
            ),
        ]  # fmt: skip
        redis_url = self._environment().get("REDIS_URL")
        if redis_url:
            # Trainings wait on an RQ queue in this Redis; this worker runs them, one at a time.
            worker = [sys.executable, "-m", "trainer", "worker"]
            worker_env = {**common, **self.gateway_env, "REDIS_URL": redis_url}
            processes.append(Process("trainer", worker, None, worker_env))
        if self.reporting.rabbitmq_url is not None:
            # Through RabbitMQ, Rasa's events reach the table by this consumer.
            reporting_env = {
                "REPORTING_EVENTS_URL": self.reporting.events_url,
                "REPORTING_RABBITMQ_URL": self.reporting.rabbitmq_url,
                "REPORTING_RABBITMQ_QUEUE": self.reporting.rabbitmq_queue,
            }
            consumer = [sys.executable, "-m", "reporting", "consume"]
            processes.append(Process("reporting", consumer, None, {**common, **reporting_env}))
        return processes

    def start(self) -> None:
        """Start every process and wait until all answer; raise if one dies or is too slow."""
        if not (ROOT / self.bot.model).exists():
            raise RuntimeError(f"no trained model at {self.bot.model}: run `make model`")
        if self.bot.canary:
            self._bootstrap()
        for process in self.processes:
            process.start(self.out)
        self._wait_for(self.processes)

    def restart(self, name: str) -> None:
        """Start one stopped (or killed) process again and wait until it answers."""
        process = next(p for p in self.processes if p.name == name)
        if process.exited() is None:
            raise RuntimeError(f"{name} is still running")
        process.start(self.out)
        self._wait_for([process])

    def _wait_for(self, processes: list[Process]) -> None:
        deadline = time.monotonic() + self.bot.startup_timeout_seconds
        waiting = list(processes)
        while waiting:
            for process in list(waiting):
                if process.exited() is not None:
                    self.stop()
                    raise RuntimeError(f"{process.name} exited with code {process.exited()}")
                if process.is_ready():
                    waiting.remove(process)
            if time.monotonic() > deadline:
                self.stop()
                names = ", ".join(p.name for p in waiting)
                raise RuntimeError(f"not ready after {self.bot.startup_timeout_seconds}s: {names}")
            time.sleep(0.5)

    def _bootstrap(self) -> None:
        """Register the model file as the live one, in the gateway's database, before the Rasa
        servers ask the gateway for their models (`python -m trainer bootstrap`)."""
        env = {**os.environ, **self.env, **self.gateway_env, "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "trainer", "bootstrap", "--model", str(self.bot.model)]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        self.out.write("".join(f"[bootstrap] {line}\n" for line in done.stdout.splitlines()))
        if done.returncode != 0:
            raise RuntimeError(f"could not register {self.bot.model}: {done.stderr.strip()[-500:]}")

    def first_exited(self) -> Process | None:
        """A process that has stopped on its own, if any."""
        return next((p for p in self.processes if p.exited() is not None), None)

    def stop(self) -> None:
        """Stop every process: politely first, then for good."""
        for process in self.processes:
            if process.popen and process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes:
            if process.popen:
                try:
                    process.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.popen.kill()
        for path in self._endpoints.values():
            path.unlink(missing_ok=True)


def replica_name(server: str, index: int) -> str:
    """ "rasa", "rasa-2", ...: the first process of a server keeps the server's name."""
    return server if index == 0 else f"{server}-{index + 1}"


def lock_store_endpoint(redis_url: str, namespace: str) -> dict[str, Any]:
    """The `lock_store:` section of Rasa's endpoints.yml: Rasa's `RedisLockStore` on the Redis
    of `redis_url` (redis:// or rediss://, with its database, user and password), its keys
    under the gateway's namespace (Rasa takes letters and digits only: the rest is dropped)."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError("REDIS_URL must be redis://host:port/db or rediss://... for Rasa's locks")
    endpoint: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname,
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
        "key_prefix": "".join(c for c in namespace if c.isalnum()) or "handover",
        "use_ssl": parts.scheme == "rediss",
    }
    if parts.username:
        endpoint["username"] = unquote(parts.username)
    if parts.password:
        endpoint["password"] = unquote(parts.password)
    return endpoint
