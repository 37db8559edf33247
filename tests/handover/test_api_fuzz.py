"""Schemathesis against the gateway's OpenAPI schema: no answer of 500 or more, and no status the
schema does not list, for valid (positive) and invalid (negative) requests alike."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from handover import crud
from handover.config import HandoverSettings
from handover.db import make_engine, migrate, session_factory, session_scope
from handover.main import create_app
from handover.security import create_token
from tests.handover.test_api import served
from trainer import jobs

# Generated bodies can be large: Hypothesis warns about the size of their repr, harmlessly.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
EXAMPLES_PER_OPERATION_AND_MODE = 64  # 27 operations x 2 modes: 3,456 requests
# The reports' 15 operations take only query parameters: fewer examples each (480 requests).
REPORT_EXAMPLES = 16
# The trainer's operations (inbox, labels, models, jobs, roll-out), as a trainer: labels write
# into copies of data/nlu and domain.yml, and each of them reads the training data (0.4 s).
TRAINER_EXAMPLES = 8
ROOT = Path(__file__).resolve().parents[2]
MIN_REQUESTS = 2000
BOT_PATHS = ("/api/handover",)
# Readiness takes no input and answers 503 by design while Rasa is down, as it is here.
SKIPPED = ("/health",)
# What uvicorn answers, before the app sees anything, to a request HTTP itself forbids (negative
# cases can carry header names or values that are not HTTP).
NOT_HTTP = "Invalid HTTP request received."


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HandoverSettings:
    # Training jobs are recorded, never started; whatever the trainer writes stays in tmp_path.
    monkeypatch.setattr(jobs, "dispatch", lambda *args, **kwargs: None)
    monkeypatch.setenv("TRAINER_WORK_DIR", str(tmp_path / "training"))
    monkeypatch.setenv("TRAINER_MODELS_DIR", str(tmp_path / "registry"))
    url = f"sqlite:///{tmp_path}/fuzz.db"
    migrate(url)
    with session_scope(session_factory(make_engine(url))) as session:
        crud.create_agent(
            session, username="sue", password="long-enough-1", skills=[], capacity=3,
            role="supervisor",
        )  # fmt: skip
        crud.create_agent(
            session, username="tess", password="long-enough-1", skills=[], capacity=1,
            role="trainer",
        )  # fmt: skip
        crud.upsert_conversation(session, conversation_id="known-chat")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    # The Rasa URL answers nothing: hand-backs take the "Rasa is down" path.
    return HandoverSettings(
        database_url=url, rasa_url="http://127.0.0.1:9", trainer_data_dir=tmp_path / "data/nlu",
        trainer_domain=tmp_path / "domain.yml",
        trainer_regression_file=tmp_path / "data/regression.jsonl",
    )  # fmt: skip


# Over pyproject's 600 s: about 3,900 requests, Hypothesis' generation of negative cases taking
# most of the time (15 min measured on a machine busy with other test runs).
@pytest.mark.timeout(1500)
def test_no_server_error_and_no_undocumented_status(
    config: HandoverSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = session_factory(make_engine(config.database_url))

    def fresh_token(username: str = "sue") -> str:
        with session_scope(sessions) as session:
            agent = crud.get_agent(session, username=username)
            opened = crud.open_agent_session(session, agent=agent, lifetime_seconds=600)
            return create_token(username, config.secret_key, 600, session_id=opened.id)

    statuses: Counter[int] = Counter()
    not_http = 0
    token = fresh_token()
    trainer_token = {"tess": ""}
    operations: set[str] = set()
    # A real server started once: `case.call_asgi` would run the app's lifespan (migrations,
    # state restore) around every single request.
    schemathesis.experimental.OPEN_API_3_1.enable()  # FastAPI writes OpenAPI 3.1
    with served(create_app(config)) as url, requests.Session() as client:
        schema = schemathesis.from_uri(f"{url}/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path in SKIPPED:
                continue
            operations.add(f"{operation.method.upper()} {operation.path}")
            reports = operation.path.startswith("/api/reports/")
            trainer = operation.path.startswith("/api/trainer/")
            if trainer:  # minted for the operation: the run outlasts a token, these come late
                trainer_token["tess"] = fresh_token("tess")
            examples = (
                REPORT_EXAMPLES if reports
                else TRAINER_EXAMPLES if trainer
                else EXAMPLES_PER_OPERATION_AND_MODE
            )  # fmt: skip
            for mode in (DataGenerationMethod.positive, DataGenerationMethod.negative):

                @given(case=operation.as_strategy(data_generation_method=mode))
                @settings(
                    max_examples=examples,
                    deadline=None,
                    derandomize=True,  # the same requests on every run: failures reproduce
                    suppress_health_check=list(HealthCheck),
                    database=None,
                )
                def exercise(case: Any) -> None:
                    nonlocal not_http, token
                    secret = config.bot_token if case.path in BOT_PATHS else token
                    if case.path.startswith("/api/trainer/"):
                        secret = trainer_token["tess"]
                    headers = {"Authorization": f"Bearer {secret}"}
                    response = case.call(base_url=url, session=client, headers=headers)
                    if response.status_code == 400 and response.text == NOT_HTTP:
                        not_http += 1
                        return
                    statuses[response.status_code] += 1
                    if case.path == "/api/agent/logout" and response.status_code == 204:
                        token = fresh_token()  # so that the rest of the run is signed in
                    case.validate_response(
                        response, checks=(not_a_server_error, status_code_conformance)
                    )

                exercise()

    answered = sum(statuses.values())
    with capsys.disabled():
        print(f"\nschemathesis: {answered + not_http} requests over {len(operations)} operations;"
              f" the app answered {answered}: {dict(sorted(statuses.items()))}; uvicorn refused"
              f" {not_http} that were not HTTP (e.g. a header name that is not a token)")  # fmt: skip
    assert answered + not_http >= MIN_REQUESTS
    assert not [status for status in statuses if status >= 500]
