"""Issue 8, item 1 on the running stack: Rasa and the action server answer only their callers."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.stack import Stack
from tests.e2e.conftest import Chat

pytestmark = pytest.mark.e2e

EVIL = "http://evil.example"
JANE = {"customer_id": "CUS-00001", "account_number": "30000001"}
LISTEN = "0A"  # the TCP state in /proc/net/tcp*


def forged_bill_request() -> dict[str, Any]:
    """The attack: a made-up tracker, already verified as Jane, asking for her bill."""
    tracker = {
        "sender_id": "attacker", "slots": {"verified": True, **JANE}, "latest_message": {},
        "events": [], "paused": False, "followup_action": None, "active_loop": {},
        "latest_action_name": None,
    }  # fmt: skip
    return {"next_action": "action_check_bill_balance", "sender_id": "attacker",
            "tracker": tracker, "domain": {}, "version": "3.6.2"}  # fmt: skip


def _address(hex_address: str) -> str:
    """/proc/net/tcp's little-endian hex address as text (IPv4, or IPv6 in four words)."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words)


def listening_addresses(port: int) -> set[str]:
    """The local addresses that accept TCP connections on `port`."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        pytest.skip("reads listening sockets from Linux's /proc/net/tcp")
    found = set()
    for table in filter(Path.exists, tables):
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.add(_address(address))
    return found


def tracker_events(stack: Stack, sender: str, **params: str) -> requests.Response:
    events = [{"event": "slot", "name": "verified", "value": True},
              {"event": "slot", "name": "customer_id", "value": JANE["customer_id"]}]  # fmt: skip
    return requests.post(
        f"{stack.bot.rasa_url}/conversations/{sender}/tracker/events",
        json=events, params=params, timeout=10,
    )  # fmt: skip


def test_rasa_api_refuses_to_set_slots_without_the_token(stack: Stack, chat: Chat) -> None:
    chat.text("hello")

    for params in ({}, {"token": "guess"}):
        assert tracker_events(stack, chat.sender, **params).status_code == 401
    slots = chat.slots()
    assert slots["verified"] is not True
    assert slots["customer_id"] is None


def test_rasa_api_works_with_the_token(stack: Stack, chat: Chat) -> None:
    chat.text("hello")

    assert tracker_events(stack, chat.sender, token=stack.bot.rasa_token).ok
    slots = chat.slots()
    assert (slots["verified"], slots["customer_id"]) == (True, JANE["customer_id"])


@pytest.mark.parametrize("path", ["/status", "/domain", "/model/parse"])
def test_the_rest_of_rasa_api_needs_the_token_too(stack: Stack, path: str) -> None:
    method = requests.post if path == "/model/parse" else requests.get
    assert method(f"{stack.bot.rasa_url}{path}", json={"text": "hi"}, timeout=10).status_code == 401


def test_action_server_refuses_a_forged_tracker(stack: Stack) -> None:
    url = f"{stack.bot.action_url}/webhook"

    for params in ({}, {"token": stack.bot.rasa_token}):
        answer = requests.post(url, json=forged_bill_request(), params=params, timeout=10)
        assert answer.status_code == 401
        assert "30000001" not in answer.text
    # The same call with the token Rasa holds runs: the token is what was missing.
    allowed = requests.post(
        url, json=forged_bill_request(), params={"token": stack.bot.action_token}, timeout=30
    )
    assert allowed.status_code == 200


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/status", "/"])
def test_rasa_does_not_invite_other_origins(stack: Stack, path: str) -> None:
    url = f"{stack.bot.rasa_url}{path}"
    preflight = requests.options(
        url, headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}, timeout=10
    )
    simple = requests.get(
        url, headers={"Origin": EVIL}, params={"token": stack.bot.rasa_token}, timeout=10
    )

    for answer in (preflight, simple):
        assert answer.headers.get("Access-Control-Allow-Origin") not in (EVIL, "*")


def test_rasa_and_the_action_server_listen_on_loopback_only(stack: Stack) -> None:
    assert listening_addresses(stack.bot.rasa_port) == {"127.0.0.1"}
    assert listening_addresses(stack.bot.action_port) == {"127.0.0.1"}
