"""The supervisors' REST routes: who may use them, what the overview shows, and reassigning
(done, and refused with 404, 409 or 422, changing nothing)."""

# The fixture `database` comes from test_api: arguments of that name are it.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handover import crud
from handover.db import make_engine, session_factory, session_scope
from tests.handover.test_api import BOT, database, gateway, login  # noqa: F401

OVERVIEW = "/api/supervisor/overview"
WITH_THE_BOT = "only a conversation waiting in the queue or with an agent can be reassigned"
JANE = {"name": "Jane Doe", "email": "jane@example.com", "customer_id": "C-1"}


def reassign_url(conversation_id: str) -> str:
    return f"/api/conversations/{conversation_id}/reassign"


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """orla (orders) and gene (every skill) from test_api; sue supervises, adam administers,
    bill serves billing one chat at a time."""
    with session_scope(session_factory(make_engine(database))) as session:
        for name, skills, capacity, role in (
            ("sue", [], 3, "supervisor"),
            ("adam", [], 2, "admin"),
            ("bill", ["billing"], 1, "agent"),
        ):
            crud.create_agent(
                session, username=name, password="long-enough-1", skills=skills,
                capacity=capacity, role=role, display_name=f"{name.title()} Q.",
            )  # fmt: skip
    with gateway(database) as running:
        yield running


def queue(client: TestClient, conversation_id: str, skill: str, **context: Any) -> None:
    body = {"conversation_id": conversation_id, "reason": "customer_request",
            "context": {"skill": skill, "summary": f"needs {skill} help", **context}}  # fmt: skip
    assert client.post("/api/handover", json=body, headers=BOT).json()["status"] == "queued"


def by_name(overview: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {agent["username"]: agent for agent in overview["agents"]}


def test_only_supervisors_and_admins_may_use_the_routes(client: TestClient) -> None:
    orla, sue, adam = login(client, "orla"), login(client, "sue"), login(client, "adam")
    queue(client, "chat-for-gene", "orders")
    body = {"agent": "orla"}
    forged = {"Authorization": "Bearer not-a-token"}

    for headers in ({}, forged):
        assert client.get(OVERVIEW, headers=headers).status_code == 401
        answer = client.post(reassign_url("chat-for-gene"), json=body, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert client.get(OVERVIEW, headers=orla).json() == {"detail": "supervisors only"}
    assert client.get(OVERVIEW, headers=orla).status_code == 403
    # Even for herself, on a chat of her skill: reassigning is not accepting.
    refused = client.post(reassign_url("chat-for-gene"), json=body, headers=orla)
    assert (refused.status_code, refused.json()) == (403, {"detail": "supervisors only"})
    assert client.get("/api/agent/conversations", headers=orla).json() == {"items": []}

    assert client.get(OVERVIEW, headers=sue).status_code == 200
    assert client.get(OVERVIEW, headers=adam).status_code == 200
    answer = client.post(reassign_url("chat-for-gene"), json=body, headers=adam)
    assert answer.json() == {"state": "assigned", "agent": "orla"}


def test_the_overview_shows_every_waiting_chat_and_every_agent_with_their_load(
    client: TestClient,
) -> None:
    orla, _, sue = login(client, "orla"), login(client, "gene"), login(client, "sue")
    queue(client, "chat-for-gene", "billing", profile=JANE, priority="high")
    queue(client, "chat-for-orla", "orders", vulnerable=True)
    client.post("/api/conversations/chat-for-orla/accept", headers=orla).raise_for_status()

    answer = client.get(OVERVIEW, headers=sue)

    overview = answer.json()
    (waiting,) = overview["queue"]
    assert waiting.pop("waiting_seconds") >= 0
    assert waiting == {
        "conversation_id": "chat-for-gene", "position": 1, "skill": "billing",
        "reason": "customer_request", "priority": "high", "vulnerable": False,
        "customer": "Jane Doe", "summary": "needs billing help",
    }  # fmt: skip
    agents = by_name(overview)
    assert list(agents) == ["adam", "bill", "gene", "orla", "sue"]
    assert {name: (a["status"], a["load"], a["capacity"]) for name, a in agents.items()} == {
        "adam": ("offline", 0, 2), "bill": ("offline", 0, 1), "gene": ("online", 0, 2),
        "orla": ("online", 1, 2), "sue": ("online", 0, 3),
    }  # fmt: skip
    assert (agents["bill"]["skills"], agents["bill"]["role"]) == (["billing"], "agent")
    assert (agents["sue"]["role"], agents["sue"]["display_name"]) == ("supervisor", "Sue Q.")
    (held,) = agents["orla"]["conversations"]
    assert (held["conversation_id"], held["skill"], held["customer"]) == (
        "chat-for-orla", "orders", None,
    )  # fmt: skip
    assert held["assigned_at"] > 0 and held["held_seconds"] >= 0
    totals = overview["totals"]
    assert totals.pop("longest_wait_seconds") >= 0
    assert totals == {
        "waiting": 1, "assigned": 1, "agents_online": 3, "agents_away": 0, "agents_offline": 2,
        "free_seats": 1 + 2 + 3,
    }  # fmt: skip
    assert "jane@example.com" not in answer.text, "a name, never the rest of the profile"


def test_a_queued_chat_goes_to_the_agent_named_whatever_their_skills(
    client: TestClient,
) -> None:
    orla, sue = login(client, "orla"), login(client, "sue")  # orla serves orders only
    queue(client, "chat-for-gene", "billing")

    answer = client.post(reassign_url("chat-for-gene"), json={"agent": "orla"}, headers=sue)

    assert (answer.status_code, answer.json()) == (200, {"state": "assigned", "agent": "orla"})
    mine = client.get("/api/agent/conversations", headers=orla).json()["items"]
    assert [item["conversation_id"] for item in mine] == ["chat-for-gene"]
    packet = client.get("/api/conversations/chat-for-gene", headers=orla).json()
    assert (packet["state"], packet["agent"]) == ("assigned", "orla")
    assert "orla from our support team has joined." in [m["text"] for m in packet["transcript"]]
    overview = client.get(OVERVIEW, headers=sue).json()
    assert overview["queue"] == [] and by_name(overview)["orla"]["load"] == 1


def test_a_chat_moves_from_its_agent_who_then_may_not_touch_it(client: TestClient) -> None:
    gene, orla, sue = login(client, "gene"), login(client, "orla"), login(client, "sue")
    queue(client, "chat-for-gene", "orders")
    client.post("/api/conversations/chat-for-gene/accept", headers=gene).raise_for_status()

    answer = client.post(reassign_url("chat-for-gene"), json={"agent": "orla"}, headers=sue)

    assert answer.json() == {"state": "assigned", "agent": "orla"}
    assert client.get("/api/agent/conversations", headers=gene).json() == {"items": []}
    for method, suffix, body in (("GET", "", None), ("POST", "/messages", {"text": "hi"})):
        late = client.request(
            method, f"/api/conversations/chat-for-gene{suffix}", json=body, headers=gene
        )
        assert late.status_code == 403, suffix  # the console lets a chat go on 403
    packet = client.get("/api/conversations/chat-for-gene", headers=orla).json()
    assert packet["transcript"][-1]["text"] == "orla from our team is taking over."
    agents = by_name(client.get(OVERVIEW, headers=sue).json())
    assert (agents["gene"]["load"], agents["orla"]["load"]) == (0, 1)


def test_refusals_say_why_and_change_nothing(client: TestClient) -> None:
    bill, gene, sue = login(client, "bill"), login(client, "gene"), login(client, "sue")
    queue(client, "chat-for-gene", "billing")
    client.post("/api/conversations/chat-for-gene/accept", headers=bill).raise_for_status()
    client.post("/api/agent/status", json={"status": "away"}, headers=gene).raise_for_status()
    before = client.get(OVERVIEW, headers=sue).json()["agents"]

    cases = [  # chat-for-orla is still with the bot
        ("chat-for-gene", "bill", 409, "the conversation is already bill's"),
        ("chat-for-gene", "gene", 409, "gene is not online"),
        ("chat-for-gene", "adam", 409, "adam is not online"),  # never signed in
        ("chat-for-orla", "sue", 409, WITH_THE_BOT),
        ("chat-for-gene", "nobody", 404, "no such agent"),
        ("no-such-chat", "sue", 404, "no such conversation"),
    ]
    for conversation_id, agent, code, detail in cases:
        answer = client.post(reassign_url(conversation_id), json={"agent": agent}, headers=sue)
        assert (answer.status_code, answer.json()) == (code, {"detail": detail}), agent

    assert client.get(OVERVIEW, headers=sue).json()["agents"] == before
    mine = client.get("/api/agent/conversations", headers=bill).json()["items"]
    assert [item["conversation_id"] for item in mine] == ["chat-for-gene"]


def test_a_full_agent_gets_nothing_more(client: TestClient) -> None:
    bill, sue = login(client, "bill"), login(client, "sue")  # bill takes one chat at a time
    queue(client, "chat-for-gene", "billing")
    client.post("/api/conversations/chat-for-gene/accept", headers=bill).raise_for_status()
    queue(client, "chat-for-orla", "billing")

    answer = client.post(reassign_url("chat-for-orla"), json={"agent": "bill"}, headers=sue)

    assert answer.status_code == 409
    assert answer.json() == {"detail": "bill has no room for another chat (1 of 1)"}
    queued = client.get(OVERVIEW, headers=sue).json()["queue"]
    assert [item["conversation_id"] for item in queued] == ["chat-for-orla"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"agent": ""},
        {"agent": 7},
        {"agent": None},
        {"agent": ["orla"]},
        {"agent": "x" * 65},
        {"agent": "orla\u0000"},
        {"agent": "orla\u0007"},
        {"agent": "orla", "skill": "billing"},
        "orla",
    ],
)
def test_a_bad_body_is_refused_before_anything_happens(client: TestClient, body: Any) -> None:
    login(client, "orla")
    sue = login(client, "sue")
    queue(client, "chat-for-gene", "orders")

    answer = client.post(reassign_url("chat-for-gene"), json=body, headers=sue)

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"]
    assert [w["conversation_id"] for w in client.get(OVERVIEW, headers=sue).json()["queue"]] == [
        "chat-for-gene"
    ]


def test_text_that_is_not_json_or_not_unicode_and_bad_ids_are_refused(
    client: TestClient,
) -> None:
    sue = login(client, "sue")
    json_headers = {**sue, "Content-Type": "application/json"}
    url = reassign_url("chat-for-gene")
    for raw in (b'{"agent": "\\ud800"}', b"\xff\xfe", b"{not json"):
        assert client.post(url, content=raw, headers=json_headers).status_code == 422, raw
    for bad_id in ("bad%20id", "x" * 129):
        answer = client.post(reassign_url(bad_id), json={"agent": "sue"}, headers=sue)
        assert answer.status_code == 422, bad_id


def test_the_page_is_served_under_the_strict_policy_without_inline_code(
    client: TestClient,
) -> None:
    page = client.get("/supervisor")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text and "style=" not in page.text
    for asset in ("/static/supervisor.js", "/static/supervisor.css"):
        assert f'"{asset}"' in page.text and client.get(asset).status_code == 200
    assert "innerHTML" not in client.get("/static/supervisor.js").text
