"""The manager role on the REST API: signs in like agents, reads reports, takes no chats.

A manager gets 403 on every route that needs an agent who takes chats (found from the routes'
dependencies, so a new chat route is covered too), and on the supervisors' routes; is never
online, so never offered, transferred or given a chat, and never counted as an agent online.
"""

# The fixture `database` comes from test_api: arguments of that name are it.
# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import update

from handover import crud
from handover.api.deps import current_agent, current_supervisor
from handover.db import make_engine, session_factory, session_scope
from handover.models import Agent
from tests.handover.test_api import BOT, database, gateway, login  # noqa: F401

NO_CHATS = {"detail": "managers take no chats"}
SUPERVISORS_ONLY = {"detail": "supervisors only"}


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """orla (orders) and gene (every skill) from test_api; max manages, sue supervises."""
    with session_scope(session_factory(make_engine(database))) as session:
        for name, role in (("max", "manager"), ("sue", "supervisor")):
            crud.create_agent(
                session, username=name, password="long-enough-1", skills=[], capacity=3,
                role=role,
            )  # fmt: skip
    with gateway(database) as running:
        yield running


def queue(client: TestClient, conversation_id: str = "chat-for-gene") -> None:
    body = {"conversation_id": conversation_id, "reason": "customer_request",
            "context": {"skill": "billing"}}  # fmt: skip
    assert client.post("/api/handover", json=body, headers=BOT).json()["status"] == "queued"


def needs(dependant: Dependant, call: Any) -> bool:
    return dependant.call is call or any(needs(d, call) for d in dependant.dependencies)


def routes_needing(client: TestClient, call: Any) -> list[tuple[str, str]]:
    api = client.app.other_asgi_app  # type: ignore[attr-defined]
    return sorted(
        (method, route.path)
        for route in api.routes
        if isinstance(route, APIRoute) and needs(route.dependant, call)
        for method in route.methods
    )


def test_a_manager_signs_in_and_stays_offline(client: TestClient) -> None:
    answer = client.post("/api/agent/login", json={"username": "max", "password": "long-enough-1"})

    assert answer.status_code == 200
    assert (answer.json()["agent"]["role"], answer.json()["agent"]["status"]) == (
        "manager", "offline",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    assert client.get("/api/agent/me", headers=headers).json()["role"] == "manager"
    assert client.post("/api/agent/refresh", headers=headers).status_code == 200
    assert client.get("/api/reports/live", headers=headers).status_code == 200
    assert client.post("/api/agent/logout", headers=headers).status_code == 204
    assert client.get("/api/agent/me", headers=headers).status_code == 401


def test_every_chat_route_refuses_a_manager(client: TestClient) -> None:
    gene = login(client, "gene")  # someone online, so that the bot may queue
    queue(client)
    max_ = login(client, "max")
    chat_routes = routes_needing(client, current_agent)
    # Those a manager must never use, at least: the list is found, not written, but not empty.
    for expected in [("GET", "/api/queue"), ("POST", "/api/agent/status"),
                     ("POST", "/api/conversations/{conversation_id}/accept"),
                     ("GET", "/api/conversations/{conversation_id}")]:  # fmt: skip
        assert expected in chat_routes

    for method, path in chat_routes:
        url = re.sub(r"\{conversation_id\}", "chat-for-gene", path)
        answer = client.request(method, url, headers=max_, json={})
        assert (answer.status_code, answer.json()) == (403, NO_CHATS), (method, path)
    assert client.get("/api/queue", headers=gene).json()["items"]


def test_supervisors_routes_refuse_a_manager(client: TestClient) -> None:
    # The overview lists conversations and customers; reassigning runs the floor: not reports.
    login(client, "gene")
    queue(client)
    max_ = login(client, "max")
    routes = routes_needing(client, current_supervisor)
    assert ("GET", "/api/supervisor/overview") in routes
    assert ("POST", "/api/privacy/erase") in routes

    for method, path in routes:
        url = re.sub(r"\{conversation_id\}", "chat-for-gene", path)
        answer = client.request(method, url, headers=max_, json={"agent": "gene"})
        assert (answer.status_code, answer.json()) == (403, SUPERVISORS_ONLY), (method, path)


def test_a_manager_is_never_online_given_or_counted(client: TestClient, database: str) -> None:
    max_, gene, sue = login(client, "max"), login(client, "gene"), login(client, "sue")
    queue(client)
    client.post("/api/conversations/chat-for-gene/accept", headers=gene).raise_for_status()

    answer = client.post(
        "/api/conversations/chat-for-gene/transfer", json={"agent": "max"}, headers=gene
    )
    assert answer.status_code == 409, "a manager is never online: no transfer to them"
    answer = client.post(
        "/api/conversations/chat-for-gene/reassign", json={"agent": "max"}, headers=sue
    )
    assert answer.status_code == 409
    assert "max" not in [a["username"] for a in client.get("/api/agent/team", headers=gene).json()]
    overview = client.get("/api/supervisor/overview", headers=sue).json()
    assert "max" not in [agent["username"] for agent in overview["agents"]]
    assert overview["totals"]["agents_online"] == 2  # gene and sue; orla never signed in
    assert client.get("/api/reports/live", headers=max_).json()["agents_online"] == 2


def test_with_only_a_manager_signed_in_nobody_is_there_to_take_a_chat(
    client: TestClient, database: str
) -> None:
    login(client, "max")
    # Even if the row said online (set by hand, or before the role changed), routing ignores it.
    with session_scope(session_factory(make_engine(database))) as session:
        session.execute(update(Agent).where(Agent.username == "max").values(status="online"))
    body = {"conversation_id": "chat-for-gene", "reason": "customer_request",
            "context": {"skill": "billing"}}  # fmt: skip

    answer = client.post("/api/handover", json=body, headers=BOT).json()

    assert answer == {"status": "unavailable", "why": "no agent online"}


def test_a_managers_status_can_only_be_offline(database: str) -> None:
    with session_scope(session_factory(make_engine(database))) as session:
        crud.create_agent(
            session, username="max", password="long-enough-1", skills=[], capacity=1,
            role="manager",
        )  # fmt: skip
        for status in ("online", "away"):
            with pytest.raises(ValueError, match="takes no chats"):
                crud.set_agent_status(session, username="max", status=status)
        assert crud.set_agent_status(session, username="max", status="offline").status == "offline"
        assert crud.list_online_agents(session) == []
