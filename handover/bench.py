"""Handover latency benchmark: `python -m handover.bench [--levels 1,100]`.

Starts the whole assistant (mock back-ends, action server, Rasa, gateway) on free ports with a
fresh database, then, for each concurrency level, runs that many customers at once through the
gateway's public interfaces and prints p50/p95 of:

- request -> queue: the customer asks for a person, until their `handover_status` says queued
  (NLU, dialogue, action server, context packet, queue);
- agent -> customer: an agent's REST message, until the customer's widget receives it.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import socketio

from bot.settings import BotSettings
from bot.stack import ROOT, Stack
from connectors.settings import ConnectorSettings

AGENT, PASSWORD = "bench-agent", "bench-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def one_customer(base: str, headers: dict[str, str]) -> tuple[float, float]:
    """One customer's handover; returns (request->queue, agent->customer) in milliseconds."""
    session: dict[str, str] = {}
    confirmed, queued, relayed = threading.Event(), threading.Event(), threading.Event()
    marker = f"agent says hi {uuid.uuid4().hex[:6]}"
    # The synchronous client: python-engineio's asyncio client needs a newer aiohttp than Rasa's.
    client = socketio.Client(reconnection=False)
    # The gateway issues the conversation's id (and its secret) in session_confirm.
    client.on("session_confirm", lambda data: (session.update(data), confirmed.set()))
    client.on("handover_status", lambda d: d.get("state") == "queued" and queued.set())
    client.on("bot_uttered", lambda d: marker in json.dumps(d) and relayed.set())
    client.connect(base, transports=["websocket"], wait_timeout=30)
    client.emit("session_request", {})
    if not confirmed.wait(30):
        raise RuntimeError("no session_confirm")
    session_id = session["session_id"]
    started = time.perf_counter()
    client.emit("user_uttered", {"message": "I want to talk to a human agent please"})
    if not queued.wait(180):
        raise RuntimeError(f"{session_id} never queued")
    to_queue = (time.perf_counter() - started) * 1000
    url = f"{base}/api/conversations/{session_id}"
    requests.post(f"{url}/accept", headers=headers, timeout=60).raise_for_status()
    started = time.perf_counter()
    sent = requests.post(f"{url}/messages", headers=headers, json={"text": marker}, timeout=60)
    sent.raise_for_status()
    if not relayed.wait(60):
        raise RuntimeError(f"agent message never reached {session_id}")
    to_customer = (time.perf_counter() - started) * 1000
    requests.post(
        f"{url}/close", headers=headers, json={"reason": "resolved"}, timeout=60
    ).raise_for_status()
    client.disconnect()
    return to_queue, to_customer


def level(base: str, concurrency: int) -> dict[str, Any]:
    """Run `concurrency` customers at once and summarise their latencies."""
    login = {"username": AGENT, "password": PASSWORD}
    token = requests.post(f"{base}/api/agent/login", json=login, timeout=30).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda _: one_customer(base, headers), range(concurrency)))
    queue_ms = [r[0] for r in results]
    relay_ms = [r[1] for r in results]
    return {
        "concurrent_conversations": concurrency,
        "request_to_queue_ms": {"p50": round(statistics.median(queue_ms)),
                                "p95": round(percentile(queue_ms, 0.95))},
        "agent_to_customer_ms": {"p50": round(statistics.median(relay_ms)),
                                 "p95": round(percentile(relay_ms, 0.95))},
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,100")
    parser.add_argument("--log", help="write the processes' logs to this file")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    database_url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/handover.db"
    subprocess.run(
        [sys.executable, "-m", "handover", "create-agent", AGENT, "--password", PASSWORD,
         "--capacity", str(max(levels))],
        cwd=ROOT, check=True,
        env={"DATABASE_URL": database_url, "PATH": "", "SWITCHBOARD_ENVIRONMENT": "development"},
    )  # fmt: skip
    # A throwaway stack on loopback: the development placeholders are fine here.
    bot = BotSettings(
        environment="development",
        rasa_port=free_port(),
        action_port=free_port(),
        gateway_port=free_port(),
    )
    backends = ConnectorSettings(
        environment="development",
        **{f"{n}_url": f"http://127.0.0.1:{free_port()}" for n in
           ("crm", "billing", "orders", "network", "identity")}
    )  # fmt: skip
    log = open(args.log, "w") if args.log else io.StringIO()  # noqa: SIM115 (lives with the stack)
    state = tempfile.mkdtemp(prefix="bench-state-")
    env = {
        "ACTIONS_DATABASE_URL": f"sqlite:///{state}/actions.db",
        "PRIVACY_TRACKER_STORE_URL": f"sqlite:///{state}/rasa-trackers.db",
    }
    gateway_env = {"DATABASE_URL": database_url}
    stack = Stack(bot, backends, out=log, gateway_env=gateway_env, env=env)
    stack.start()
    try:
        for concurrency in levels:
            print(json.dumps(level(bot.gateway_url, concurrency)), flush=True)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
