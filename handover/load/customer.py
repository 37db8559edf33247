"""One virtual customer: a widget's socket, one script, think time between messages."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from typing import Any

from handover.load.scenarios import Expect, Script, Step
from handover.load.sio import Socket, SocketError
from handover.load.stats import Recorder


@dataclass(frozen=True)
class Pace:
    think: tuple[float, float] = (5.0, 20.0)  # seconds between an answer and the next message
    answer_timeout: float = 30.0  # no bot answer by then: the message is lost
    handover_timeout: float = 120.0  # no agent (or no hand-back) by then: an error


class Customer:
    """Speaks the widget's protocol (docs/handover.md, customer protocol) through one socket."""

    def __init__(
        self, base_url: str, script: Script, recorder: Recorder, pace: Pace, rng: random.Random
    ) -> None:
        self.script = script
        self.recorder = recorder
        self.pace = pace
        self.rng = rng
        self.socket = Socket(base_url, timeout=pace.answer_timeout)
        self.confirmed = asyncio.Event()
        self.answered = asyncio.Event()
        self.agent_spoke = asyncio.Event()
        self.with_bot = asyncio.Event()
        self.waiting: int | None = None  # the recorder's token of the message awaiting an answer
        self.asked_at = 0.0
        self.was_refused = False  # the last message was refused: the customer gives up
        self.stop = asyncio.Event()  # the run's, once it runs
        self.session_id: str | None = None
        self.socket.on("session_confirm", self._confirmed)
        self.socket.on("bot_uttered", self._bot_uttered)
        self.socket.on("handover_status", self._status)
        self.socket.on("error", self._error)
        self.socket.on("disconnect", self._dropped)

    def _confirmed(self, _: str, data: Any) -> None:
        self.session_id = data.get("session_id") if isinstance(data, dict) else None
        self.confirmed.set()

    def _bot_uttered(self, _: str, data: Any) -> None:
        custom = data.get("custom") if isinstance(data, dict) else None
        sender = custom.get("sender") if isinstance(custom, dict) else None
        if sender == "agent":
            self.agent_spoke.set()
            return
        if self.waiting is not None:  # the first of the answer's messages
            self.recorder.answered(self.waiting)
            self.waiting = None
            self.answered.set()

    def _status(self, _: str, data: Any) -> None:
        state = data.get("state") if isinstance(data, dict) else None
        if state == "bot":
            self.with_bot.set()
        elif state in ("queued", "assigned"):
            self.with_bot.clear()

    def _error(self, _: str, data: Any) -> None:
        kind = data.get("code") if isinstance(data, dict) else None  # "error" is prose
        self.recorder.error(f"gateway:{kind or 'unknown'}")
        if self.waiting is not None:  # refused (a rate limit): no answer is coming
            self.recorder.refuse(self.waiting)
            self.waiting = None
            self.was_refused = True
            self.answered.set()

    def _dropped(self, _: str, __: Any) -> None:
        self.recorder.error("socket_closed")
        if self.waiting is not None:  # nothing can answer it now
            self.recorder.unanswered(self.waiting)
            self.waiting = None
            self.answered.set()

    async def run(self, stop: asyncio.Event) -> None:
        """The whole conversation, or until `stop`; every message sent is answered or lost."""
        try:
            await self.socket.connect()
            await self.socket.emit("session_request", {"language": self.script.language})
            await asyncio.wait_for(self.confirmed.wait(), self.pace.answer_timeout)
        except (SocketError, asyncio.TimeoutError) as error:
            kind = "no_session" if isinstance(error, asyncio.TimeoutError) else "connect"
            self.recorder.error(kind)
            await self.socket.close()
            return
        self.recorder.conversations += 1
        self.recorder.open_conversations += 1
        try:
            self.stop = stop
            for step in self.script.steps:
                if stop.is_set() or self.socket.closed.is_set():
                    break
                if not await self._step(step):
                    break
        except SocketError:  # an emit on a closed socket: `_dropped` has counted it
            pass
        finally:
            self.recorder.open_conversations -= 1
            await self.socket.close()

    async def _step(self, step: Step) -> bool:
        """One step; False when the conversation cannot go on."""
        if step.expect == Expect.AWAIT_AGENT:
            return await self._await(self.agent_spoke, "no_agent", handover=True)
        if step.expect == Expect.AWAIT_BOT:
            return await self._await(self.with_bot, "not_handed_back")
        # Thinking; a run that ends meanwhile sends nothing more.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop.wait(), self.rng.uniform(*self.pace.think))
        if self.stop.is_set():
            return False
        if step.expect == Expect.NOTHING:
            await self.socket.emit("user_uttered", {"message": step.text})
            return True
        self.answered.clear()
        self.was_refused = False
        self.asked_at = time.monotonic()
        self.waiting = self.recorder.message_sent(self.asked_at)
        await self.socket.emit("user_uttered", {"message": step.text})
        try:
            await asyncio.wait_for(self.answered.wait(), self.pace.answer_timeout)
        except asyncio.TimeoutError:
            self.recorder.unanswered(self.waiting)
            self.waiting = None
            return False  # a customer left without an answer does not go on
        return not self.was_refused and not self.socket.closed.is_set()

    async def _await(self, event: asyncio.Event, error: str, handover: bool = False) -> bool:
        try:
            await asyncio.wait_for(event.wait(), self.pace.handover_timeout)
        except asyncio.TimeoutError:
            self.recorder.error(error)
            return False
        if handover:
            self.recorder.handover_waits.append(time.monotonic() - self.asked_at)
        return True
