"""A manager's `/agent` socket, over the served gateway: the dashboard's nudges
(`overview_changed`) and nothing about any one chat; never a console at work; chat events
refused. And the live figures it refetches on a nudge change when a customer joins the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from handover import crud
from tests.handover.socket_gateway import Client, Gateway, served
from tests.handover.test_socket_supervisor import NUDGE, PASSWORD, console, queued, rest, sign_in

pytestmark = pytest.mark.asyncio(scope="module")
LIVE = "/api/reports/live"


@pytest_asyncio.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    async with served(tmp_path_factory.mktemp("gateway"), agent_grace_seconds=3600) as gateway:
        for name, role in (("ada", "agent"), ("max", "manager"), ("tess", "trainer")):
            await gateway.hub.db(
                crud.create_agent, username=name, password=PASSWORD, skills=[], capacity=5,
                display_name=name.title(), role=role,
            )  # fmt: skip
        yield gateway


async def live(gateway: Gateway, headers: dict[str, str]) -> dict[str, int]:
    status, answer = await rest(gateway, "GET", LIVE, headers)
    assert status == 200
    return {key: answer[key] for key in ("queue_length", "agents_online", "chats_in_progress")}


async def test_a_managers_socket_is_nudged_and_hears_nothing_of_any_chat(
    running: Gateway,
) -> None:
    manager, agent = await sign_in(running, "max"), await sign_in(running, "ada")
    max_ = await console(running, manager)
    ada = await console(running, agent)
    seen = len(await max_.wait(NUDGE))  # Ada's console connecting: she is online
    # Before anyone waits: Ada online, the manager (signed in, socket open) is not an agent.
    assert await live(running, manager) == {
        "queue_length": 0, "agents_online": 1, "chats_in_progress": 0,
    }  # fmt: skip

    client, cid = await queued(running)

    await max_.until(lambda: len(max_.of(NUDGE)) > seen)
    assert await live(running, manager) == {
        "queue_length": 1, "agents_online": 1, "chats_in_progress": 0,
    }  # fmt: skip
    await ada.wait("handover_requested", cid)
    assert (await rest(running, "POST", f"/api/conversations/{cid}/accept", agent))[0] == 200
    await max_.until(lambda: len(max_.of(NUDGE)) > seen + 1)
    assert (await live(running, manager))["chats_in_progress"] == 1
    # Ada hears of the chat; the manager's socket got nudges only (and no agent's events).
    assert {name for name, _ in max_.events} == {NUDGE}
    assert running.hub.presence.connections["max"] == 0, "never a console at work"
    for connection in (max_, ada, client):
        await connection.close()


@pytest.mark.parametrize(("name", "role"), [("max", "manager"), ("tess", "trainer")])
async def test_a_managers_or_trainers_socket_may_not_type_or_close_a_chat(
    running: Gateway, name: str, role: str
) -> None:
    manager = await console(running, await sign_in(running, name))

    typing = {"conversation_id": "any-chat", "typing": True}
    answer = await manager.sio.call("typing", typing, namespace="/agent")
    assert answer["code"] == "not_allowed"
    answer = await manager.sio.call(
        "close_conversation", {"conversation_id": "any-chat"}, namespace="/agent"
    )
    assert answer == {"error": f"{role}s take no chats", "code": "not_allowed"}
    await manager.close()


async def test_an_agents_socket_gets_no_report_nudges(running: Gateway) -> None:
    # The supervisors' room is for the roles that read reports: an agent's console is not in it.
    ada: Client = await console(running, await sign_in(running, "ada"))
    watcher = await console(running, await sign_in(running, "max"))
    client, cid = await queued(running)
    await ada.wait("handover_requested", cid)
    await watcher.wait(NUDGE)
    assert ada.of(NUDGE) == []
    for connection in (ada, watcher, client):
        await connection.close()
