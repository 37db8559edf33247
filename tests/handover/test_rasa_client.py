"""The gateway's Rasa client against a local aiohttp server: the token, and every failure."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fastapi.testclient import TestClient

from handover.config import HandoverSettings
from handover.main import create_app
from handover.rasa import RasaClient, RasaUnavailable, bot_language
from tests.migrated import migrated

TOKEN = "rasa-api-token-0123456789-0123456789"
# Long enough for the in-process fake to answer on a loaded 2-core machine (0.3 s was not).
TIMEOUT = 1.0


class FakeRasa:
    """Answers as Rasa does, records each request's path and query, and can be slow."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.bodies: list[Any] = []
        self.delay = 0.0
        self.status = 200
        self.parsed: Any = {"intent": {"name": "faq", "confidence": 0.97}, "entities": []}

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, dict(request.query)))
        self.bodies.append(await request.json() if request.can_read_body else None)
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"message": "no"}, status=self.status)
        if request.path == "/status":
            return web.json_response({"model_file": "models/nimbus.tar.gz"})
        if request.path.endswith("/trigger_intent"):
            return web.json_response({"messages": [{"text": "back with the bot"}]})
        if request.path == "/model/parse":
            return web.json_response(self.parsed)
        return web.json_response([{"text": "hello"}])


@pytest.fixture
async def rasa() -> AsyncIterator[tuple[FakeRasa, RasaClient]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = RasaClient(f"http://127.0.0.1:{port}", token=TOKEN, timeout=TIMEOUT)
    yield fake, client
    await client.close()
    await runner.cleanup()


async def test_the_api_calls_carry_the_token(rasa: tuple[FakeRasa, RasaClient]) -> None:
    fake, client = rasa

    assert await client.ready()
    assert await client.trigger_intent("chat 1", "handback") == [{"text": "back with the bot"}]
    await client.append_events("chat 1", [{"event": "slot", "name": "x", "value": 1}])

    assert fake.seen == [
        ("/status", {"token": TOKEN}),
        ("/conversations/chat 1/trigger_intent", {"token": TOKEN}),
        ("/conversations/chat 1/tracker/events", {"token": TOKEN}),
    ]


async def test_parse_asks_the_nlu_with_the_token_and_returns_its_result(
    rasa: tuple[FakeRasa, RasaClient],
) -> None:
    fake, client = rasa

    assert (await client.parse("opening hours?"))["intent"]["name"] == "faq"
    assert fake.seen == [("/model/parse", {"token": TOKEN})]
    assert fake.bodies == [{"text": "opening hours?"}]


async def test_a_parse_answer_that_is_not_a_parse_result_is_unavailable(
    rasa: tuple[FakeRasa, RasaClient],
) -> None:
    fake, client = rasa
    fake.parsed = ["not", "a", "result"]

    with pytest.raises(RasaUnavailable, match="not a parse result"):
        await client.parse("hi")


async def test_the_rest_channel_gets_no_token(rasa: tuple[FakeRasa, RasaClient]) -> None:
    fake, client = rasa

    assert await client.send("chat 1", "hi") == [{"text": "hello"}]
    assert fake.seen == [("/webhooks/rest/webhook", {})]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_widget_language_goes_as_the_messages_metadata(
    rasa: tuple[FakeRasa, RasaClient], language: str
) -> None:
    fake, client = rasa

    await client.send("chat 1", "bonjour", language=language)

    assert fake.bodies == [
        {
            "sender": "chat 1",
            "message": "bonjour",
            "input_channel": "socketio",
            "metadata": {"language": language},
        }
    ]


@pytest.mark.parametrize("language", [None, "", "de", "FR", "fr-CA"])
async def test_no_metadata_without_a_language_the_bot_speaks(
    rasa: tuple[FakeRasa, RasaClient], language: str | None
) -> None:
    fake, client = rasa

    await client.send("chat 1", "hi", language=language)

    assert fake.bodies == [{"sender": "chat 1", "message": "hi", "input_channel": "socketio"}]


@pytest.mark.parametrize(("language", "metadata"), [("fr", {"language": "fr"}), (None, {})])
async def test_the_clients_message_id_goes_as_the_messages_metadata(
    rasa: tuple[FakeRasa, RasaClient], language: str | None, metadata: dict[str, str]
) -> None:
    """Rasa 3.6's REST channel takes no message id: its tracker keeps the metadata."""
    fake, client = rasa

    await client.send("chat 1", "hi", language=language, message_id="m-1")

    assert fake.bodies[0]["metadata"] == {**metadata, "message_id": "m-1"}


@pytest.mark.parametrize(
    ("context", "language"),
    [
        ({"slots": {"language": "fr"}, "language": "en"}, "fr"),
        ({"slots": {"language": "en"}}, "en"),
        ({"slots": {"language": None}, "language": "fr"}, None),
        ({"slots": {"language": "de"}}, None),
        ({"slots": ["language"]}, None),
        ({"language": "fr"}, None),
        ({}, None),
    ],
)
def test_the_bots_language_is_its_slot_in_the_context_packet(
    context: dict[str, Any], language: str | None
) -> None:
    assert bot_language(context) == language


@pytest.mark.parametrize("call", ["send", "trigger_intent", "append_events", "parse"])
async def test_a_slow_rasa_is_unavailable(rasa: tuple[FakeRasa, RasaClient], call: str) -> None:
    fake, client = rasa
    fake.delay = TIMEOUT * 5
    arguments: dict[str, Any] = {
        "send": ("chat 1", "hi"), "trigger_intent": ("chat 1", "handback"),
        "append_events": ("chat 1", []), "parse": ("hi",),
    }  # fmt: skip

    with pytest.raises(RasaUnavailable, match="TimeoutError"):
        await getattr(client, call)(*arguments[call])


async def test_a_slow_rasa_is_not_ready(rasa: tuple[FakeRasa, RasaClient]) -> None:
    fake, client = rasa
    fake.delay = TIMEOUT * 5

    assert await client.ready() is False


async def test_a_refused_token_is_unavailable_and_the_error_does_not_quote_it(
    rasa: tuple[FakeRasa, RasaClient],
) -> None:
    fake, client = rasa
    fake.status = 401

    with pytest.raises(RasaUnavailable, match="HTTP 401") as raised:
        await client.append_events("chat 1", [])
    assert TOKEN not in str(raised.value)
    assert await client.ready() is False


async def test_no_server_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    client = RasaClient(f"http://127.0.0.1:{port}", token=TOKEN, timeout=TIMEOUT)
    try:
        with pytest.raises(RasaUnavailable):
            await client.send("chat 1", "hi")
    finally:
        await client.close()


@pytest.fixture
def silent_rasa() -> Iterator[str]:
    """A Rasa that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_health_says_503_when_rasa_is_too_slow(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, silent_rasa: str
) -> None:
    monkeypatch.setattr("handover.bot_router.TIMEOUT", TIMEOUT)
    database = f"sqlite:///{tmp_path}/health.db"
    migrated(database)
    settings = HandoverSettings(database_url=database, rasa_url=silent_rasa)

    with TestClient(create_app(settings)) as gateway:
        answer = gateway.get("/health")

    assert answer.status_code == 503
    assert answer.json()["rasa"] is False
