"""A lean asyncio Socket.IO client (Engine.IO 4, Socket.IO 5, text packets, WebSocket only).

python-socketio's own `AsyncClient` needs aiohttp's `ClientWSTimeout` (aiohttp 3.10+), and Rasa
pins aiohttp 3.9; its synchronous client costs a thread per connection. A load run holds
thousands of sockets in one process, so this speaks the few packets a widget and a console use
over `websockets` (a Rasa dependency): one task per socket, no per-socket HTTP session.

Packets: `0{open}` from the server; `40[/ns,]{auth}` connects a namespace, answered `40` or
`44` (refused); `42[/ns,]["event", data]` an event; `41[/ns,]` the server disconnected the
namespace; `2` a ping, answered `3`; `1` closes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import websockets
from websockets.legacy.client import WebSocketClientProtocol

Handler = Callable[[str, Any], Awaitable[None] | None]


class SocketError(Exception):
    """The socket could not open, or the server refused the namespace."""


def socket_url(base: str) -> str:
    """The Engine.IO WebSocket address of a gateway's `http(s)://host:port`."""
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = "EIO=4&transport=websocket"
    return urlunsplit((scheme, parts.netloc, "/socket.io/", query, ""))


def encode_event(event: str, data: Any, namespace: str = "/") -> str:
    """The text packet of one event."""
    prefix = "" if namespace == "/" else f"{namespace},"
    return f"42{prefix}{json.dumps([event, data], ensure_ascii=False)}"


def decode_packet(text: str) -> tuple[str, str, Any]:
    """(kind, namespace, payload) of a Socket.IO text packet, kind being its type digit."""
    kind, rest = text[1:2], text[2:]
    namespace = "/"
    if rest.startswith("/"):
        namespace, _, rest = rest.partition(",")
    rest = rest.lstrip("0123456789")  # an ack id: the load generator asks for none
    return kind, namespace, json.loads(rest) if rest else None


class Socket:
    """One Socket.IO connection on one namespace; `on(event, handler)` before `connect`.

    `on("disconnect", ...)` hears the connection end, unless `close()` ended it."""

    def __init__(self, base_url: str, namespace: str = "/", *, timeout: float = 30) -> None:
        self.url = socket_url(base_url)
        self.namespace = namespace
        self.timeout = timeout
        self.handlers: dict[str, Handler] = {}
        self.closed = asyncio.Event()
        self._ws: WebSocketClientProtocol | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    def on(self, event: str, handler: Handler) -> None:
        self.handlers[event] = handler

    async def connect(self, auth: dict[str, Any] | None = None) -> None:
        """Open the socket and join the namespace; SocketError when either fails."""
        try:
            # Engine.IO pings itself; no WebSocket pings, no compression (memory per socket).
            self._ws = await websockets.connect(  # type: ignore[attr-defined]
                self.url, open_timeout=self.timeout, ping_interval=None, compression=None
            )
            opened = await asyncio.wait_for(self._ws.recv(), self.timeout)
            if not str(opened).startswith("0"):
                raise SocketError(f"unexpected open packet {str(opened)[:40]!r}")
            prefix = "" if self.namespace == "/" else f"{self.namespace},"
            await self._ws.send(f"40{prefix}{json.dumps(auth) if auth else ''}")
            await self._joined()
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as error:
            await self.close()
            raise SocketError(f"{type(error).__name__}: {error}") from error
        except SocketError:
            await self.close()
            raise
        self._reader = asyncio.create_task(self._read())

    async def _joined(self) -> None:
        """Wait for the server's answer to the namespace's connect packet."""
        assert self._ws is not None
        while True:
            text = str(await asyncio.wait_for(self._ws.recv(), self.timeout))
            if text == "2":  # a ping may come before the answer
                await self._ws.send("3")
            if not text.startswith("4"):
                continue
            kind, namespace, payload = decode_packet(text)
            if namespace != self.namespace:
                continue
            if kind == "0":
                return
            if kind == "4":
                raise SocketError(f"refused: {payload}")

    async def emit(self, event: str, data: Any) -> None:
        if self._ws is None:
            raise SocketError("not connected")
        try:
            await self._ws.send(encode_event(event, data, self.namespace))
        except websockets.WebSocketException as error:
            raise SocketError(f"{type(error).__name__}: {error}") from error

    async def close(self) -> None:
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        self.closed.set()

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                text = str(message)
                if text == "2":
                    await self._ws.send("3")
                elif text == "1":  # Engine.IO close
                    break
                elif text.startswith("4"):
                    kind, namespace, payload = decode_packet(text)
                    if namespace != self.namespace:
                        continue
                    if kind == "1":  # the server disconnected this namespace
                        break
                    if kind == "2" and isinstance(payload, list) and payload:
                        await self._dispatch(str(payload[0]), payload[1:])
        except websockets.WebSocketException:
            pass
        finally:
            self.closed.set()
            dropped = self.handlers.get("disconnect")  # the server closed it, or the network
            if dropped is not None and not self._closing:
                result = dropped("disconnect", None)
                if result is not None:
                    await result

    async def _dispatch(self, event: str, args: list[Any]) -> None:
        handler = self.handlers.get(event) or self.handlers.get("*")
        if handler is None:
            return
        result = handler(event, args[0] if args else None)
        if result is not None:
            await result
