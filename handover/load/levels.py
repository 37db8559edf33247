"""Closed-loop levels, side by side: bare Rasa's REST channel or the gateway's socket.

The team's `eval/load.py`, on asyncio: at each level c, c customers each send the next
message as soon as the last one is answered (REST: the webhook's reply; socket: the first
`bot_uttered`, then 0.3 s for the rest of that answer), and starts a new conversation every
five messages (a new socket: the gateway's per-socket message limit is a customer's, not a
benchmark's). 2 s of warm-up are not counted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from handover.load.sio import Socket, SocketError
from handover.load.stats import percentile

SCRIPT = ["hi", "what are your opening hours", "where is my order ORD-100001", "thanks", "bye"]
WARM_UP = 2.0
SETTLE = 0.3  # after the first bot_uttered, the rest of the answer arrives

Loop = Callable[[str, asyncio.Event, list[float], list[str], float], Awaitable[None]]


async def rest_customer(
    url: str, stop: asyncio.Event, latencies: list[float], errors: list[str], timeout: float
) -> None:
    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout) as http:
        sender, turn = f"load-{uuid.uuid4().hex[:10]}", 0
        while not stop.is_set():
            started = time.perf_counter()
            try:
                answer = await http.post(
                    "/webhooks/rest/webhook",
                    json={"sender": sender, "message": SCRIPT[turn % len(SCRIPT)]},
                )
                answer.raise_for_status()
                latencies.append(time.perf_counter() - started)
            except httpx.HTTPError as error:
                errors.append(type(error).__name__)
            turn += 1
            if turn % len(SCRIPT) == 0:  # a new conversation, as load.py does
                sender = f"load-{uuid.uuid4().hex[:10]}"


async def sio_customer(
    url: str, stop: asyncio.Event, latencies: list[float], errors: list[str], timeout: float
) -> None:
    while not stop.is_set():  # a new conversation (and socket) every len(SCRIPT) messages
        try:
            await sio_conversation(url, stop, latencies, errors, timeout)
        except (SocketError, asyncio.TimeoutError) as error:
            errors.append(type(error).__name__)
            await asyncio.sleep(1)


async def sio_conversation(
    url: str, stop: asyncio.Event, latencies: list[float], errors: list[str], timeout: float
) -> None:
    """One conversation of the script; a refused message (`error`) ends the wait at once."""
    socket, confirmed, answered = Socket(url, timeout=timeout), asyncio.Event(), asyncio.Event()
    refused: list[str] = []

    def on_error(_: str, data: Any) -> None:
        refused.append(f"gateway:{data.get('code') if isinstance(data, dict) else data}")
        answered.set()

    socket.on("session_confirm", lambda _, __: confirmed.set())
    socket.on("bot_uttered", lambda _, __: answered.set())
    socket.on("error", on_error)
    try:
        await socket.connect()
        await socket.emit("session_request", {})
        await asyncio.wait_for(confirmed.wait(), timeout)
        for message in SCRIPT:
            if stop.is_set():
                return
            answered.clear()
            started = time.perf_counter()
            await socket.emit("user_uttered", {"message": message})
            try:
                await asyncio.wait_for(answered.wait(), timeout)
            except asyncio.TimeoutError:
                errors.append("lost")
                continue
            if refused:
                errors.extend(refused)
                refused.clear()
            else:
                latencies.append(time.perf_counter() - started)
            await asyncio.sleep(SETTLE)
    finally:
        await socket.close()


async def level(loop: Loop, url: str, c: int, seconds: float, timeout: float) -> dict[str, Any]:
    """One level's msg/s, p50, p95 (ms) and errors."""
    stop, latencies, errors = asyncio.Event(), [], []  # type: ignore[var-annotated]
    tasks = [asyncio.create_task(loop(url, stop, latencies, errors, timeout)) for _ in range(c)]
    await asyncio.sleep(WARM_UP)
    del latencies[:]
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    counted, elapsed = list(latencies), time.perf_counter() - started
    stop.set()
    await asyncio.wait(tasks, timeout=timeout + 5)
    return {
        "c": c,
        "msg_per_s": round(len(counted) / elapsed, 1),
        "p50_ms": round(percentile(counted, 0.5) * 1000) if counted else None,
        "p95_ms": round(percentile(counted, 0.95) * 1000) if counted else None,
        "errors": len(errors),
    }


LOOPS: dict[str, Loop] = {"rest": rest_customer, "sio": sio_customer}
