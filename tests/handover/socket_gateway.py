"""The real gateway app served by uvicorn on a free port, with a Rasa faked in process.

Socket tests connect python-socketio's AsyncClient to it, as a widget or a console would.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import uvicorn

from handover.config import HandoverSettings
from handover.main import create_app
from handover.rasa import RasaClient
from handover.service import Hub

# How long a wait for what should come may last before the test fails. Waits end as soon as it
# comes; a full run on 2 busy cores once took over 5 s for two messages to reach the bot.
WAIT_SECONDS = 20.0

# python-engineio's client asks aiohttp >= 3.10 for ClientWSTimeout; Rasa pins aiohttp 3.9, whose
# ws_connect takes the same close timeout as a number. (Polling instead waits 25 s to close.)
if not hasattr(aiohttp, "ClientWSTimeout"):
    aiohttp.ClientWSTimeout = lambda ws_close: ws_close  # type: ignore[attr-defined]


class FakeRasa(RasaClient):
    """Answers every message with `answers`, or raises `failure`; records what it was sent.
    While `gate` is set to an unset event, answers wait for it (a slow bot)."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", token="unused", timeout=1)
        self.calls: list[tuple[str, str]] = []
        self.answers: list[dict[str, Any]] = [{"text": "bot reply"}]
        self.failure: BaseException | None = None
        self.gate: asyncio.Event | None = None
        self._asked = asyncio.Condition()

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        async with self._asked:
            self.calls.append((conversation_id, text))
            self._asked.notify_all()
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return [dict(answer) for answer in self.answers]

    async def ready(self) -> bool:
        return True

    def texts(self) -> list[str]:
        return [text for _, text in self.calls]

    async def asked(self, count: int, seconds: float = WAIT_SECONDS) -> None:
        """Wait until `count` messages have reached the bot; fails after `seconds`."""
        async with self._asked:
            await asyncio.wait_for(self._asked.wait_for(lambda: len(self.calls) >= count), seconds)


@dataclass
class Gateway:
    url: str
    hub: Hub
    rasa: FakeRasa


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def served(folder: Path, **settings: Any) -> AsyncIterator[Gateway]:
    """The gateway on a fresh SQLite file, listening until the block ends."""
    app = create_app(HandoverSettings(database_url=f"sqlite:///{folder}/gateway.db", **settings))
    hub: Hub = app.other_asgi_app.state.hub
    rasa = FakeRasa()
    hub.rasa = rasa
    port = free_port()
    # log_config=None: uvicorn's records reach the root logger, where the tests look for errors.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws="wsproto", log_config=None, timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> None:  # uvicorn has a flag, not an event, to wait on
        while not server.started:
            if task.done():
                task.result()  # start-up failed: raise why
            await asyncio.sleep(0.02)

    await asyncio.wait_for(started(), 30)
    try:
        yield Gateway(f"http://127.0.0.1:{port}", hub, rasa)
    finally:
        await hub.sio.shutdown()  # Engine.IO's background task, which uvicorn does not stop
        server.should_exit = True
        await task
        # Engine.IO sleeps 25 s in an untracked task before each ping, even for closed sockets.
        for pending in asyncio.all_tasks():
            if getattr(pending.get_coro(), "__qualname__", "") == "AsyncSocket._send_ping":
                pending.cancel()


class Client:
    """One Socket.IO connection that records every event it receives."""

    def __init__(self, namespace: str = "/") -> None:
        self.namespace = namespace
        self.events: list[tuple[str, Any]] = []
        self._arrived = asyncio.Condition()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("*", self._record, namespace=namespace)

    async def _record(self, event: str, *data: Any) -> None:
        async with self._arrived:
            self.events.append((event, data[0] if data else None))
            self._arrived.notify_all()

    async def connect(self, url: str, **kwargs: Any) -> Client:
        await self.sio.connect(
            url, namespaces=[self.namespace], transports=["websocket"], wait_timeout=10, **kwargs
        )
        return self

    async def emit(self, event: str, *data: Any) -> None:
        await self.sio.emit(event, data[0] if len(data) == 1 else data, namespace=self.namespace)

    async def wait(self, event: str, match: str = "", count: int = 1) -> list[Any]:
        """The first `count` payloads of `event` containing `match`; fails after WAIT_SECONDS."""
        await self.until(lambda: len(self.of(event, match)) >= count)
        return self.of(event, match)[:count]

    async def until(self, condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
        """Wait until `condition()` holds for the events received; fails after `seconds`."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(condition), seconds)

    def of(self, event: str, match: str = "") -> list[Any]:
        """The payloads of `event` received so far that contain `match`."""
        return [d for e, d in self.events if e == event and match in json.dumps(d)]

    async def close(self) -> None:
        await self.sio.disconnect()


async def customer(url: str, **request: Any) -> tuple[Client, dict[str, str]]:
    """A connected customer who sent `session_request` with `request`; its session_confirm."""
    client = await Client().connect(url)
    await client.emit("session_request", request)
    (confirm,) = await client.wait("session_confirm")
    return client, confirm
