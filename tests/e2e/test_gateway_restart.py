"""A gateway killed between storing a customer's message and answering it: the next gateway
answers it once, and Rasa's two copies of it carry the same message id."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.e2e.slow_bot import Gateway, held_rasa, start_gateway

pytestmark = pytest.mark.e2e

QUESTION = "is there an outage in my street?"
MESSAGE_ID = "0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19"


class Customer:
    """The widget's side of the protocol, in a thread-backed Socket.IO client."""

    def __init__(self, gateway: Gateway, session: dict[str, str] | None = None) -> None:
        self.client = socketio.Client(reconnection=False)
        self.histories: list[list[dict[str, Any]]] = []
        self.heard = threading.Condition()
        self.client.on("history", self._history)
        self.client.connect(gateway.url, transports=["websocket"], wait_timeout=10)
        confirm: dict[str, str] = {}
        self.client.on("session_confirm", confirm.update)
        self.client.call("session_request", session or {}, timeout=10)
        self.session = dict(confirm)

    def _history(self, data: dict[str, Any]) -> None:
        with self.heard:
            self.histories.append(data["messages"])
            self.heard.notify_all()

    def history(self) -> list[tuple[str, str, str | None]]:
        with self.heard:
            count = len(self.histories)
            self.client.emit("history_request", {})
            assert self.heard.wait_for(lambda: len(self.histories) > count, 10), "no history"
            return [(m["sender"], m["text"], m["message_id"]) for m in self.histories[-1]]

    def close(self) -> None:
        self.client.disconnect()


def test_a_message_stored_by_a_killed_gateway_is_answered_once_after_a_restart(
    tmp_path: Path,
) -> None:
    with held_rasa() as rasa:
        rasa.hold()
        env = {"HANDOVER_RECOVER_AFTER_SECONDS": "1"}
        first = start_gateway(tmp_path, rasa, **env)
        customer = Customer(first)
        ack = customer.client.call(
            "user_uttered", {"message": QUESTION, "message_id": MESSAGE_ID}, timeout=10
        )
        assert ack["status"] == "accepted", "stored before the acknowledgement"
        rasa.wait_for(1)  # the gateway waits for the bot's answer...
        assert first.process.popen is not None
        first.process.popen.send_signal(signal.SIGKILL)  # ...and dies
        first.process.popen.wait(timeout=15)
        customer.close()
        rasa.release()

        second = start_gateway(tmp_path, rasa, **env)
        try:
            copies = rasa.wait_for(2, timeout=60)
            again = Customer(second, customer.session)
            deadline = time.monotonic() + 10
            while len(history := again.history()) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)  # the answer is stored just after Rasa gives it
            assert history == [
                ("user", QUESTION, MESSAGE_ID),
                ("bot", f"Answer to: {QUESTION}", None),
            ], "stored once, answered once"
            assert [c["metadata"]["message_id"] for c in copies] == [MESSAGE_ID] * 2
            ack = again.client.call(
                "user_uttered", {"message": QUESTION, "message_id": MESSAGE_ID}, timeout=10
            )
            assert ack["status"] == "duplicate", "the widget's resend after the restart"
            assert len(rasa.texts()) == 2
            again.close()
        finally:
            second.stop()
