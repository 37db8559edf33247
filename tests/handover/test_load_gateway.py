"""The load generator's customers and agents against the real gateway (Rasa faked in process)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from handover import crud
from handover.load.agent import Agent
from handover.load.customer import Customer, Pace
from handover.load.procs import Sampler
from handover.load.run import Plan, run
from handover.load.scenarios import Expect, MockData, Scenarios, Script, Step, mock_data
from handover.load.sio import Socket, SocketError
from handover.load.stats import Recorder
from tests.handover.socket_gateway import Gateway, served

BOT = {"Authorization": "Bearer dev-bot-token"}
QUICK = Pace(think=(0.01, 0.05), answer_timeout=5, handover_timeout=10)
NO_HANDOVER = {"bill": 1, "password": 1, "order": 1, "outage": 1, "faq": 1, "smalltalk": 1}


@pytest_asyncio.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    async with served(tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
def data() -> MockData:
    return mock_data()


async def test_the_socket_speaks_the_widget_protocol(gateway: Gateway) -> None:
    heard: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    socket = Socket(gateway.url, timeout=5)
    socket.on("*", lambda event, data: heard.put_nowait((event, data)))
    await socket.connect()
    await socket.emit("session_request", {"language": "fr"})
    event, confirm = await asyncio.wait_for(heard.get(), 5)
    assert event == "session_confirm" and len(confirm["session_id"]) == 32
    assert (await asyncio.wait_for(heard.get(), 5)) == ("handover_status", {"state": "bot"})
    await socket.emit("user_uttered", {"message": "où en est ma commande ORD-100001 ?"})
    assert (await asyncio.wait_for(heard.get(), 5)) == ("bot_uttered", {"text": "bot reply"})
    assert gateway.rasa.texts() == ["où en est ma commande ORD-100001 ?"]
    await socket.close()
    assert socket.closed.is_set()


async def test_a_refused_namespace_is_an_error(gateway: Gateway) -> None:
    with pytest.raises(SocketError, match="refused"):
        await Socket(gateway.url, "/agent", timeout=5).connect({"token": "not-a-token"})


async def test_a_small_run_answers_every_message(gateway: Gateway, data: MockData) -> None:
    plan = Plan(gateway.url, customers=4, duration=2, ramp=0.2, pace=QUICK, seed=1)
    outcome = await run(plan, Scenarios(data, NO_HANDOVER, 0.5, seed=1), Sampler({}))
    summary = outcome.summary
    assert summary["sent"] >= 10 and summary["answered"] == summary["sent"], summary
    assert summary["lost"] == 0 and summary["errors"] == {}, summary
    # Counted at the end of the 0.2 s ramp-up: the last customer may still be connecting.
    assert 1 <= summary["open_after_ramp"] <= 4 and summary["conversations"] >= 4
    assert len(gateway.rasa.calls) == summary["sent"]


async def test_messages_nobody_answers_are_lost(gateway: Gateway, data: MockData) -> None:
    async def stalled(conversation_id: str, text: str, **_: Any) -> list[dict[str, Any]]:
        await asyncio.sleep(3)  # past the answer timeout
        return [{"text": "too late"}]

    gateway.rasa.send = stalled  # type: ignore[method-assign]
    pace = Pace(think=(0.01, 0.02), answer_timeout=0.3, handover_timeout=1)
    plan = Plan(gateway.url, customers=3, duration=1, ramp=0.1, pace=pace, seed=2)
    summary = (await run(plan, Scenarios(data, NO_HANDOVER, seed=2), Sampler({}))).summary
    assert summary["sent"] >= 3 and summary["lost"] == summary["sent"], summary
    assert summary["answered"] == 0 and summary["p50_ms"] is None


async def test_an_agent_takes_the_chat_answers_and_hands_back(gateway: Gateway) -> None:
    await gateway.hub.db(
        crud.create_agent, username="sim", password="long-enough-1", skills=[], capacity=2
    )
    recorder, rng = Recorder(answer_timeout=5), random.Random(3)
    waits = (Step("", Expect.AWAIT_AGENT), Step("", Expect.AWAIT_BOT))
    customer = Customer(gateway.url, Script("handover", "fr", waits), recorder, QUICK, rng)
    stop = asyncio.Event()
    talking = asyncio.create_task(customer.run(stop))
    await asyncio.wait_for(customer.confirmed.wait(), 5)
    body = {"conversation_id": customer.session_id, "reason": "customer_request",
            "context": {"skill": "billing"}}  # fmt: skip
    agent = Agent(gateway.url, "sim", "long-enough-1", recorder, (0.05, 0.1), rng)
    await agent.sign_in()  # an agent online: the gateway queues rather than refuses
    token, agent_stop = agent._token, asyncio.Event()
    working = asyncio.create_task(agent.run(agent_stop))
    async with httpx.AsyncClient(base_url=gateway.url, timeout=5) as http:
        queued = await http.post("/api/handover", headers=BOT, json=body)
        # Queued, or given at once to the agent with room: the agent serves it either way.
        assert queued.json()["status"] in ("queued", "assigned")
        await asyncio.wait_for(talking, 10)
        agent_stop.set()
        await asyncio.wait_for(working, 10)
        signed_out = await http.get("/api/agent/me", headers={"Authorization": f"Bearer {token}"})
    assert customer.agent_spoke.is_set() and customer.with_bot.is_set()
    assert len(recorder.handover_waits) == 1 and recorder.errors == {}
    assert signed_out.status_code == 401, "the run signs its agents out"


async def test_a_rate_limited_customer_is_refused_not_lost(tmp_path: Path, data: MockData) -> None:
    async with served(tmp_path, customer_message_limit="1 per 10 seconds") as limited:
        plan = Plan(limited.url, customers=2, duration=1, ramp=0.1, pace=QUICK, seed=3)
        weights = {"faq": 1.0}  # four messages each: the second one is refused
        summary = (await run(plan, Scenarios(data, weights, seed=3), Sampler({}))).summary
    assert summary["refused"] >= 2 and summary["lost"] == 0, summary
    assert summary["answered"] + summary["refused"] == summary["sent"], summary
    assert summary["errors"] == {"gateway:rate_limited": summary["refused"]}, summary


async def test_a_customer_whose_socket_drops_loses_the_message_at_once(
    gateway: Gateway, data: MockData
) -> None:
    async def stalled(conversation_id: str, text: str, **_: Any) -> list[dict[str, Any]]:
        await asyncio.sleep(3)
        return [{"text": "too late"}]

    gateway.rasa.send = stalled  # type: ignore[method-assign]
    recorder, patient = Recorder(answer_timeout=30), Pace((0.01, 0.02), 30, 30)
    script = Script("faq", "en", (Step("what are your opening hours?"), Step("bye")))
    customer = Customer(gateway.url, script, recorder, patient, random.Random(5))
    talking = asyncio.create_task(customer.run(asyncio.Event()))
    while recorder.pending == 0:  # the question is on its way
        await asyncio.sleep(0.01)
    await gateway.hub.sio.disconnect(next(iter(gateway.hub.sio.manager.get_participants(
        "/", customer.session_id)))[0])  # fmt: skip
    await asyncio.wait_for(talking, 2)  # well before the answer timeout
    assert (recorder.sent, recorder.lost, recorder.pending) == (1, 1, 0)
    assert recorder.errors == {"socket_closed": 1}
