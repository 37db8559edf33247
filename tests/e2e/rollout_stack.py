"""The whole assistant with two Rasa servers, for the roll-out's end-to-end test: its own
gateway database, model registry, copies of the training data (labels and trainings change
them, never the repository's), and a trainer's account.

Trainings go to an RQ queue of the test's own on the machine's Redis, which the stack's
`trainer worker` runs; they train with `QUICK_CONFIG` (the product's pipeline with fewer
epochs), the canary decides after a few conversations per arm
(`TRAINER_CANARY_MIN_CONVERSATIONS`) and checks every second, and the evaluation reads the
hold-outs and the regression set only (`TRAINER_EVALUATION_SETS`): the trainings and their
scoring stay small enough for CI. As the quick models score up to 2 points lower than the
repository's model on a hold-out, the macro gate allows 4 (`TRAINER_MACRO_TOLERANCE`); every
other gate is the product's.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from bot.settings import BotSettings
from bot.stack import ROOT, Stack
from tests.e2e.conftest import create_agent, free_port, mock_backends
from tests.e2e.models_gateway import REDIS_URL, forget_redis

TRAINER = ("tess", "correct-horse-8")
MIN_CONVERSATIONS = 4
QUICK_CONFIG = ROOT / "tests" / "data" / "quick_config.yml"
T = TypeVar("T")


@dataclass
class Rollout:
    """The running stack, the trainer's signed-in headers, and the files and settings it uses."""

    stack: Stack
    headers: dict[str, str]
    project: Path  # copies of config.yml, domain.yml and data/
    env: dict[str, str]  # what the gateway's trainer reads, for the command line

    @property
    def url(self) -> str:
        return self.stack.bot.gateway_url

    def sign_in(self) -> None:
        login = requests.post(
            f"{self.url}/api/agent/login",
            json={"username": TRAINER[0], "password": TRAINER[1]},
            timeout=30,
        )
        login.raise_for_status()
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.url}/api/trainer{path}"
        answer = requests.request(method, url, headers=self.headers, timeout=60, **kwargs)
        if answer.status_code == 401:
            # An access token lasts 15 minutes, and a training on a loaded machine may take
            # longer: signed in again, as the trainer would be.
            self.sign_in()
            answer = requests.request(method, url, headers=self.headers, timeout=60, **kwargs)
        return answer

    def cli(self, *arguments: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trainer", *arguments],
            cwd=ROOT, env={**os.environ, **self.env}, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip

    def server_holds(self, server: str, model_id: str) -> bool:
        port = self.stack.bot.rasa_port if server == "a" else self.stack.bot.canary_port
        try:
            status = requests.get(
                f"http://127.0.0.1:{port}/status",
                params={"token": self.stack.bot.rasa_token},
                timeout=10,
            )
        except requests.RequestException:  # Rasa answers nothing while it loads a model
            return False
        return status.ok and status.json().get("model_file") == f"{model_id}.tar.gz"

    def parse(self, server: str, text: str) -> str:
        port = self.stack.bot.rasa_port if server == "a" else self.stack.bot.canary_port
        answer = requests.post(
            f"http://127.0.0.1:{port}/model/parse",
            params={"token": self.stack.bot.rasa_token},
            json={"text": text},
            timeout=30,
        )
        answer.raise_for_status()
        return str(answer.json()["intent"]["name"])


def wait_for(what: str, check: Callable[[], T | None], timeout: float, every: float = 1) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := check()) is not None and found is not False:
            return found
        time.sleep(every)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def copy_project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copy(ROOT / "domain.yml", folder / "domain.yml")
    shutil.copy(QUICK_CONFIG, folder / "config.yml")
    return folder


@pytest.fixture(scope="module")
def rollout_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rollout]:
    base = tmp_path_factory.mktemp("rollout")
    project = copy_project(base / "project")
    database_url = f"sqlite:///{base}/handover.db"
    namespace = f"rollout-{secrets.token_hex(4)}"
    create_agent(database_url, *TRAINER, role="trainer")
    trainer_env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,  # the trainings' queue, and the gateway's state, namespaced
        "TRAINER_QUEUE_NAME": namespace,
        "TRAINER_MODELS_DIR": str(base / "registry"),
        "TRAINER_WORK_DIR": str(base / "training"),
        "TRAINER_CONFIG": str(project / "config.yml"),
        "TRAINER_DOMAIN": str(project / "domain.yml"),
        "TRAINER_DATA_DIR": str(project / "data"),
        "TRAINER_REGRESSION_FILE": str(project / "data" / "regression.jsonl"),
        "TRAINER_EVALUATION_SETS": json.dumps(
            {
                "holdout": f"{ROOT}/tests/data/holdout.jsonl",
                "holdout_fr": f"{ROOT}/tests/data/holdout_fr.jsonl",
            }
        ),  # fmt: skip
        # The quick config's models are a little weaker than the repository's live one.
        "TRAINER_MACRO_TOLERANCE": "0.04",
        "TRAINER_CANARY_MIN_CONVERSATIONS": str(MIN_CONVERSATIONS),
        "TRAINER_CANARY_CHECK_SECONDS": "1",
    }
    gateway_env = {
        **trainer_env,
        "HANDOVER_REDIS_NAMESPACE": namespace,
        "HANDOVER_TRAINER_DATA_DIR": str(project / "data" / "nlu"),
        "HANDOVER_TRAINER_DOMAIN": str(project / "domain.yml"),
        "HANDOVER_TRAINER_REGRESSION_FILE": str(project / "data" / "regression.jsonl"),
        "HANDOVER_LOGIN_LIMIT_PER_USER": "1000/minute",
        "HANDOVER_LOGIN_LIMIT_PER_IP": "1000/minute",
    }
    state = base / "state"
    state.mkdir()
    env = {
        "ACTIONS_DATABASE_URL": f"sqlite:///{state}/actions.db",
        "PRIVACY_TRACKER_STORE_URL": f"sqlite:///{state}/rasa-trackers.db",
        "REPORTING_EVENTS_URL": f"sqlite:///{state}/rasa-events.db",
    }
    bot = BotSettings(
        environment="development",
        rasa_port=free_port(),
        canary=True,
        canary_port=free_port(),
        model_pull_seconds=1,
        action_port=free_port(),
        gateway_port=free_port(),
        action_token=secrets.token_urlsafe(32),
        startup_timeout_seconds=600,
    )
    backends = mock_backends()
    log = io.StringIO()
    stack = Stack(bot, backends, out=log, gateway_env=gateway_env, env=env)
    try:
        stack.start()
    except RuntimeError:
        sys.stderr.write(log.getvalue()[-5000:])
        raise
    rollout = Rollout(stack, {}, project, {**env, **trainer_env})
    rollout.sign_in()
    try:
        yield rollout
    finally:
        stack.stop()
        forget_redis(namespace)
    if os.environ.get("ROLLOUT_LOG"):
        Path(os.environ["ROLLOUT_LOG"]).write_text(log.getvalue())
