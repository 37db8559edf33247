"""End chat, rating, close with a wrap-up, and reopening, over the served gateway's sockets:
what the customer and the agent each hear, and what each of them may do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from handover import crud
from handover.models import Ticket
from tests.handover.socket_gateway import Client, Gateway, customer, served

pytestmark = pytest.mark.asyncio(scope="module")
BOT = {"Authorization": "Bearer dev-bot-token"}
PASSWORD = "long-enough-1"


@pytest_asyncio.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    # Consoles come and go between tests: their chats must not be requeued meanwhile.
    async with served(tmp_path_factory.mktemp("gateway"), agent_grace_seconds=3600) as gateway:
        for name, display in (("ada", "Ada L."), ("bob", "Bob")):
            await gateway.hub.db(
                crud.create_agent, username=name, password=PASSWORD, skills=[], capacity=50,
                display_name=display,
            )  # fmt: skip
        yield gateway


@pytest_asyncio.fixture(scope="module")
async def tokens(running: Gateway) -> dict[str, dict[str, str]]:
    """A bearer header per agent; signing in puts them online."""
    headers = {}
    async with aiohttp.ClientSession() as http:
        for name in ("ada", "bob"):
            login = {"username": name, "password": PASSWORD}
            async with http.post(f"{running.url}/api/agent/login", json=login) as answer:
                answer.raise_for_status()
                headers[name] = {"Authorization": f"Bearer {(await answer.json())['token']}"}
    return headers


@pytest.fixture
def gateway(running: Gateway, tokens: dict[str, dict[str, str]]) -> Gateway:
    running.rasa.answers = [{"text": "bot reply"}]
    running.rasa.failure = None
    return running


async def rest(gateway: Gateway, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, gateway.url + path, headers=headers, **kw) as answer,
    ):
        return answer.status, await answer.json(content_type=None)


async def console(gateway: Gateway, tokens: dict[str, dict[str, str]], name: str) -> Client:
    token = tokens[name]["Authorization"].removeprefix("Bearer ")
    return await Client("/agent").connect(gateway.url, auth={"token": token})


async def with_ada(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> tuple[Client, dict[str, str]]:
    """A customer who wrote, asked for a person and was accepted by Ada."""
    client, confirm = await customer(gateway.url)
    await client.emit("user_uttered", {"message": "my bill is wrong"})
    await client.wait("bot_uttered")
    cid = confirm["session_id"]
    body = {"conversation_id": cid, "reason": "customer_request", "context": {"skill": "billing"}}
    assert (await rest(gateway, "POST", "/api/handover", BOT, json=body))[1]["status"] == "queued"
    status, _ = await rest(gateway, "POST", f"/api/conversations/{cid}/accept", tokens["ada"])
    assert status == 200
    await client.wait("handover_status", "Ada L.")
    return client, confirm


async def episodes(gateway: Gateway, cid: str) -> list[Any]:
    return await gateway.hub.db(crud.list_episodes, conversation_id=cid)


async def test_ending_a_chat_with_the_bot_then_rating_it(gateway: Gateway) -> None:
    client, confirm = await customer(gateway.url)
    await client.emit("user_uttered", {"message": "hello"})
    await client.wait("bot_uttered")

    ended = await client.sio.call("end_chat", {}, namespace="/")

    assert ended == {"state": "closed", "outcome": "resolved_by_bot", "episode": 1}
    (status,) = await client.wait("handover_status", "closed")
    assert status == {"state": "closed", "outcome": "resolved_by_bot"}
    (said,) = await client.wait("bot_uttered", "You ended the conversation")
    assert said["custom"] == {"sender": "system"}
    await client.emit("satisfaction", {"score": 4})
    assert await client.wait("satisfaction_saved") == [{"score": 4}]
    (episode,) = await episodes(gateway, confirm["session_id"])
    assert (episode.outcome, episode.satisfaction) == ("resolved_by_bot", 4)
    again = await client.sio.call("end_chat", {}, namespace="/")
    assert again["code"] == "not_allowed" and "has ended" in again["error"]
    await client.close()


async def test_a_rating_before_the_end_is_refused(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    client, confirm = await with_ada(gateway, tokens)

    await client.emit("satisfaction", {"score": 5})

    (error,) = await client.wait("error")
    assert error == {
        "error": "cannot rate a conversation with an agent: rate it once it has ended",
        "code": "not_allowed",
    }
    assert client.of("satisfaction_saved") == []
    assert [e.satisfaction for e in await episodes(gateway, confirm["session_id"])] == [None]
    await client.sio.call("end_chat", {}, namespace="/")
    await client.close()


async def test_ending_while_with_an_agent_tells_the_agent_and_frees_them(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    ada = await console(gateway, tokens, "ada")
    bob = await console(gateway, tokens, "bob")  # online too, but it was never his chat
    client, confirm = await with_ada(gateway, tokens)
    cid = confirm["session_id"]

    ended = await client.sio.call("end_chat", {}, namespace="/")

    assert ended["outcome"] == "ended_by_customer"
    (told,) = await ada.wait("conversation_closed", cid)
    assert told == {
        "conversation_id": cid, "episode": 1, "outcome": "ended_by_customer", "by": "customer",
        "reason": None,
    }  # fmt: skip
    assert cid not in [o.conversation_id for o in await gateway.hub.store.assigned_to("ada")]
    reply = {"text": "are you still there?"}
    path = f"/api/conversations/{cid}"
    assert (await rest(gateway, "POST", f"{path}/messages", tokens["ada"], json=reply))[0] == 409
    status, packet = await rest(gateway, "GET", path, tokens["ada"])
    assert (status, packet["state"], packet["outcome"]) == (200, "closed", "ended_by_customer")
    assert (
        packet["transcript"][-1]["text"]
        == "You ended the conversation. Write to us again any time."
    )
    assert bob.of("conversation_closed") == []  # told to the agent who had it, nobody else
    await ada.close()
    await bob.close()
    await client.close()


async def test_after_a_close_the_customer_writes_again_and_reaches_a_person_not_a_ticket(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    client, confirm = await with_ada(gateway, tokens)
    cid, path = confirm["session_id"], f"/api/conversations/{confirm['session_id']}"
    close = {"reason": "resolved", "note": "bill corrected"}
    assert (await rest(gateway, "POST", f"{path}/close", tokens["ada"], json=close))[0] == 200
    await client.wait("handover_status", "resolved_by_agent")
    await client.wait("bot_uttered", "Ada L. has closed the conversation")

    await client.emit("user_uttered", {"message": "one more thing"})

    await client.wait("handover_status", '"bot"', count=2)  # on joining, and now
    await client.wait("bot_uttered", "bot reply", count=2)
    assert gateway.rasa.calls[-1] == (cid, "one more thing"), "the bot has it again"
    body = {"conversation_id": cid, "reason": "customer_request", "context": {"skill": "orders"}}
    _, answer = await rest(gateway, "POST", "/api/handover", BOT, json=body)
    assert answer["status"] == "queued" and answer["position"] >= 1
    await client.wait("handover_status", '"position"', count=2)
    _, packet = await rest(gateway, "GET", path, tokens["ada"])
    assert (packet["state"], packet["episode"], packet["skill"]) == ("queued", 2, "orders")
    first, second = packet["episodes"]
    assert (first["outcome"], first["reason"], first["note"]) == (
        "resolved_by_agent", "resolved", "bill corrected",
    )  # fmt: skip
    assert (second["number"], second["outcome"]) == (2, None)
    assert not await gateway.hub.db(lambda s: s.query(Ticket).all())
    await client.sio.call("end_chat", {}, namespace="/")
    await client.close()


async def test_a_returning_customer_hears_where_the_conversation_stands(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    first, confirm = await with_ada(gateway, tokens)
    await first.close()

    async def rejoin() -> dict[str, Any]:
        again, _ = await customer(gateway.url, **confirm)
        (status,) = await again.wait("handover_status")
        await again.close()
        return status

    assert await rejoin() == {"state": "assigned", "agent_name": "Ada L."}
    path = f"/api/conversations/{confirm['session_id']}"
    await rest(gateway, "POST", f"{path}/transfer", tokens["ada"], json={"skill": "network"})
    queued = await rejoin()
    assert queued["state"] == "queued" and queued["position"] >= 1
    await rest(gateway, "POST", f"{path}/accept", tokens["bob"])
    await rest(gateway, "POST", f"{path}/close", tokens["bob"], json={"reason": "spam"})
    assert await rejoin() == {"state": "closed", "outcome": "resolved_by_agent"}


async def test_an_agent_closes_from_the_console_with_or_without_a_reason(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    ada = await console(gateway, tokens, "ada")
    reasoned, one = await with_ada(gateway, tokens)
    plain, two = await with_ada(gateway, tokens)

    closed = await ada.sio.call(
        "close_conversation",
        {"conversation_id": one["session_id"], "reason": "not_resolved", "note": "  "},
        namespace="/agent",
    )
    bare = await ada.sio.call(
        "close_conversation", {"conversation_id": two["session_id"]}, namespace="/agent"
    )

    assert closed == {
        "conversation_id": one["session_id"], "state": "closed", "outcome": "resolved_by_agent",
        "reason": "not_resolved",
    }  # fmt: skip
    assert bare["state"] == "closed" and bare["reason"] is None
    for client in (reasoned, plain):
        await client.wait("handover_status", "resolved_by_agent")
    ((first,), (second,)) = [await episodes(gateway, c["session_id"]) for c in (one, two)]
    assert (first.wrap_up, first.note, second.wrap_up) == ("not_resolved", None, None)
    await ada.wait("conversation_closed", one["session_id"])
    await ada.close()
    for client in (reasoned, plain):
        await client.close()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (None, "invalid_payload"),
        ("just text", "invalid_payload"),
        ({}, "invalid_payload"),
        ({"conversation_id": "   "}, "invalid_payload"),
        ({"conversation_id": "x" * 129}, "invalid_payload"),
        ({"conversation_id": "ID", "reason": "great"}, "invalid_payload"),
        ({"conversation_id": "ID", "reason": ""}, "invalid_payload"),
        ({"conversation_id": "ID", "reason": ["resolved"]}, "invalid_payload"),
        ({"conversation_id": "ID", "reason": "resolved", "note": "x" * 1001}, "invalid_payload"),
        ({"conversation_id": "ID", "reason": "resolved", "note": "bell \x07"}, "invalid_payload"),
        ({"conversation_id": "ID", "reason": "resolved", "note": 12}, "invalid_payload"),
        ({"conversation_id": "ID", "reason": "resolved", "note": "\ud800"}, "invalid_text"),
        ({"conversation_id": "ID", "reason": "resolved", "note": "nul \x00"}, "invalid_text"),
    ],
)
async def test_a_malformed_close_is_refused_and_closes_nothing(
    gateway: Gateway, tokens: dict[str, dict[str, str]], payload: Any, code: str
) -> None:
    ada = await console(gateway, tokens, "ada")
    client, confirm = await with_ada(gateway, tokens)
    if isinstance(payload, dict) and payload.get("conversation_id") == "ID":
        payload = {**payload, "conversation_id": confirm["session_id"]}

    answer = await ada.sio.call("close_conversation", payload, namespace="/agent")

    assert answer["code"] == code, answer
    assert (await gateway.hub.lifecycle.status(confirm["session_id"])).state.value == "assigned"
    await client.sio.call("end_chat", {}, namespace="/")
    await ada.close()
    await client.close()


async def test_only_the_agent_who_has_it_may_close_it(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    bob = await console(gateway, tokens, "bob")
    client, confirm = await with_ada(gateway, tokens)
    cid = confirm["session_id"]

    refused = await bob.sio.call("close_conversation", {"conversation_id": cid}, namespace="/agent")
    unknown = await bob.sio.call(
        "close_conversation", {"conversation_id": "no-such-chat"}, namespace="/agent"
    )

    assert refused == {"error": "the conversation is not yours", "code": "not_yours"}
    assert unknown["code"] == "not_allowed", "with the bot, as any unknown id"
    await client.sio.call("end_chat", {}, namespace="/")
    ended = await bob.sio.call("close_conversation", {"conversation_id": cid}, namespace="/agent")
    assert ended == {"error": "cannot close a conversation that has ended", "code": "not_allowed"}
    await bob.close()
    await client.close()


async def test_the_rating_reaches_the_agent_who_had_the_chat_and_their_closed_list(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    ada = await console(gateway, tokens, "ada")
    bob = await console(gateway, tokens, "bob")
    client, confirm = await with_ada(gateway, tokens)
    cid = confirm["session_id"]
    path = f"/api/conversations/{cid}/close"
    assert (await rest(gateway, "POST", path, tokens["ada"], json={"reason": "resolved"}))[0] == 200

    await client.emit("satisfaction", {"score": 5})

    (told,) = await ada.wait("conversation_rated", cid)
    assert told == {"conversation_id": cid, "episode": 1, "score": 5}
    status, closed = await rest(gateway, "GET", "/api/agent/closed", tokens["ada"])
    mine = [item for item in closed["items"] if item["conversation_id"] == cid]
    assert status == 200 and [(i["reason"], i["satisfaction"]) for i in mine] == [("resolved", 5)]
    _, theirs = await rest(gateway, "GET", "/api/agent/closed", tokens["bob"])
    assert cid not in [item["conversation_id"] for item in theirs["items"]], "only one's own"
    assert bob.of("conversation_rated") == [], "nobody else hears the score"
    await ada.close()
    await bob.close()
    await client.close()


async def test_a_rating_after_ending_with_the_bot_tells_no_agent(
    gateway: Gateway, tokens: dict[str, dict[str, str]]
) -> None:
    ada = await console(gateway, tokens, "ada")
    client, _ = await customer(gateway.url)
    await client.emit("user_uttered", {"message": "hello"})
    await client.wait("bot_uttered")
    await client.sio.call("end_chat", {}, namespace="/")

    await client.emit("satisfaction", {"score": 2})

    assert await client.wait("satisfaction_saved") == [{"score": 2}]
    assert ada.of("conversation_rated") == []
    await ada.close()
    await client.close()
