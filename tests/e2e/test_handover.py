"""The handover gateway through its public interfaces, against the whole running assistant."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.e2e.conftest import AGENTS

ROOT = Path(__file__).resolve().parents[2]
SHARED_SCRIPT = ROOT.parent / "shared" / "eval" / "handover_e2e.py"

pytestmark = pytest.mark.e2e


class Customer:
    """A widget speaking Rasa's socket.io protocol to the gateway.

    The gateway issues the session id and its secret (`session_confirm`); coming back to a
    conversation takes both.
    """

    def __init__(
        self, url: str, session_id: str | None = None, session_secret: str | None = None
    ) -> None:
        self.events: list[tuple[str, Any]] = []
        self.arrived = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)
        self.sio.connect(url, transports=["websocket"], wait_timeout=10)
        request = {"session_id": session_id, "session_secret": session_secret}
        self.sio.emit("session_request", {k: v for k, v in request.items() if v})
        confirm = self.wait("session_confirm")[1]
        self.session_id: str = confirm["session_id"]
        self.session_secret: str = confirm["session_secret"]

    def _record(self, event: str, data: Any = None) -> None:
        with self.arrived:
            self.events.append((event, data))
            self.arrived.notify_all()

    def wait(
        self, event: str, match: str = "", timeout: float = 20, *, consume: bool = False
    ) -> tuple[str, Any]:
        """The first `event` whose data contains `match`; fails after `timeout`. With
        `consume`, it and every event before it are forgotten: the next wait sees later ones."""

        def found() -> tuple[int, tuple[str, Any]] | None:
            return next(
                (
                    (i, e)
                    for i, e in enumerate(self.events)
                    if e[0] == event and match in json.dumps(e[1], ensure_ascii=False)
                ),
                None,
            )

        with self.arrived:
            if not self.arrived.wait_for(found, timeout):
                seen = [e for e in self.events if e[0] in (event, "error")]
                raise AssertionError(f"no {event} with {match!r} in {seen}")
            index, hit = found()  # type: ignore[misc]
            if consume:
                del self.events[: index + 1]
            return hit

    def say(self, text: str) -> None:
        self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def ask(self, text: str, expect: str) -> str:
        """Say `text`; the bot's first later message containing `expect`."""
        self.say(text)
        return self.wait("bot_uttered", expect, timeout=30, consume=True)[1]["text"]

    def ask_once_stored(self, text: str, expect: str = "") -> str:
        """Say `text`; the bot's first message containing `expect` after the gateway has
        acknowledged storing it. Unlike `ask`, never a later part of the previous answer, which
        may arrive after that answer's first message was read."""
        self.sio.emit(
            "user_uttered",
            {"message": text, "session_id": self.session_id},
            callback=lambda *ack: self._record("stored", ack),
        )
        self.wait("stored", timeout=30, consume=True)
        return self.wait("bot_uttered", expect, timeout=30, consume=True)[1]["text"]

    def close(self) -> None:
        self.sio.disconnect()


_signed_in: dict[tuple[str, str], dict[str, str]] = {}


def login(stack, name: str) -> dict[str, str]:
    """The headers of the agent, signed in and online. The gateway allows a few sign-ins a
    minute per username, so the run signs each agent in once per gateway (as a console keeps its
    session) and later only sets them online again, unless that session has ended."""
    url = stack.bot.gateway_url
    headers = _signed_in.get((url, name))
    if headers is not None:
        online = requests.post(
            f"{url}/api/agent/status", headers=headers, json={"status": "online"}, timeout=10
        )
        if online.ok:
            return headers
    answer = requests.post(
        f"{url}/api/agent/login", json={"username": name, "password": AGENTS[name]}, timeout=10
    )
    answer.raise_for_status()
    _signed_in[url, name] = {"Authorization": f"Bearer {answer.json()['token']}"}
    return _signed_in[url, name]


@pytest.fixture
def customer(stack):
    person = Customer(stack.bot.gateway_url)
    yield person
    person.close()


@pytest.mark.skipif(not SHARED_SCRIPT.exists(), reason="shared handover_e2e.py is not here")
def test_shared_end_to_end_script(stack) -> None:
    result = subprocess.run(
        [sys.executable, str(SHARED_SCRIPT), stack.bot.gateway_url, "ada", AGENTS["ada"]],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    print("\nhandover_e2e.py:", result.stdout.strip())


def test_health(stack) -> None:
    body = requests.get(f"{stack.bot.gateway_url}/health", timeout=10).json()
    assert body == {"status": "ok", "database": True, "state_store": True, "rasa": True}


def test_context_packet_reaches_the_agent(stack, customer) -> None:
    headers = login(stack, "ada")
    customer.say("how much do i owe on my bill")
    customer.wait("bot_uttered", "account number")
    customer.say("I want to talk to a human")
    customer.wait("bot_uttered", "passing you to a member of our team")
    customer.wait("handover_status", '"position"')
    url = f"{stack.bot.gateway_url}/api/conversations/{customer.session_id}"
    packet = requests.get(url, headers=headers, timeout=10).json()
    assert packet["state"] == "queued"
    assert packet["reason"] == "customer_request"
    assert packet["skill"] == "billing"
    assert [t["intent"] for t in packet["intents"]][-1] == "request_human"
    assert all(0 < t["confidence"] <= 1 for t in packet["intents"])
    assert packet["transcript"][0]["text"] == "how much do i owe on my bill"
    assert "needs help with their bill" in packet["summary"]
    requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
    requests.post(
        f"{url}/close", headers=headers, json={"reason": "resolved"}, timeout=10
    ).raise_for_status()


def test_two_agents_accepting_at_once_exactly_one_wins(stack, customer) -> None:
    agents = [login(stack, "ada"), login(stack, "bob")]
    customer.say("agent please")
    customer.wait("bot_uttered", "passing you")
    url = f"{stack.bot.gateway_url}/api/conversations/{customer.session_id}"
    with ThreadPoolExecutor(2) as pool:
        codes = sorted(
            pool.map(lambda h: requests.post(f"{url}/accept", headers=h, timeout=10).status_code,
                     agents)
        )  # fmt: skip
    assert codes == [200, 409]
    winner = next(
        h
        for h in agents
        if requests.post(f"{url}/close", headers=h, json={"reason": "resolved"}, timeout=10).ok
    )
    assert winner


def test_reconnecting_resumes_the_conversation_with_its_history(stack, customer) -> None:
    customer.say("hello")
    customer.wait("bot_uttered", "virtual assistant")
    customer.close()
    stranger = Customer(stack.bot.gateway_url, customer.session_id)  # the id without the secret
    try:
        assert stranger.session_id != customer.session_id
        stranger.sio.emit("history_request", {})
        assert stranger.wait("history")[1]["messages"] == []
    finally:
        stranger.close()
    again = Customer(stack.bot.gateway_url, customer.session_id, customer.session_secret)
    try:
        assert again.session_id == customer.session_id
        again.sio.emit("history_request", {"session_id": customer.session_id})
        _, history = again.wait("history")
        assert [m["text"] for m in history["messages"]][0] == "hello"
        again.say("what are your opening hours")
        again.wait("bot_uttered", "8:00")
    finally:
        again.close()


def test_malformed_and_unauthorised_requests_change_nothing(stack, customer) -> None:
    base = stack.bot.gateway_url
    customer.sio.emit("user_uttered", {"message": "", "session_id": customer.session_id})
    customer.wait("error", "non-empty")
    customer.sio.emit("user_uttered", {"message": "x" * 6000, "session_id": customer.session_id})
    customer.wait("error", "longer than")
    assert requests.get(f"{base}/api/queue", timeout=10).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert requests.get(f"{base}/api/queue", headers=bad, timeout=10).status_code == 401
    wrong = requests.post(
        f"{base}/api/agent/login", json={"username": "ada", "password": "nope"}, timeout=10
    )
    assert wrong.status_code == 401
    headers = login(stack, "bob")
    url = f"{base}/api/conversations/{customer.session_id}"
    # Neither assigned nor serving its skill: bob may not even see the conversation.
    assert requests.post(f"{url}/messages", headers=headers, json={"text": "hi"},
                         timeout=10).status_code == 403  # fmt: skip
    assert requests.post(f"{base}/api/handover", json={}, timeout=10).status_code == 401
    agent_socket = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        agent_socket.connect(base, namespaces=["/agent"], auth={"token": "forged"}, wait_timeout=5)
    customer.sio.emit("disconnect", {"session_id": customer.session_id})
    customer.wait("error", "reserved_event")
    customer.sio.emit("history_request", {})
    assert customer.wait("history")[1]["messages"] == [], "nothing was stored"
    assert [e for e, _ in customer.events if e == "bot_uttered"] == []


def test_an_agent_socket_gets_live_events(stack, customer) -> None:
    headers = login(stack, "bob")
    events: list[tuple[str, Any]] = []
    arrived = threading.Condition()

    def record(event: str, data: Any = None) -> None:
        with arrived:
            events.append((event, data))
            arrived.notify_all()

    def wait(event: str, match: str) -> None:
        def seen() -> bool:
            return any(e == event and match in json.dumps(d) for e, d in events)

        with arrived:
            assert arrived.wait_for(seen, 20), f"no {event} with {match!r}: {events}"

    agent = socketio.Client(reconnection=False)
    agent.on("*", record, namespace="/agent")
    token = headers["Authorization"].removeprefix("Bearer ")
    agent.connect(stack.bot.gateway_url, namespaces=["/agent"], auth={"token": token},
                  transports=["websocket"], wait_timeout=10)  # fmt: skip
    try:
        customer.say("can I speak to a person please")
        wait("handover_requested", customer.session_id)
        wait("queue_updated", "size")
        url = f"{stack.bot.gateway_url}/api/conversations/{customer.session_id}"
        requests.post(f"{url}/accept", headers=headers, timeout=10).raise_for_status()
        customer.say("are you there?")
        wait("customer_message", "are you there?")
        agent.emit("typing", {"conversation_id": customer.session_id, "typing": True},
                   namespace="/agent")  # fmt: skip
        customer.wait("typing", '"sender": "agent"')
        requests.post(
            f"{url}/close", headers=headers, json={"reason": "resolved"}, timeout=10
        ).raise_for_status()
    finally:
        agent.disconnect()
