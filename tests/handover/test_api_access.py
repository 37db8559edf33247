"""Who may see a conversation, and what the API does with ids and text it cannot store."""

# The fixtures `database` and `client` come from test_api: arguments of the same name are them.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from tests.handover.test_api import BOT, database, login, queue_billing_chat  # noqa: F401

CHAT = "/api/conversations/chat-for-gene"
ACTIONS = [
    ("POST", "/accept", None),
    ("POST", "/messages", {"text": "hello"}),
    ("POST", "/handback", None),
    ("POST", "/transfer", {"skill": "orders"}),
    ("POST", "/close", {"reason": "resolved"}),
]


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with session_scope(session_factory(make_engine(database))) as session:
        for name, skills, role in (
            ("sue", ["orders"], "supervisor"),
            ("bill", ["billing"], "agent"),
        ):
            crud.create_agent(
                session, username=name, password="long-enough-1", skills=skills, capacity=2,
                role=role,
            )  # fmt: skip
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as running:
        yield running


def test_an_agent_without_the_skill_or_the_assignment_is_refused(client: TestClient) -> None:
    orla = login(client, "orla")  # serves orders only; the chat is queued for billing
    queue_billing_chat(client)

    assert client.get(CHAT, headers=orla).status_code == 403
    for method, suffix, body in ACTIONS:
        answer = client.request(method, CHAT + suffix, json=body, headers=orla)
        assert answer.status_code == 403, suffix
    assert client.post(CHAT + "/accept", headers=orla).json() == {"detail": "needs skill billing"}


def test_accepting_what_is_not_waiting_is_a_conflict_whatever_the_id(client: TestClient) -> None:
    gene, bill = login(client, "gene"), login(client, "bill")
    queue_billing_chat(client)
    client.post(CHAT + "/accept", headers=gene).raise_for_status()

    taken = client.post(CHAT + "/accept", headers=bill)
    unknown = client.post("/api/conversations/no-such-chat/accept", headers=bill)
    idle = client.post("/api/conversations/chat-for-orla/accept", headers=bill)

    assert taken.status_code == unknown.status_code == idle.status_code == 409
    assert taken.json() == unknown.json() == idle.json()  # nothing tells them apart


def test_the_skill_lets_an_agent_see_a_queued_chat_until_someone_takes_it(
    client: TestClient,
) -> None:
    bill, gene = login(client, "bill"), login(client, "gene")
    queue_billing_chat(client)
    assert client.get(CHAT, headers=bill).status_code == 200

    client.post(CHAT + "/accept", headers=gene).raise_for_status()

    assert client.get(CHAT, headers=gene).json()["agent"] == "gene"
    assert client.get(CHAT, headers=bill).status_code == 403


def test_the_agent_who_closed_a_conversation_may_still_read_it(client: TestClient) -> None:
    gene, bill = login(client, "gene"), login(client, "bill")
    queue_billing_chat(client)
    client.post(CHAT + "/accept", headers=gene).raise_for_status()
    client.post(CHAT + "/close", json={"reason": "resolved"}, headers=gene).raise_for_status()

    assert client.get(CHAT, headers=gene).json()["state"] == "closed"
    assert client.get(CHAT, headers=bill).status_code == 403


def test_a_supervisor_reads_any_conversation(client: TestClient) -> None:
    sue, gene = login(client, "sue"), login(client, "gene")
    queue_billing_chat(client)
    client.post(CHAT + "/accept", headers=gene).raise_for_status()

    packet = client.get(CHAT, headers=sue)
    assert packet.status_code == 200
    assert packet.json()["agent"] == "gene"
    assert client.get("/api/conversations/chat-for-orla", headers=sue).status_code == 200
    # Reading is not owning: acting on gene's chat is still a conflict.
    reply = client.post(CHAT + "/messages", json={"text": "hi"}, headers=sue)
    assert reply.status_code == 409


def test_unknown_ids_tell_an_agent_nothing_and_a_supervisor_404(client: TestClient) -> None:
    orla, sue = login(client, "orla"), login(client, "sue")
    unknown = "/api/conversations/no-such-chat"
    known = "/api/conversations/chat-for-orla"  # with the bot: nobody's to read but supervisors'

    for suffix, body in (("", None), ("/messages", {"text": "hi"}), ("/close", {"reason": "spam"})):
        method = "POST" if suffix else "GET"
        one = client.request(method, unknown + suffix, json=body, headers=orla)
        other = client.request(method, known + suffix, json=body, headers=orla)
        assert (one.status_code, one.json()) == (other.status_code, other.json()) == (
            403, {"detail": "not a conversation you may see"},
        )  # fmt: skip
    assert client.get(unknown, headers=sue).status_code == 404


@pytest.mark.parametrize(
    "raw_id",
    [
        "%20",
        "%20%20%20",
        "%09",
        "%0A",
        "abc%0A",
        "%00",
        "a%1Fb",
        "%7F",
        "caf%C3%A9",
        "a%20b",
        "x" * 129,
        "%E2%80%AE",
    ],  # fmt: skip
)
def test_ids_with_whitespace_or_control_characters_are_refused_before_any_lookup(
    client: TestClient, raw_id: str
) -> None:
    sue = login(client, "sue")  # may read everything: nothing but the id can refuse

    for method, suffix, body in [("GET", "", None), *ACTIONS]:
        answer = client.request(method, f"/api/conversations/{raw_id}{suffix}", json=body,
                                headers=sue)  # fmt: skip
        assert answer.status_code == 422, (raw_id, suffix, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["path", "conversation_id"]


def test_the_bot_cannot_queue_a_conversation_with_a_bad_id(client: TestClient) -> None:
    body = {"conversation_id": "abc\n", "reason": "customer_request"}

    assert client.post("/api/handover", json=body, headers=BOT).status_code == 422


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        (b'{"text": "hello \\ud800"}', "lone surrogate"),
        (b'{"text": "\\udfff"}', "lone surrogate"),
        (b'{"text": "nul \\u0000 inside"}', "U+0000"),
        (b'{"text": "bell \\u0007"}', "U+0007"),
    ],
)
def test_text_no_database_can_store_is_refused_with_the_reason(
    client: TestClient, raw: bytes, complaint: str
) -> None:
    gene = login(client, "gene")
    queue_billing_chat(client)
    client.post(CHAT + "/accept", headers=gene).raise_for_status()
    headers = {**gene, "Content-Type": "application/json"}

    answer = client.post(CHAT + "/messages", content=raw, headers=headers)

    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "text"]
    assert complaint in error["msg"]
    lines = client.get(CHAT, headers=gene).json()["transcript"]
    assert all(line["sender"] != "agent" for line in lines)
    fine = client.post(CHAT + "/messages", json={"text": "two\nlines\tand a tab"}, headers=gene)
    assert fine.status_code == 200


def test_bad_text_anywhere_in_a_body_is_refused(client: TestClient) -> None:
    headers = {**BOT, "Content-Type": "application/json"}
    nested = b'{"conversation_id": "chat-for-gene", "reason": "x", "context": {"a": ["\\ud800"]}}'
    key = b'{"conversation_id": "chat-for-gene", "reason": "x", "context": {"\\u0000": 1}}'
    login_body = b'{"username": "\\ud800", "password": "whatever1"}'

    answer = client.post("/api/handover", content=nested, headers=headers)
    assert (answer.status_code, answer.json()["detail"][0]["loc"]) == (
        422, ["body", "context", "a", 0],
    )  # fmt: skip
    assert client.post("/api/handover", content=key, headers=headers).status_code == 422
    answer = client.post("/api/agent/login", content=login_body,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 422


def test_a_body_that_is_not_utf8_is_refused_with_the_reason(client: TestClient) -> None:
    headers = {"Content-Type": "application/json"}

    answer = client.post("/api/agent/login", content=b'{"username": "\xff"}', headers=headers)

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == "the body must be JSON in UTF-8"


@pytest.mark.parametrize("path", ["/", "/console", "/api/agent/me", "/api/queue",
                                  "/static/console.js", "/health", "/docs"])  # fmt: skip
def test_every_page_and_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "'unsafe-eval'" not in policy
    if path != "/docs":
        assert "script-src 'self';" in policy  # no inline scripts


def test_the_console_refuses_framing_and_the_demo_site_allows_it(client: TestClient) -> None:
    console = client.get("/console").headers
    assert "frame-ancestors 'none'" in console["Content-Security-Policy"]
    assert console["X-Frame-Options"] == "DENY"
    assert (
        "connect-src 'self' ws://testserver wss://testserver;"
        in (console["Content-Security-Policy"])
    )
    demo = client.get("/").headers
    assert "frame-ancestors" not in demo["Content-Security-Policy"]
    assert "X-Frame-Options" not in demo


def test_the_console_page_has_no_inline_script_or_style(client: TestClient) -> None:
    page = client.get("/console").text

    assert "<style" not in page and " style=" not in page
    for tag in page.split("<script")[1:]:
        assert tag.lstrip().startswith("src="), tag[:60]
        assert tag.split(">", 1)[1].startswith("</script>")
