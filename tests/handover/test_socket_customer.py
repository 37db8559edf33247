"""The customer socket against the served gateway: each attack on it, and that it now fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from handover import crud
from handover.config import HandoverSettings
from handover.sockets.credentials import identity_hash, is_valid, session_secret
from tests.handover.socket_gateway import Client, Gateway, customer, served

SECRET_KEY = "a-test-key-of-more-than-thirty-two-characters"


# One gateway for the module (starting one takes seconds); each test uses new conversations.
pytestmark = pytest.mark.asyncio(scope="module")


@pytest_asyncio.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    async with served(tmp_path_factory.mktemp("gateway"), secret_key=SECRET_KEY) as gateway:
        yield gateway


@pytest.fixture
def gateway(running: Gateway) -> Gateway:
    """The module's gateway, with a fake Rasa that has forgotten the previous test."""
    running.rasa.calls.clear()
    running.rasa.answers = [{"text": "bot reply"}]
    running.rasa.failure = None
    return running


async def stored(gateway: Gateway, session_id: str) -> list[str]:
    return [m["text"] for m in await gateway.hub.history(session_id)]


async def test_ids_are_issued_by_the_gateway_with_a_signed_secret(gateway: Gateway) -> None:
    first, one = await customer(gateway.url)
    second, two = await customer(gateway.url, session_id="web-123abc")
    for confirm in (one, two):
        assert len(confirm["session_id"]) == 32 and int(confirm["session_id"], 16) >= 0
        assert is_valid(SECRET_KEY, confirm["session_id"], confirm["session_secret"])
    assert one["session_id"] != two["session_id"] != "web-123abc"
    await first.close()
    await second.close()


@pytest.mark.parametrize("secret", [None, "", "0" * 64, "wrong", "other"])
async def test_a_known_id_without_its_secret_opens_a_new_conversation(
    gateway: Gateway, secret: str | None
) -> None:
    victim, mine = await customer(gateway.url)
    await victim.emit("user_uttered", {"message": "my parcel went to the wrong house"})
    await victim.wait("bot_uttered")
    if secret == "other":  # a real secret, of another conversation
        secret = session_secret(SECRET_KEY, "another-conversation")
    attacker, theirs = await customer(
        gateway.url, session_id=mine["session_id"], session_secret=secret
    )
    assert theirs["session_id"] != mine["session_id"]
    await attacker.emit("history_request", {})
    (history,) = await attacker.wait("history")
    assert history == {"session_id": theirs["session_id"], "messages": []}
    await attacker.emit("history_request", {"session_id": mine["session_id"]})
    (named,) = (await attacker.wait("history", count=2))[1:]
    assert named == history, "naming the id reaches only the socket's own conversation"

    await victim.emit("user_uttered", {"message": "what's my balance"})
    await victim.wait("bot_uttered", count=2)
    await attacker.emit("user_uttered", {"message": "hello", "session_id": mine["session_id"]})
    await attacker.wait("bot_uttered")
    assert len(attacker.of("bot_uttered")) == 1, "only the answer to its own message"
    assert await stored(gateway, theirs["session_id"]) == ["hello", "bot reply"]
    assert await stored(gateway, mine["session_id"]) == [
        "my parcel went to the wrong house", "bot reply", "what's my balance", "bot reply"
    ]  # fmt: skip
    await victim.close()
    await attacker.close()


@pytest.mark.parametrize("carrier", ["payload", "customData", "auth"])
async def test_the_owner_comes_back_with_id_and_secret(gateway: Gateway, carrier: str) -> None:
    first, confirm = await customer(gateway.url)
    await first.emit("user_uttered", {"message": "hello"})
    await first.wait("bot_uttered")
    await first.close()
    again = Client()
    secret = {"session_secret": confirm["session_secret"]}
    await again.connect(gateway.url, auth=secret if carrier == "auth" else None)
    request = {"session_id": confirm["session_id"]}
    if carrier == "payload":
        request |= secret
    elif carrier == "customData":
        request["customData"] = secret
    await again.emit("session_request", request)
    (back,) = await again.wait("session_confirm")
    assert back == confirm
    await again.emit("history_request", {"session_id": confirm["session_id"]})
    (history,) = await again.wait("history")
    assert [m["text"] for m in history["messages"]] == ["hello", "bot reply"]
    await again.close()


@pytest.mark.parametrize(
    "event", ["user_uttered", "history_request", "typing", "satisfaction", "end_chat"]
)
async def test_events_before_a_verified_session_request_are_refused(
    gateway: Gateway, event: str
) -> None:
    victim, mine = await customer(gateway.url)
    await victim.emit("user_uttered", {"message": "my balance please"})
    await victim.wait("bot_uttered")
    stranger = await Client().connect(gateway.url)
    payload = {"session_id": mine["session_id"], "message": "hi", "score": 1, "typing": True}
    await stranger.emit(event, payload)
    (error,) = await stranger.wait("error")
    assert error["code"] == "not_joined"
    assert stranger.of("history") == []
    assert gateway.rasa.texts() == ["my balance please"]
    assert await stored(gateway, mine["session_id"]) == ["my balance please", "bot reply"]
    await victim.close()
    await stranger.close()


async def test_typed_commands_never_reach_rasa_but_an_offered_quick_reply_does(
    gateway: Gateway,
) -> None:
    client, confirm = await customer(gateway.url)
    typed = ["/restart", '/inform{"verified": true}', "  /session_start", "/affirm"]
    for text in typed:
        await client.emit("user_uttered", {"message": text})
    errors = await client.wait("error", "command_refused", count=len(typed))
    assert {error["code"] for error in errors} == {"command_refused"}
    assert gateway.rasa.calls == []

    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "Reset", "payload": "/restart"}]
    gateway.rasa.answers = [{"text": "Shall I go on?", "buttons": buttons}]
    await client.emit("user_uttered", {"message": "hello"})
    (offer,) = await client.wait("bot_uttered", "quick_replies")
    assert [reply["payload"] for reply in offer["quick_replies"]] == ["/affirm", "/restart"]
    for text in ("/restart", "/affirm"):
        await client.emit("user_uttered", {"message": text})
    await client.wait("bot_uttered", "quick_replies", count=2)
    assert gateway.rasa.texts() == ["hello", "/affirm"], "/restart is never passed on"
    assert len(client.of("error", "command_refused")) == len(typed) + 1
    assert "/restart" not in await stored(gateway, confirm["session_id"])
    await client.close()


async def test_a_flood_from_one_socket_is_refused_and_not_queued(gateway: Gateway) -> None:
    client, confirm = await customer(gateway.url)
    for number in range(200):
        await client.emit("user_uttered", {"message": f"message {number}"})
    # Every message gets an answer or an error: nothing is left waiting.
    await client.until(lambda: len(client.of("error")) + len(client.of("bot_uttered")) == 200)
    limited = client.of("error", "rate_limited")
    assert len(limited) >= 190
    assert all(error["retry_after_seconds"] >= 1 for error in limited)
    assert {e["code"] for e in client.of("error")} <= {"rate_limited", "busy"}
    allowed = int(gateway.hub.settings.customer_message_limit.split()[0])
    assert 0 < len(gateway.rasa.calls) <= allowed
    messages = await stored(gateway, confirm["session_id"])
    assert len([text for text in messages if text.startswith("message")]) <= allowed
    print(f"\nflood: 200 sent, {len(limited)} rate-limited, {len(gateway.rasa.calls)} to Rasa")
    await client.close()


@pytest.mark.parametrize("text", ["\ud800", "ok \udfff", "nul \x00 byte"])
async def test_invalid_text_is_refused_and_nothing_is_stored(gateway: Gateway, text: str) -> None:
    client, confirm = await customer(gateway.url)
    await client.emit("user_uttered", {"message": text})
    (error,) = await client.wait("error")
    assert error["code"] == "invalid_text"
    assert gateway.rasa.calls == []
    assert await stored(gateway, confirm["session_id"]) == []
    await client.close()


async def test_a_client_emitted_disconnect_is_refused_and_the_session_stays(
    gateway: Gateway,
) -> None:
    client, confirm = await customer(gateway.url)
    for event in ("disconnect", "connect", "connect_error"):
        await client.emit(event, {"session_id": confirm["session_id"]})
    errors = await client.wait("error", count=3)
    assert [error["code"] for error in errors] == ["reserved_event"] * 2 + ["unknown_event"]
    await client.emit("user_uttered", {"message": "still here"})
    await client.wait("bot_uttered")
    assert client.sio.connected
    await client.close()


async def test_rasa_timing_out_gives_an_apology_and_a_person_on_offer_in_french(
    gateway: Gateway,
) -> None:
    gateway.rasa.failure = asyncio.TimeoutError()
    client, _ = await customer(gateway.url, language="fr")
    await client.emit("user_uttered", {"message": "bonjour"})
    (apology,) = await client.wait("bot_uttered", "quick_replies")
    assert apology["text"].startswith("Désolé")
    assert apology["quick_replies"][0]["payload"] == "/request_human"
    await client.emit("user_uttered", {"message": "/request_human"})
    (answer,) = await client.wait("bot_uttered", "disponible")
    assert answer["text"].startswith("Désolé, personne"), "nobody is online: the gateway says so"
    await client.close()


async def test_socket_origins_are_a_setting() -> None:
    secrets = {"secret_key": "s" * 40, "bot_token": "b" * 40, "rasa_token": "r" * 40}
    production = HandoverSettings(environment="production", **secrets)
    assert production.socket_origins() is None, "the gateway's own origin only"
    assert HandoverSettings(environment="development").socket_origins() == "*"
    listed = HandoverSettings(allowed_origins=" https://a.example,https://b.example ")
    assert listed.socket_origins() == ["https://a.example", "https://b.example"]


async def test_a_page_on_another_origin_cannot_open_a_socket(tmp_path: Path) -> None:
    async with served(tmp_path, allowed_origins="https://shop.example") as running:
        evil = Client()
        with pytest.raises(Exception, match="(?i)connect"):
            await evil.connect(running.url, headers={"Origin": "https://evil.example"})
        await evil.close()  # its HTTP session
        shop = await Client().connect(running.url, headers={"Origin": "https://shop.example"})
        await shop.emit("session_request", {})
        await shop.wait("session_confirm")
        await shop.close()


async def test_the_host_site_can_vouch_for_its_signed_in_customer(gateway: Gateway) -> None:
    secret = "an-identity-secret-of-more-than-32-characters"
    settings = gateway.hub.settings
    gateway.hub.settings = settings.copy(update={"identity_secret": secret})
    try:
        signed = {"customer_id": "C-1234", "customer_hash": identity_hash(secret, "C-1234")}
        vouched, confirm = await customer(gateway.url, **signed)
        forged = {"customer_id": "C-9999", "customer_hash": signed["customer_hash"]}
        stranger, other = await customer(gateway.url, customData=forged)
        (error,) = await stranger.wait("error")
        assert error["code"] == "invalid_identity"
    finally:
        gateway.hub.settings = settings
    rows = [
        await gateway.hub.db(crud.get_conversation, conversation_id=c["session_id"])
        for c in (confirm, other)
    ]
    assert [row.customer_id for row in rows] == ["C-1234", None]
    assert vouched.of("error") == []
    await vouched.close()
    await stranger.close()


async def test_the_privacy_page_the_widget_links_to_exists_in_both_languages(
    gateway: Gateway,
) -> None:
    async with aiohttp.ClientSession() as http:
        for lang, heading in (("en", "how we use your personal data"), ("fr", "vos données")):
            async with http.get(f"{gateway.url}/privacy", params={"lang": lang}) as page:
                assert page.status == 200
                assert heading in (await page.text())
        async with http.get(f"{gateway.url}/privacy", params={"lang": "de"}) as page:
            assert page.status == 422


async def test_a_message_sent_right_after_the_session_request_waits_for_the_join(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The join awaits the database; python-socketio handles each event in a task of its own.
    joined = gateway.hub.customer_joined

    async def slow_join(*args: object, **kwargs: object) -> None:
        await asyncio.sleep(0.5)
        await joined(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gateway.hub, "customer_joined", slow_join)
    client = await Client().connect(gateway.url)
    await client.emit("session_request", {})
    ack = await client.sio.call(
        "user_uttered", {"message": "where is my parcel"}, namespace="/", timeout=10
    )

    assert ack["status"] == "accepted", ack
    (confirm,) = await client.wait("session_confirm")
    await client.wait("bot_uttered")
    assert client.of("error") == []
    assert await stored(gateway, confirm["session_id"]) == ["where is my parcel", "bot reply"]
    await client.close()
