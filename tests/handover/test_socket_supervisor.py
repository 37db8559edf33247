"""A supervisor reassigning chats, over the served gateway's sockets: what the customer, the
agent who had the chat and the one who gets it each hear; and the `overview_changed` nudges,
which supervisors' consoles get and agents' consoles never do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from handover import crud
from tests.handover.socket_gateway import Client, Gateway, customer, served

pytestmark = pytest.mark.asyncio(scope="module")
BOT = {"Authorization": "Bearer dev-bot-token"}
PASSWORD = "long-enough-1"
NUDGE = "overview_changed"
PEOPLE = {"ada": ("Ada L.", "agent"), "bob": ("Bob", "agent"), "sue": ("Sue", "supervisor")}


@pytest_asyncio.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    # Consoles come and go between tests: their chats must not be requeued meanwhile.
    async with served(tmp_path_factory.mktemp("gateway"), agent_grace_seconds=3600) as gateway:
        for name, (display, role) in PEOPLE.items():
            await gateway.hub.db(
                crud.create_agent, username=name, password=PASSWORD, skills=[], capacity=50,
                display_name=display, role=role,
            )  # fmt: skip
        yield gateway


async def rest(gateway: Gateway, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, gateway.url + path, headers=headers, **kw) as answer,
    ):
        return answer.status, await answer.json(content_type=None)


async def sign_in(gateway: Gateway, name: str) -> dict[str, str]:
    """A bearer header for a new session of `name`, who is then online."""
    login = {"username": name, "password": PASSWORD}
    status, answer = await rest(gateway, "POST", "/api/agent/login", {}, json=login)
    assert status == 200
    return {"Authorization": f"Bearer {answer['token']}"}


@pytest_asyncio.fixture(scope="module")
async def tokens(running: Gateway) -> dict[str, dict[str, str]]:
    return {name: await sign_in(running, name) for name in PEOPLE}


async def console(gateway: Gateway, headers: dict[str, str]) -> Client:
    token = headers["Authorization"].removeprefix("Bearer ")
    return await Client("/agent").connect(gateway.url, auth={"token": token})


async def queued(gateway: Gateway, **request: Any) -> tuple[Client, str]:
    """A customer who wrote and was queued for a person; their conversation id."""
    client, confirm = await customer(gateway.url, **request)
    await client.emit("user_uttered", {"message": "my bill is wrong"})
    await client.wait("bot_uttered")
    cid = confirm["session_id"]
    body = {"conversation_id": cid, "reason": "customer_request", "context": {"skill": "billing"}}
    assert (await rest(gateway, "POST", "/api/handover", BOT, json=body))[1]["status"] == "queued"
    await client.wait("handover_status", '"position"')
    return client, cid


async def nudged(supervisor: Client, seen: int) -> int:
    """Wait for a nudge after the `seen` first ones; how many there are now."""
    await supervisor.until(lambda: len(supervisor.of(NUDGE)) > seen)
    return len(supervisor.of(NUDGE))


async def test_supervisors_are_nudged_at_every_change_and_agents_never(
    running: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    sue = await console(running, tokens["sue"])
    seen = await nudged(sue, 0)  # her own console counts: she is online
    ada = await console(running, tokens["ada"])
    seen = await nudged(sue, seen)
    client, cid = await queued(running)
    seen = await nudged(sue, seen)
    path = f"/api/conversations/{cid}"

    assert (await rest(running, "POST", f"{path}/accept", tokens["ada"]))[0] == 200
    seen = await nudged(sue, seen)
    assert (await rest(running, "POST", f"{path}/handback", tokens["ada"]))[0] == 200
    seen = await nudged(sue, seen)

    assert sue.of(NUDGE) == [{}] * seen, "a nudge carries nothing: the overview is fetched"
    # Told to every agent after the last nudge: had Ada been sent nudges, she would have them.
    _, later = await queued(running)
    await ada.wait("handover_requested", later)
    assert ada.of(NUDGE) == []
    for connection in (sue, ada, client):
        await connection.close()


async def test_signing_in_and_out_nudges_supervisors(
    running: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    sue = await console(running, tokens["sue"])
    seen = await nudged(sue, 0)
    headers = await sign_in(running, "bob")  # a second session, ended below

    bob = await console(running, headers)
    seen = await nudged(sue, seen)
    assert (await rest(running, "POST", "/api/agent/logout", headers))[0] == 204
    await nudged(sue, seen)

    assert bob.of(NUDGE) == []
    for connection in (sue, bob):
        await connection.close()
    await sign_in(running, "bob")  # signing out set him offline: online again for the others


async def test_a_moved_chat_tells_the_customer_in_their_language_and_both_agents(
    running: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    ada, bob = await console(running, tokens["ada"]), await console(running, tokens["bob"])
    client, cid = await queued(running, language="fr")
    path = f"/api/conversations/{cid}"
    assert (await rest(running, "POST", f"{path}/accept", tokens["ada"]))[0] == 200
    await client.wait("handover_status", "Ada L.")

    status, answer = await rest(
        running, "POST", f"{path}/reassign", tokens["sue"], json={"agent": "bob"}
    )

    assert (status, answer) == (200, {"state": "assigned", "agent": "bob"})
    (said,) = await client.wait("bot_uttered", "prend le relais")
    assert said == {
        "text": "Bob, de notre équipe, prend le relais.",
        "custom": {"sender": "system"},
    }
    assert (await client.wait("handover_status", '"Bob"')) == [
        {"state": "assigned", "agent_name": "Bob"}
    ]
    assert await bob.wait("conversation_transferred", cid) == [{"conversation_id": cid}]
    assert await ada.wait("conversation_reassigned", cid) == [
        {"conversation_id": cid, "to_agent": "bob", "by": "sue"}
    ]

    def refreshed() -> bool:  # after it, what makes today's console refresh its chats
        names = [name for name, _ in ada.events]
        return "queue_updated" in names[names.index("conversation_reassigned") :]

    await ada.until(refreshed)
    assert bob.of("conversation_reassigned") == [] and ada.of("conversation_transferred") == []
    await rest(running, "POST", f"{path}/close", tokens["bob"], json={"reason": "resolved"})
    for connection in (ada, bob, client):
        await connection.close()


async def test_a_queued_chat_given_to_an_agent_opens_in_their_console(
    running: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    ada, bob = await console(running, tokens["ada"]), await console(running, tokens["bob"])
    client, cid = await queued(running)

    status, _ = await rest(
        running, "POST", f"/api/conversations/{cid}/reassign", tokens["sue"], json={"agent": "bob"}
    )

    assert status == 200
    assert await bob.wait("conversation_transferred", cid) == [
        {"conversation_id": cid, "by": "sue"}
    ]
    await client.wait("bot_uttered", "Bob from our support team has joined.")
    await ada.wait("queue_updated")  # the queue shrank for everyone
    assert ada.of("conversation_transferred") == [] and ada.of("conversation_reassigned") == []
    mine = await running.hub.store.assigned_to("bob")
    assert cid in [owner.conversation_id for owner in mine]
    for connection in (ada, bob, client):
        await connection.close()


async def test_an_agents_socket_cannot_reassign_or_join_the_supervisors(
    running: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    ada = await console(running, tokens["ada"])

    for event in ("reassign", "enter_room", "join"):
        answer = await ada.sio.call(event, {"room": "supervisors"}, namespace="/agent")
        assert answer["code"] == "unknown_event", event
    status, _ = await rest(running, "GET", "/api/supervisor/overview", tokens["ada"])
    assert status == 403
    await ada.close()


async def test_an_agent_going_away_and_back_nudges_supervisors(
    running: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    sue = await console(running, tokens["sue"])
    seen = await nudged(sue, 0)  # the one for her own console connecting

    for state in ("away", "online"):
        body = {"status": state}
        assert (await rest(running, "POST", "/api/agent/status", tokens["ada"], json=body))[
            0
        ] == 200
        seen = await nudged(sue, seen)

    await sue.close()
