"""Two gateway processes on one Redis serve the same conversations."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from bot.stack import Process
from tests.e2e.conftest import AGENTS, create_agent, free_port
from tests.e2e.test_handover import Customer

pytestmark = pytest.mark.e2e
REDIS_URL = "redis://127.0.0.1:6379/0"
BOT_TOKEN = "dev-bot-token"


@pytest.fixture
def gateways(stack, tmp_path: Path) -> Iterator[list[str]]:
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    database_url = f"sqlite:///{tmp_path}/shared.db"
    create_agent(database_url, "ada", AGENTS["ada"])
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "HANDOVER_REDIS_NAMESPACE": namespace,
        "HANDOVER_RASA_URL": stack.bot.rasa_url,
        "BACKEND_CRM_URL": stack.backends.crm_url,
    }
    ports = [free_port(), free_port()]
    log = io.StringIO()
    processes = [
        Process(
            f"gateway-{port}",
            [stack.processes[0].argv[0], "-m", "handover", "serve"],
            f"http://127.0.0.1:{port}/health",
            {**env, "HANDOVER_PORT": str(port)},
        )
        for port in ports
    ]
    for process in processes:
        process.start(log)
    deadline = time.monotonic() + 60
    while not all(p.is_ready() for p in processes):
        assert time.monotonic() < deadline, log.getvalue()[-3000:]
        assert all(p.exited() is None for p in processes), log.getvalue()[-3000:]
        time.sleep(0.3)
    yield [f"http://127.0.0.1:{port}" for port in ports]
    for process in processes:
        process.popen.terminate()
        process.popen.wait(timeout=15)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)


def test_a_conversation_served_across_two_gateways(gateways: list[str]) -> None:
    first, second = gateways
    customer = Customer(first)
    try:
        token = requests.post(
            f"{second}/api/agent/login",
            json={"username": "ada", "password": AGENTS["ada"]},
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        asked = requests.post(
            f"{second}/api/handover",
            json={"conversation_id": customer.session_id, "reason": "customer_request",
                  "context": {"skill": "orders", "summary": "Unverified customer needs help"}},
            headers={"Authorization": f"Bearer {BOT_TOKEN}"},
            timeout=10,
        )  # fmt: skip
        assert asked.json()["status"] == "queued", asked.text
        customer.wait("handover_status", '"position": 1')
        queue = requests.get(f"{first}/api/queue", headers=headers, timeout=10).json()
        assert [item["conversation_id"] for item in queue["items"]] == [customer.session_id]
        url = f"/api/conversations/{customer.session_id}"
        assert requests.post(f"{first}{url}/accept", headers=headers, timeout=10).ok
        assert (
            requests.post(f"{second}{url}/accept", headers=headers, timeout=10).status_code == 409
        )
        requests.post(
            f"{second}{url}/messages", json={"text": "Hello from gateway two"},
            headers=headers, timeout=10,
        ).raise_for_status()  # fmt: skip
        customer.wait("bot_uttered", "Hello from gateway two")
        customer.say("thanks, my parcel is late")
        deadline = time.monotonic() + 10
        while (
            "my parcel is late"
            not in requests.get(f"{second}{url}", headers=headers, timeout=10).text
        ):
            assert time.monotonic() < deadline, "customer message never reached the record"
            time.sleep(0.1)
        assert requests.post(f"{second}{url}/handback", headers=headers, timeout=10).ok
        customer.wait("bot_uttered", "back with the virtual assistant")
    finally:
        customer.close()
