"""The deployment's topology on one machine: two gateways and two Rasa processes on one Redis
and one PostgreSQL (deploy/ runs the same shape), and each kind of process killed and started
again in the middle of customers' conversations without a message lost. Each gateway spreads
its customers over both Rasa processes; a killed one's conversations go on, from the shared
tracker store, on the other, and come back to it once it is started again.

Redis is a server of the test's own (its AOF on, as deploy/ runs it), so that it can be
killed; PostgreSQL is the machine's, in a schema of the test's own (it is not killed: it is the
record, and its own crash recovery is PostgreSQL's). A killed gateway's customers come back
through the other one with their session id and secret, as a load balancer sends them.
"""

from __future__ import annotations

import io
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.stack import Process, Stack
from handover.rasa_pool import weight
from tests.e2e.conftest import AGENTS, create_agent, free_port, mock_backends, two_rasa_processes
from tests.e2e.test_handover import Customer
from tests.handover.conftest import empty_database
from tests.redis_server import RedisServer

pytestmark = pytest.mark.e2e
ORDER, POSTCODE = "ORD-100001", "BS7 8AE"  # Jane's order, and where it goes
PER_PLACE = 1  # customers per (gateway, Rasa process) pair


@pytest.fixture(scope="module")
def topology(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Stack, RedisServer, io.StringIO]]:
    base = tmp_path_factory.mktemp("topology")
    own_redis = RedisServer(base)
    own_redis.start()
    with empty_database("postgresql", base) as database_url:
        create_agent(database_url, "ada", AGENTS["ada"])  # and the gateway's tables, once
        bot = two_rasa_processes()
        backends = mock_backends()
        namespace = f"topology-{secrets.token_hex(4)}"
        env = {  # every process: the record in PostgreSQL, what is shared live in Redis
            "ACTIONS_DATABASE_URL": database_url,
            "PRIVACY_TRACKER_STORE_URL": database_url,
            "REPORTING_EVENTS_URL": database_url,
            "REDIS_URL": own_redis.url,
            "LOG_LEVEL_LIBRARIES": "INFO",  # Sanic's access log: which Rasa process answered
        }
        gateway_env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": own_redis.url,
            "HANDOVER_REDIS_NAMESPACE": namespace,
            "TRAINER_QUEUE_NAME": namespace,
        }
        log = io.StringIO()
        stack = Stack(bot, backends, out=log, gateway_env=gateway_env, env=env)
        first = next(p for p in stack.processes if p.name == "gateway")
        second_port = free_port()
        stack.processes.append(
            Process(
                "gateway-2",
                first.argv,
                f"http://127.0.0.1:{second_port}/health",
                {**first.env, "HANDOVER_PORT": str(second_port)},
            )
        )
        try:
            stack.start()
        except RuntimeError:
            sys.stderr.write(log.getvalue()[-5000:])
            raise
        try:
            # Each gateway's health check asks every Rasa process: those it saw starting are up.
            for url in gateway_urls(stack).values():
                requests.get(f"{url}/health", timeout=60).raise_for_status()
            yield stack, own_redis, log
        finally:
            stack.stop()
            own_redis.kill()
            if os.environ.get("TOPOLOGY_LOG"):
                Path(os.environ["TOPOLOGY_LOG"]).write_text(log.getvalue())


def answered(log: io.StringIO, process: str) -> int:
    """Messages the process answered on its REST channel, from its access log (Sanic's, on with
    `LOG_LEVEL_LIBRARIES=INFO`): one line per message."""
    return sum(
        line.startswith(f"[{process}] ") and "/webhooks/rest/webhook" in line
        for line in log.getvalue().splitlines()
    )


def gateway_urls(stack: Stack) -> dict[str, str]:
    return {
        p.name: p.ready_url.removesuffix("/health")
        for p in stack.processes
        if p.name.startswith("gateway") and p.ready_url
    }


def placed_customers(stack: Stack) -> dict[tuple[str, str], list[Customer]]:
    """PER_PLACE customers on each gateway whose conversations start on each Rasa process."""
    names = dict(zip(stack.bot.rasa_urls, ("rasa", "rasa-2"), strict=True))
    placed: dict[tuple[str, str], list[Customer]] = {}
    for gateway, url in gateway_urls(stack).items():
        for rasa in names.values():
            placed[gateway, rasa] = []
        while any(len(placed[gateway, rasa]) < PER_PLACE for rasa in names.values()):
            customer = Customer(url)
            rasa = names[max(stack.bot.rasa_urls, key=lambda u: weight(u, customer.session_id))]
            if len(placed[gateway, rasa]) < PER_PLACE:
                placed[gateway, rasa].append(customer)
            else:
                customer.close()
    return placed


def all_ask(customers: list[Customer], text: str, expect: str) -> list[str]:
    with ThreadPoolExecutor(len(customers)) as pool:
        return list(pool.map(lambda c: c.ask(text, expect), customers))


def history(customer: Customer) -> list[dict[str, Any]]:
    customer.sio.emit("history_request", {})
    return customer.wait("history", timeout=20, consume=True)[1]["messages"]


def process(stack: Stack, name: str) -> subprocess.Popen[bytes]:
    found = next(p for p in stack.processes if p.name == name)
    assert found.popen is not None
    return found.popen


def kill(stack: Stack, name: str) -> None:
    popen = process(stack, name)
    popen.send_signal(signal.SIGKILL)
    popen.wait(timeout=30)


@pytest.mark.timeout(1200)
def test_two_gateways_two_rasa_redis_and_postgresql_lose_nothing_when_killed(
    topology: tuple[Stack, RedisServer, io.StringIO],
) -> None:
    stack, own_redis, log = topology
    urls = gateway_urls(stack)
    placed = placed_customers(stack)
    everyone = [c for group in placed.values() for c in group]
    said: dict[str, list[str]] = {c.session_id: [] for c in everyone}

    def ask_all(
        customers: list[Customer], text: str, expect: str, stored: str | None = None
    ) -> list[str]:
        for customer in customers:
            said[customer.session_id].append(stored or text)
        return all_ask(customers, text, expect)

    try:
        # Both gateways, both Rasa processes: each process answers its own customers.
        before = {name: answered(log, name) for name in ("rasa", "rasa-2")}
        ask_all(everyone, "track my order", "order number")
        spread = {name: answered(log, name) - before[name] for name in before}
        assert spread == {"rasa": 2 * PER_PLACE, "rasa-2": 2 * PER_PLACE}, log.getvalue()[-3000:]

        # The first gateway dies between two messages: its customers come back through the
        # other with their session's id and secret, and their forms go on where they were.
        kill(stack, "gateway")
        moved = [c for (gateway, _), group in placed.items() if gateway == "gateway" for c in group]
        for customer in moved:
            customer.close()
            back = Customer(urls["gateway-2"], customer.session_id, customer.session_secret)
            everyone[everyone.index(customer)] = back
        stack.restart("gateway")

        # A Rasa process dies while the order numbers are on their way: none of them is lost.
        for customer in everyone:
            said[customer.session_id].append(ORDER)
            customer.say(ORDER)
        kill(stack, "rasa-2")
        for customer in everyone:
            customer.wait("bot_uttered", "postcode", timeout=60, consume=True)
        stack.restart("rasa-2")
        # The record keeps what the privacy module leaves of a postcode.
        for reply in ask_all(everyone, POSTCODE, "is on its way", stored="[postcode]"):
            assert f"Order {ORDER} is on its way." in reply

        # The action server dies between two messages and is started again: the next flow
        # runs on the new one (the verification attempts it counts live in Redis), and the
        # restarted Rasa process has its conversations back.
        kill(stack, "actions")
        stack.restart("actions")
        back = answered(log, "rasa-2")
        ask_all(everyone, "how much do I owe", "account number")
        assert answered(log, "rasa-2") - back == 2 * PER_PLACE, log.getvalue()[-3000:]

        # Redis dies and comes back with its append-only file: ownership, queue and the
        # gateways' fan-out go on; an agent on one gateway serves a customer on the other.
        own_redis.kill()
        own_redis.start()
        customer = next(c for c in everyone if c.sio.connected)
        on_first = Customer(urls["gateway"], customer.session_id, customer.session_secret)
        customer.close()
        everyone[everyone.index(customer)] = on_first
        signed = requests.post(
            f"{urls['gateway-2']}/api/agent/login",
            json={"username": "ada", "password": AGENTS["ada"]},
            timeout=10,
        )
        signed.raise_for_status()
        headers = {"Authorization": f"Bearer {signed.json()['token']}"}
        requests.post(
            f"{urls['gateway-2']}/api/agent/status", json={"status": "online"},
            headers=headers, timeout=10,
        ).raise_for_status()  # fmt: skip
        said[on_first.session_id].append("I want to talk to a human")
        on_first.say("I want to talk to a human")
        on_first.wait("bot_uttered", "passing you to a member of our team", timeout=30)
        chat = f"{urls['gateway-2']}/api/conversations/{on_first.session_id}"
        deadline = time.monotonic() + 30
        while not requests.post(f"{chat}/accept", headers=headers, timeout=10).ok:
            assert time.monotonic() < deadline, "the hand-over never reached the queue"
            time.sleep(0.5)
        requests.post(
            f"{chat}/messages", json={"text": "Hello, Ada here"}, headers=headers, timeout=10
        ).raise_for_status()
        on_first.wait("bot_uttered", "Ada here", timeout=30)
        assert requests.post(f"{chat}/handback", headers=headers, timeout=10).ok
        on_first.wait("bot_uttered", "back with the virtual assistant", timeout=30)

        # Nothing lost: every message each customer sent is in the record once, and each
        # was answered (by the bot or the agent) before the next.
        for customer in everyone:
            messages = history(customer)
            users = [m["text"] for m in messages if m["sender"] == "user"]
            assert users == said[customer.session_id], messages
            for n, message in enumerate(messages):
                if message["sender"] == "user":
                    assert any(m["sender"] != "user" for m in messages[n + 1 :]), messages
    finally:
        for customer in everyone:
            customer.close()
