"""Agents' sign-in sessions: short tokens, refresh, logout that revokes, roles, rate limits."""

# The fixtures `database` and `client` come from test_api: arguments of the same name are them.
# ruff: noqa: F811

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
import socketio
from fastapi.testclient import TestClient
from sqlalchemy import update

from handover import __main__ as cli
from handover import crud
from handover.api.deps import CurrentSupervisor
from handover.config import PLACEHOLDER_SECRET, HandoverSettings, settings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from handover.models import AgentSession, utcnow
from handover.security import create_token
from tests.handover.test_api import client, database, login, served  # noqa: F401

PASSWORD = "long-enough-1"


def session_id(headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})["jti"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def gateway(database: str, **overrides: Any) -> TestClient:
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9", **overrides)
    return TestClient(create_app(settings))


def test_a_token_is_refused_as_soon_as_its_session_signs_out(client: TestClient) -> None:
    gene = login(client, "gene")
    assert client.get("/api/agent/me", headers=gene).status_code == 200

    assert client.post("/api/agent/logout", headers=gene).status_code == 204

    for method, path in (("GET", "/api/agent/me"), ("GET", "/api/queue"),
                         ("POST", "/api/agent/refresh"), ("POST", "/api/agent/logout")):  # fmt: skip
        answer = client.request(method, path, headers=gene)
        assert answer.status_code == 401, path
        assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_signing_out_one_session_leaves_the_others(client: TestClient) -> None:
    laptop, phone = login(client, "gene"), login(client, "gene")

    client.post("/api/agent/logout", headers=laptop).raise_for_status()

    assert client.get("/api/agent/me", headers=laptop).status_code == 401
    assert client.get("/api/agent/me", headers=phone).status_code == 200


def test_refresh_gives_a_working_token_until_logout(client: TestClient) -> None:
    first = login(client, "gene")

    answer = client.post("/api/agent/refresh", headers=first)
    assert answer.status_code == 200
    assert 0 < answer.json()["expires_in"] <= 15 * 60
    second = bearer(answer.json()["token"])
    assert session_id(second) == session_id(first)
    assert client.get("/api/agent/me", headers=second).json()["username"] == "gene"

    client.post("/api/agent/logout", headers=second).raise_for_status()
    assert client.post("/api/agent/refresh", headers=second).status_code == 401
    assert client.post("/api/agent/refresh", headers=first).status_code == 401


def test_an_expired_access_token_is_refused_even_while_its_session_lives(
    client: TestClient,
) -> None:
    live = login(client, "gene")
    issued = utcnow() - timedelta(minutes=20)
    expired = create_token(
        "gene", PLACEHOLDER_SECRET, 15 * 60, session_id=session_id(live), now=issued
    )

    assert client.get("/api/agent/me", headers=bearer(expired)).status_code == 401
    assert client.post("/api/agent/refresh", headers=bearer(expired)).status_code == 401
    assert client.get("/api/agent/me", headers=live).status_code == 200


def test_tokens_never_outlive_their_session(database: str) -> None:
    with gateway(database, token_ttl_seconds=60) as client:
        answer = client.post("/api/agent/login", json={"username": "gene", "password": PASSWORD})
        assert 55 <= answer.json()["expires_in"] <= 60  # not the 15-minute default
        gene = bearer(answer.json()["token"])
        ended = update(AgentSession).values(expires_at=utcnow() - timedelta(seconds=1))
        with session_scope(session_factory(make_engine(database))) as session:
            session.execute(ended)

        assert client.post("/api/agent/refresh", headers=gene).status_code == 401
        assert client.get("/api/agent/me", headers=gene).status_code == 401


def test_a_token_signed_with_the_placeholder_key_is_refused_in_production(database: str) -> None:
    # Every secret real (others' settings too: production refuses any placeholder).
    real = {
        name: secrets.token_urlsafe(32)
        for name in HandoverSettings.__fields__
        if name.endswith(("_key", "_token", "_secret"))
    }
    with gateway(database, environment="production", **real) as client:
        gene = login(client, "gene")
        live = session_id(gene)
        forged = create_token("gene", PLACEHOLDER_SECRET, 600, session_id=live)
        genuine = create_token("gene", real["secret_key"], 600, session_id=live)

        assert client.get("/api/agent/me", headers=bearer(forged)).status_code == 401
        assert client.get("/api/agent/me", headers=bearer(genuine)).status_code == 200


def test_a_token_of_another_agents_session_is_refused(client: TestClient) -> None:
    gene = login(client, "gene")
    borrowed = create_token("orla", PLACEHOLDER_SECRET, 600, session_id=session_id(gene))

    assert client.get("/api/agent/me", headers=bearer(borrowed)).status_code == 401


def wrong_login(client: TestClient, username: str = "gene") -> Any:
    return client.post("/api/agent/login", json={"username": username, "password": "not-it-at-all"})


def test_the_sixth_attempt_in_a_minute_for_one_username_is_refused(client: TestClient) -> None:
    assert [wrong_login(client).status_code for _ in range(5)] == [401] * 5

    refused = client.post("/api/agent/login", json={"username": "gene", "password": PASSWORD})

    assert refused.status_code == 429  # even with the right password
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "too many sign-in attempts" in refused.json()["detail"]
    assert wrong_login(client, "orla").status_code == 401  # other usernames are not locked


def test_one_address_trying_many_usernames_is_refused(database: str) -> None:
    with gateway(database, login_limit_per_ip="3/minute") as client:
        assert [wrong_login(client, f"guess{n}").status_code for n in range(3)] == [401] * 3

        refused = wrong_login(client, "guess3")

        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1


def test_an_unreadable_rate_limit_stops_the_gateway_at_start() -> None:
    with pytest.raises(ValueError, match="couldn't parse rate limit string 'lots'"):
        HandoverSettings(login_limit_per_ip="lots")


def test_the_schema_documents_the_rate_limit_and_refresh(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    limited = paths["/api/agent/login"]["post"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]
    assert "401" in paths["/api/agent/refresh"]["post"]["responses"]


@pytest.fixture
def supervised(database: str) -> Iterator[TestClient]:
    with session_scope(session_factory(make_engine(database))) as session:
        crud.create_agent(
            session, username="sue", password=PASSWORD, skills=["orders"], capacity=2,
            role="supervisor",
        )  # fmt: skip
    app = create_app(HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9"))

    @app.other_asgi_app.get("/test/supervisors-only")
    async def supervisors_only(agent: CurrentSupervisor) -> dict[str, str]:
        return {"role": agent.role}

    with TestClient(app) as running:
        yield running


def test_current_supervisor_lets_supervisors_in_and_keeps_agents_out(
    supervised: TestClient,
) -> None:
    sue, gene = login(supervised, "sue"), login(supervised, "gene")

    assert supervised.get("/test/supervisors-only", headers=sue).json() == {"role": "supervisor"}
    assert supervised.get("/test/supervisors-only", headers=gene).status_code == 403
    assert supervised.get("/test/supervisors-only").status_code == 401
    assert supervised.get("/api/agent/me", headers=gene).json()["role"] == "agent"


def test_create_agent_takes_a_role(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    settings.cache_clear()
    try:
        args = ["create-agent", "boss", "--password", PASSWORD, "--role", "supervisor"]
        assert cli.main(args) == 0
        with pytest.raises(SystemExit):  # argparse refuses an unknown role
            cli.main(["create-agent", "root", "--password", PASSWORD, "--role", "root"])
    finally:
        settings.cache_clear()
    assert "created supervisor boss" in capsys.readouterr().out
    with session_scope(session_factory(make_engine(database))) as session:
        assert crud.get_agent(session, username="boss").role == "supervisor"
        assert crud.get_agent(session, username="root") is None


@pytest.fixture
def server(database: str) -> Iterator[str]:
    app = create_app(HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9"))
    with served(app) as url:
        yield url


def connects(url: str, token: str) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, namespaces=["/agent"], auth={"token": token}, transports=["websocket"],
                       wait_timeout=5)  # fmt: skip
    except socketio.exceptions.ConnectionError:
        return False
    client.disconnect()
    return True


def test_the_agent_socket_refuses_a_signed_out_token(server: str) -> None:
    answer = httpx.post(
        f"{server}/api/agent/login", json={"username": "gene", "password": PASSWORD}
    )
    token = answer.json()["token"]
    assert connects(server, token)

    httpx.post(f"{server}/api/agent/logout", headers=bearer(token)).raise_for_status()

    assert not connects(server, token)
