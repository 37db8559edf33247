"""The action server answers only callers with the shared token (a real server on a free port)."""

from __future__ import annotations

import asyncio
import functools
import socket
import sys
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic

from actions import common
from bot import action_server
from bot.action_server import create_app
from connectors import build_backends
from tests import factories as f
from tests.fake_http import FakeHttp

TOKEN = "a-token-that-only-rasa-knows-0123456789"
ran: list[str] = []


class ActionShowSecret(Action):
    """Stands for any action that shows what only a verified customer may see."""

    def name(self) -> str:
        return "action_show_secret"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ran.append(tracker.sender_id)
        dispatcher.utter_message(text=f"the bill of {tracker.get_slot('customer_id')}")
        return []


VERIFIED = {"verified": True, "customer_id": "CUS-00001", "account_number": "30000001"}


def action_call(next_action: str, sender_id: str, slots: dict[str, Any]) -> dict[str, Any]:
    """What Rasa posts to /webhook to run `next_action` in a conversation with these slots."""
    tracker = {
        "sender_id": sender_id, "slots": slots, "latest_message": {}, "events": [],
        "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None,
    }  # fmt: skip
    return {"next_action": next_action, "sender_id": sender_id, "tracker": tracker,
            "domain": {}, "version": "3.6.2"}  # fmt: skip


def forged_call(next_action: str) -> dict[str, Any]:
    """What an attacker posts: a made-up tracker, already verified as someone else."""
    return action_call(next_action, "attacker", VERIFIED)


@pytest.fixture
def trivial_actions() -> Iterator[types.ModuleType]:
    module = types.ModuleType("switchboard_test_actions")
    module.ActionShowSecret = ActionShowSecret  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    ran.clear()
    yield module
    del sys.modules[module.__name__]


async def serve(app: Sanic) -> AsyncIterator[httpx.AsyncClient]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = await app.create_server("127.0.0.1", port, return_asyncio_server=True)
    assert server is not None
    await server.startup()
    await server.start_serving()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await server.after_stop()
    # Sanic ends each connection's task a few loop turns after the client left; the test's
    # event loop must not close before.
    deadline = asyncio.get_running_loop().time() + 5
    while server.connections and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def new_app_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every rasa_sdk app is called "rasa_sdk"; Sanic refuses a second one outside test mode.
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
async def client(trivial_actions: types.ModuleType) -> AsyncIterator[httpx.AsyncClient]:
    async for running in serve(create_app(trivial_actions, token=TOKEN)):
        yield running


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"token": ""},
        {"token": "wrong"},
        {"token": TOKEN[:-1]},
        {"token": TOKEN + "x"},
        {"token": "é" * 10},
    ],
    ids=["none", "empty", "wrong", "prefix", "longer", "not-ascii"],
)
async def test_forged_tracker_without_the_token_is_refused(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    answer = await client.post("/webhook", json=forged_call("action_show_secret"), params=params)

    assert answer.status_code == 401
    assert "CUS-00001" not in answer.text
    assert ran == []


async def test_the_token_in_a_header_is_not_enough(client: httpx.AsyncClient) -> None:
    # Rasa sends it as a query parameter; no other place is accepted.
    headers = {"Authorization": f"Bearer {TOKEN}", "token": TOKEN}
    answer = await client.post("/webhook", json=forged_call("action_show_secret"), headers=headers)

    assert answer.status_code == 401
    assert ran == []


async def test_with_the_token_the_action_runs(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/webhook", json=forged_call("action_show_secret"), params={"token": TOKEN}
    )

    assert answer.status_code == 200
    assert answer.json()["responses"][0]["text"] == "the bill of CUS-00001"
    assert ran == ["attacker"]


async def test_the_action_list_needs_the_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/actions")).status_code == 401
    listed = await client.get("/actions", params={"token": TOKEN})
    # rasa_sdk registers every Action subclass imported so far, by other tests' modules too.
    assert {"name": "action_show_secret"} in listed.json()


async def test_health_is_open_and_says_nothing_else(client: httpx.AsyncClient) -> None:
    answer = await client.get("/health")

    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


async def test_browsers_are_not_invited(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        "/health", headers={"Origin": "http://evil.example"}, params={"token": TOKEN}
    )

    assert "access-control-allow-origin" not in answer.headers


def test_an_empty_token_is_refused_at_start(trivial_actions: types.ModuleType) -> None:
    with pytest.raises(ValueError, match="BOT_ACTION_TOKEN"):
        create_app(trivial_actions, token="")


@pytest.fixture
def back_ends(monkeypatch: pytest.MonkeyPatch, http: FakeHttp) -> FakeHttp:
    """The bot's actions talk to the default back-end URLs, which only `http` answers."""
    for name in ("CRM_URL", "BILLING_URL", "NETWORK_URL", "TIMEOUT_SECONDS"):
        monkeypatch.delenv(f"BACKEND_{name}", raising=False)
    monkeypatch.setattr(
        common, "build_backends", functools.partial(build_backends, transport=http.transport)
    )
    return http


async def test_the_bots_own_bill_action_is_behind_the_token(back_ends: FakeHttp) -> None:
    """The finding itself: a forged, verified tracker asking the real package for a bill."""
    app = create_app(action_server.ACTIONS_PACKAGE, token=TOKEN)
    async for client in serve(app):
        answer = await client.post("/webhook", json=forged_call("action_check_bill_balance"))

    assert answer.status_code == 401
    assert back_ends.call_count == 0


async def test_a_slow_back_end_holds_up_only_its_own_conversation(
    back_ends: FakeHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One conversation waits on billing; another's outage check is answered meanwhile."""
    back_ends.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    back_ends.get(f"{f.BILLING}/accounts/30000001/balance", json=f.balance())
    back_ends.get(f"{f.NETWORK}/incidents", json=[])
    billing_asked, billing_may_answer = asyncio.Event(), asyncio.Event()

    async def billing_answers_last(request: httpx.Request) -> httpx.Response:
        # Billing answers only once the other conversation has had its answer: were the actions
        # blocking the server's loop, that answer could never come (the test would time out).
        if request.url.port == 8102:
            billing_asked.set()
            await billing_may_answer.wait()
        return back_ends.handle(request)

    slow_transport = httpx.MockTransport(billing_answers_last)
    monkeypatch.setattr(
        common, "build_backends", functools.partial(build_backends, transport=slow_transport)
    )
    app = create_app(action_server.ACTIONS_PACKAGE, token=TOKEN)
    finished: list[str] = []

    async def run(client: httpx.AsyncClient, name: str, call: dict[str, Any]) -> httpx.Response:
        answer = await client.post("/webhook", json=call, params={"token": TOKEN})
        finished.append(name)
        return answer

    async for client in serve(app):
        bill = asyncio.create_task(
            run(
                client,
                "bill",
                action_call("action_check_bill_balance", "waits-on-billing", VERIFIED),
            )
        )
        await asyncio.wait_for(billing_asked.wait(), timeout=10)
        outage = await asyncio.wait_for(
            run(
                client,
                "outage",
                action_call("action_check_outage", "other", {"postcode": "M1 1AE"}),
            ),
            timeout=10,
        )
        assert finished == ["outage"] and not bill.done()
        billing_may_answer.set()
        bill_answer = await asyncio.wait_for(bill, timeout=10)

    assert finished == ["outage", "bill"]
    assert outage.status_code == 200 and bill_answer.status_code == 200
    assert [r["response"] for r in outage.json()["responses"]][0] == "utter_no_incident"
    assert [r["response"] for r in bill_answer.json()["responses"]][0] == "utter_balance_due"


async def test_stopping_the_server_closes_the_back_end_clients(back_ends: FakeHttp) -> None:
    back_ends.get(f"{f.NETWORK}/incidents", json=[])
    app = create_app(action_server.ACTIONS_PACKAGE, token=TOKEN)
    async for client in serve(app):
        call = action_call("action_check_outage", "someone", {"postcode": "M1 1AE"})
        await client.post("/webhook", json=call, params={"token": TOKEN})
        built = common.backends()

    assert built.network._http.client.is_closed
    assert common.backends() is not built, "the next use on this loop builds new clients"


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `main` would serve, without serving it."""
    runs: list[dict[str, Any]] = []

    def record(app: Sanic, host: str, port: int, **options: Any) -> None:
        runs.append({"host": host, "port": port, **options})

    monkeypatch.setattr(Sanic, "run", record)
    for name in ("ACTION_HOST", "ACTION_PORT", "ACTION_TOKEN", "RASA_TOKEN"):
        monkeypatch.delenv(f"BOT_{name}", raising=False)
    monkeypatch.delenv("BACKEND_HANDOVER_TOKEN", raising=False)
    return runs


def test_main_listens_on_loopback_by_default(no_server: list[dict[str, Any]]) -> None:
    assert action_server.main() == 0

    assert no_server == [{"host": "127.0.0.1", "port": 5055, "workers": 1, "access_log": False}]


def test_main_refuses_placeholder_tokens_in_production(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_server: list[dict[str, Any]],
) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")

    assert action_server.main() == 2
    assert "BOT_ACTION_TOKEN" in capsys.readouterr().err
    assert no_server == []
