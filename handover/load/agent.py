"""A simulated agent: signs in as the console does, takes waiting chats, answers, hands back.

The console's way: `POST /api/agent/login`, the `/agent` socket for `handover_requested` and
`queue_updated`, `GET /api/agent/conversations` (chats the gateway gave them) and
`GET /api/queue`, `POST .../accept`, `.../messages`, `.../handback`. The
socket's events only wake the agent; it also looks at the queue every second, as a console
that missed an event would after a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import httpx

from handover.load.errors import AgentError
from handover.load.sio import Socket, SocketError
from handover.load.stats import Recorder

REPLIES = {
    "en": "Hello, this is {name}; I'm looking at it now.",
    "fr": "Bonjour, {name} à l'appareil ; je regarde cela tout de suite.",
}


class Agent:
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        recorder: Recorder,
        think: tuple[float, float],
        rng: random.Random,
        timeout: float = 30.0,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.username, self.password = username, password
        self.recorder = recorder
        self.think = think
        self.rng = rng
        self.http = httpx.AsyncClient(base_url=self.base, timeout=timeout)
        self.wake = asyncio.Event()
        self.capacity = 1
        self.serving: set[str] = set()
        self.handed_back: set[str] = set()  # the scripts ask for a person once a conversation
        self.tasks: set[asyncio.Task[None]] = set()
        self._token = ""
        self._refresh_at = 0.0

    async def sign_in(self) -> None:
        try:
            answer = await self.http.post(
                "/api/agent/login", json={"username": self.username, "password": self.password}
            )
        except httpx.HTTPError as error:
            raise AgentError(f"{self.username}: sign-in failed ({error})") from error
        if answer.status_code != 200:
            raise AgentError(f"{self.username}: sign-in refused ({answer.status_code})")
        body = answer.json()
        self.capacity = int(body["agent"]["capacity"])
        self._use(body)
        await self._call("POST", "/api/agent/status", json={"status": "online"})

    def _use(self, token_answer: dict[str, Any]) -> None:
        self._token = token_answer["token"]
        self._refresh_at = time.monotonic() + 0.8 * float(token_answer["expires_in"])

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """One REST call; errors are counted by kind and give None."""
        try:
            if time.monotonic() > self._refresh_at:  # the access token lasts minutes
                refreshed = await self.http.post("/api/agent/refresh", headers=self._headers())
                if refreshed.status_code == 200:
                    self._use(refreshed.json())
            answer = await self.http.request(method, path, headers=self._headers(), **kwargs)
        except httpx.HTTPError as error:
            self.recorder.error(f"agent:{type(error).__name__}")
            return None
        if answer.status_code >= 400 and answer.status_code != 409:  # 409: another won
            self.recorder.error(f"agent:http_{answer.status_code}")
        return answer

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def run(self, stop: asyncio.Event) -> None:
        """Take chats until `stop`, then finish the ones in hand."""
        socket = Socket(self.base, "/agent")
        for event in ("handover_requested", "queue_updated"):
            socket.on(event, lambda _, __: self.wake.set())
        try:
            await socket.connect({"token": self._token})
        except SocketError:
            self.recorder.error("agent:socket")  # the queue is still read every second
        while not stop.is_set():
            await self._take_waiting()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 1.0)
            self.wake.clear()
        if self.tasks:
            await asyncio.wait(self.tasks)
        await socket.close()
        # As a console's "Sign out": no agent left online with nobody at the console.
        await self._call("POST", "/api/agent/logout")
        await self.http.aclose()

    async def _take_waiting(self) -> None:
        # The gateway may give a chat to an agent with room at once: it is theirs already.
        mine = await self._call("GET", "/api/agent/conversations")
        if mine is not None and mine.status_code == 200:
            for item in mine.json().get("items", []):
                # A list read before a hand-back finished still shows that chat: not again.
                if str(item["conversation_id"]) not in self.serving | self.handed_back:
                    self._start(str(item["conversation_id"]), item.get("language") or "en")
        if len(self.serving) >= self.capacity:
            return
        answer = await self._call("GET", "/api/queue")
        if answer is None or answer.status_code != 200:
            return
        for item in answer.json().get("items", []):
            if len(self.serving) >= self.capacity:
                return
            conversation = str(item["conversation_id"])
            accepted = await self._call("POST", f"/api/conversations/{conversation}/accept")
            if accepted is None or accepted.status_code != 200:
                continue
            self._start(conversation, item.get("language") or "en")

    def _start(self, conversation: str, language: str) -> None:
        self.serving.add(conversation)
        task = asyncio.create_task(self._serve(conversation, language))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _serve(self, conversation: str, language: str) -> None:
        url = f"/api/conversations/{conversation}"
        try:
            await asyncio.sleep(self.rng.uniform(*self.think))
            text = REPLIES.get(language, REPLIES["en"]).format(name=self.username)
            await self._call("POST", f"{url}/messages", json={"text": text})
            await asyncio.sleep(self.rng.uniform(*self.think))
            await self._call("POST", f"{url}/handback")
            self.handed_back.add(conversation)
        finally:
            self.serving.discard(conversation)
            self.wake.set()
