"""Fixtures of the trainer's model API tests (`test_api_trainer_models`, `_jobs`, `_rollout`):
the gateway on SQLite and on PostgreSQL with one person of each role, its trainer settings in
the test's folders, and the registry of `trainer_models_rows`.

No training is run: `trainer.jobs.dispatch` (what hands a queued job to its runner) is replaced
by a recorder (`dispatched`), so a submitted job stays queued until a test plays the runner's
part with `trainer.jobs.claim` / `set_progress` / `finish`, and no process is started.
"""

# Fixtures come from reports_gateway: arguments named `events_engine` are it.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from tests.handover.conftest import BACKENDS, empty_database
from tests.handover.reports_gateway import events_engine  # noqa: F401
from tests.handover.test_api import login
from tests.handover.trainer_models_rows import seed_registry
from tests.migrated import migrated
from trainer import audit, jobs
from trainer.settings import TrainerSettings

PEOPLE = {"ann": "agent", "max": "manager", "sue": "supervisor", "adam": "admin", "tess": "trainer"}
ONLY = {"detail": "trainers and admins only"}
DEFAULT_SHARE = 0.25  # TRAINER_CANARY_SHARE here


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as found:
        migrated(found)
        with session_scope(session_factory(make_engine(found))) as db:
            for name, role in PEOPLE.items():
                crud.create_agent(db, username=name, password="long-enough-1", skills=[],
                                  capacity=2, role=role)  # fmt: skip
        yield found


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrainerSettings:
    """The gateway's trainer settings (it reads them from the environment): folders of the test."""
    monkeypatch.setenv("TRAINER_MODELS_DIR", str(tmp_path / "registry"))
    monkeypatch.setenv("TRAINER_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("TRAINER_CANARY_SHARE", str(DEFAULT_SHARE))
    return TrainerSettings()


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The jobs handed to a runner; none is started."""
    handed: list[str] = []
    monkeypatch.setattr(jobs, "dispatch", lambda settings, job_id, log, **_: handed.append(job_id))
    return handed


@pytest.fixture
def client(
    url: str, events_engine: Engine, settings: TrainerSettings, dispatched: list[str]
) -> Iterator[TestClient]:
    config = HandoverSettings(database_url=url, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(config)) as running:
        yield running


@pytest.fixture
def tokens(client: TestClient) -> dict[str, dict[str, str]]:
    return {name: login(client, name) for name in PEOPLE}


@pytest.fixture
def db(url: str) -> Iterator[Session]:
    """A session on the gateway's database, for seeding and looking."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def seeded(db: Session, settings: TrainerSettings, tmp_path: Path) -> Session:
    seed_registry(db, settings, tmp_path / "trained")
    db.commit()
    return db


def actions(db: Session) -> list[tuple[str, str, str | None]]:
    """(actor, action, model) of the audit log, oldest first."""
    db.expire_all()
    lines = reversed(audit.recent(db, limit=1000))
    return [(line.actor, line.action, line.model_id) for line in lines]


def actions(db: Session) -> list[tuple[str, str, str | None]]:
    """(actor, action, model) of the audit log, oldest first."""
    db.expire_all()
    lines = reversed(audit.recent(db, limit=1000))
    return [(line.actor, line.action, line.model_id) for line in lines]
