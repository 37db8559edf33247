"""The gateway's REST API in-process: routing by skill, and state that survives a restart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from handover import crud
from handover.canned import CannedResponsesError, load_canned_responses
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from tests.migrated import migrated

BOT = {"Authorization": "Bearer dev-bot-token"}


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/api.db"
    migrated(url)
    with session_scope(session_factory(make_engine(url))) as session:
        for name, skills in (("orla", ["orders"]), ("gene", [])):
            crud.create_agent(
                session, username=name, password="long-enough-1", skills=skills, capacity=2
            )
            crud.upsert_conversation(session, conversation_id=f"chat-for-{name}")
    return url


def gateway(database: str) -> TestClient:
    # The Rasa URL answers nothing: these calls never need the bot.
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9")
    return TestClient(create_app(settings))


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app behind a real HTTP server on a free port (for Socket.IO and HTTP clients)."""
    server = uvicorn.Server(uvicorn.Config(app, port=0, ws="wsproto", log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    while thread.is_alive() and not server.started:
        ready.wait(0.02)
    assert server.started, "the gateway did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def login(client: TestClient, name: str) -> dict[str, str]:
    answer = client.post("/api/agent/login", json={"username": name, "password": "long-enough-1"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with gateway(database) as running:
        yield running


def queue_billing_chat(client: TestClient) -> None:
    body = {"conversation_id": "chat-for-gene", "reason": "customer_request",
            "context": {"skill": "billing"}}  # fmt: skip
    assert client.post("/api/handover", json=body, headers=BOT).json()["status"] == "queued"


def test_agents_see_and_take_only_what_their_skills_cover(client: TestClient) -> None:
    orla, gene = login(client, "orla"), login(client, "gene")
    queue_billing_chat(client)
    assert client.get("/api/queue", headers=orla).json() == {"items": []}
    assert client.post("/api/conversations/chat-for-gene/accept", headers=orla).status_code == 403
    items = client.get("/api/queue", headers=gene).json()["items"]
    assert [item["conversation_id"] for item in items] == ["chat-for-gene"]
    assert client.post("/api/conversations/chat-for-gene/accept", headers=gene).status_code == 200


def test_transfer_needs_exactly_one_target(client: TestClient) -> None:
    gene = login(client, "gene")
    queue_billing_chat(client)  # so that gene may see it: the body is checked after the right
    url = "/api/conversations/chat-for-gene/transfer"
    assert client.post(url, json={}, headers=gene).status_code == 422
    both = {"agent": "orla", "skill": "orders"}
    assert client.post(url, json=both, headers=gene).status_code == 422
    assert client.post(url, json={"skill": "astrology"}, headers=gene).status_code == 422


def test_queue_and_assignments_survive_a_gateway_restart(database: str) -> None:
    with gateway(database) as first:
        gene = login(first, "gene")
        queue_billing_chat(first)
        body = {"conversation_id": "chat-for-orla", "reason": "out_of_scope",
                "context": {"skill": "orders"}}  # fmt: skip
        first.post("/api/handover", json=body, headers=BOT)
        assert first.post("/api/conversations/chat-for-gene/accept", headers=gene).is_success
    with gateway(database) as second:
        gene = login(second, "gene")
        items = second.get("/api/queue", headers=gene).json()["items"]
        assert [item["conversation_id"] for item in items] == ["chat-for-orla"]
        packet = second.get("/api/conversations/chat-for-gene", headers=gene).json()
        assert (packet["state"], packet["agent"]) == ("assigned", "gene")
        answer = second.post(
            "/api/conversations/chat-for-gene/messages", json={"text": "still here"}, headers=gene
        )
        assert answer.status_code == 200


def test_health_reports_what_is_not_ready(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "unavailable", "database": True, "state_store": True, "rasa": False,
    }  # fmt: skip


def test_acting_on_a_conversation_one_does_not_own_is_a_conflict(client: TestClient) -> None:
    gene = login(client, "gene")
    queue_billing_chat(client)
    answer = client.post(
        "/api/conversations/chat-for-gene/messages", json={"text": "hi"}, headers=gene
    )
    assert answer.status_code == 409
    assert answer.json() == {"detail": "the conversation is not yours"}
    assert client.post("/api/conversations/chat-for-gene/handback", headers=gene).status_code == 409


def test_an_agent_lists_their_own_chats_and_the_team(client: TestClient) -> None:
    gene, orla = login(client, "gene"), login(client, "orla")
    queue_billing_chat(client)
    assert client.get("/api/agent/conversations", headers=gene).json() == {"items": []}
    client.post("/api/conversations/chat-for-gene/accept", headers=gene).raise_for_status()
    mine = client.get("/api/agent/conversations", headers=gene).json()["items"]
    assert [(c["conversation_id"], c["skill"], c["reason"]) for c in mine] == [
        ("chat-for-gene", "billing", "customer_request")
    ]
    assert client.get("/api/agent/conversations", headers=orla).json() == {"items": []}
    team = client.get("/api/agent/team", headers=gene).json()
    assert [(a["username"], a["status"]) for a in team] == [("orla", "online")]
    assert client.get("/api/agent/team").status_code == 401


def test_canned_responses_come_from_the_configured_file(database: str, tmp_path: Path) -> None:
    mine = tmp_path / "canned.yml"
    mine.write_text(
        "responses:\n  - {shortcut: /ok, title: OK, text: 'Done, {customer}.'}\n"  # no French
        "  - {shortcut: /hi, title: Hi, text: 'Hi {agent}', text_fr: 'Bonjour {agent}'}\n"
    )
    settings = HandoverSettings(
        database_url=database, rasa_url="http://127.0.0.1:9", canned_responses_file=mine
    )
    with TestClient(create_app(settings)) as client:
        gene = login(client, "gene")
        answer = client.get("/api/agent/canned-responses", headers=gene).json()
    assert answer == [
        {"shortcut": "/ok", "title": "OK", "text": "Done, {customer}.", "text_fr": None},
        {"shortcut": "/hi", "title": "Hi", "text": "Hi {agent}", "text_fr": "Bonjour {agent}"},
    ]


def test_the_default_canned_responses_are_usable() -> None:
    responses = load_canned_responses()
    assert len(responses) >= 5
    assert len({r.shortcut for r in responses}) == len(responses)
    assert all(r.text_fr for r in responses), "every default response has its French"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("responses:\n  - {shortcut: hi, title: Hi, text: Hello}\n", "shortcut"),
        (
            "responses:\n  - {shortcut: /hi, title: Hi, text: A}\n"
            "  - {shortcut: /hi, title: Hey, text: B}\n",
            "used twice",
        ),  # fmt: skip
        ("responses: [unclosed\n", "canned responses in"),
        ("responses:\n  - {shortcut: /hi, title: Hi}\n", "text"),
        ("responses:\n  - {shortcut: /hi, title: Hi, text: 'Hi {name}'}\n", "unknown placeholder"),
        (
            "responses:\n  - {shortcut: /hi, title: Hi, text: 'Hi {customer}', text_fr: Bonjour}\n",
            "same placeholders",
        ),
        ("responses:\n  - {shortcut: /hi, title: Hi, text: Hi, text_fr: ''}\n", "text_fr"),
    ],
)
def test_a_bad_canned_responses_file_is_refused_with_the_reason(
    tmp_path: Path, content: str, complaint: str
) -> None:
    path = tmp_path / "canned.yml"
    path.write_text(content)
    with pytest.raises(CannedResponsesError, match=complaint):
        load_canned_responses(path)


def test_the_queue_previews_what_the_customer_said_last_redacted_and_cut(
    client: TestClient, database: str
) -> None:
    gene = login(client, "gene")
    queue_billing_chat(client)
    assert client.get("/api/queue", headers=gene).json()["items"][0]["last_message"] is None
    with session_scope(session_factory(make_engine(database))) as session:
        for text in ("first words", "born 14/03/1985 " + "and so on " * 30):
            crud.add_message(session, conversation_id="chat-for-gene", sender="user", text=text)
        crud.add_message(session, conversation_id="chat-for-gene", sender="bot", text="bot line")

    (item,) = client.get("/api/queue", headers=gene).json()["items"]

    preview = item["last_message"]["text"]
    assert preview.startswith("born [date of birth] and so on") and preview.endswith("…")
    assert len(preview) <= 160 and "1985" not in preview


def test_the_closed_list_needs_a_signed_in_agent(client: TestClient) -> None:
    assert client.get("/api/agent/closed").status_code == 401
    assert client.get("/api/agent/closed", headers=login(client, "gene")).json() == {"items": []}
