"""Fixtures of the reports' API tests: the gateway on SQLite and on PostgreSQL, Rasa's events in
a SQLite file of their own (`REPORTING_EVENTS_URL`), one person of each role, and writers of
hand-built histories in both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rasa.shared.core.events import Event
from sqlalchemy.engine import Engine

from handover import crud
from handover.db import make_engine, session_factory, session_scope
from handover.models import RecordedEvent
from reporting import broker_table
from tests.handover.conftest import BACKENDS, empty_database
from tests.handover.test_api import gateway, login
from tests.migrated import migrated
from tests.reporting.test_bot_facts import publish

PASSWORD = "long-enough-1"
# username: (role, display name); a name a spreadsheet would run, for the CSV guard.
PEOPLE = {
    "ann": ("agent", "=Ann"),
    "max": ("manager", "Max"),
    "sue": ("supervisor", "Sue"),
    "adam": ("admin", "Adam"),
}


@pytest.fixture(params=BACKENDS)
def reports_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated gateway database with one person of each role."""
    with empty_database(request.param, tmp_path) as url:
        migrated(url)
        with session_scope(session_factory(make_engine(url))) as session:
            for name, (role, display) in PEOPLE.items():
                crud.create_agent(
                    session, username=name, password=PASSWORD, skills=[], capacity=2,
                    role=role, display_name=display,
                )  # fmt: skip
        yield url


@pytest.fixture
def events_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Rasa's events database, which the gateway reads through REPORTING_EVENTS_URL."""
    url = f"sqlite:///{tmp_path}/rasa-events.db"
    monkeypatch.setenv("REPORTING_EVENTS_URL", url)
    engine = broker_table.events_engine(url)
    broker_table.create_table(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(reports_db: str, events_engine: Engine) -> Iterator[TestClient]:
    with gateway(reports_db) as running:
        yield running


@pytest.fixture
def tokens(client: TestClient) -> dict[str, dict[str, str]]:
    """A bearer header for each person (signing in sets the agent online)."""
    return {name: login(client, name) for name in PEOPLE}


def record(url: str, cid: str, *steps: tuple[datetime, str, dict[str, Any]], **common: Any) -> None:
    """The gateway's rows of one contact: (at, kind, other columns) each."""
    values = {"episode": 1, "language": "en", "channel": "socketio", **common}
    with session_scope(session_factory(make_engine(url))) as session:
        for at, kind, columns in steps:
            session.add(RecordedEvent(conversation_id=cid, kind=kind, at=at, **values, **columns))


def said_to_rasa(engine: Engine, conversations: dict[str, list[Event]]) -> None:
    publish(engine, conversations)
