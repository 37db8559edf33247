"""A gateway of its own for the models and roll-out page's browser tests: a trainer, a manager,
the registry of `tests.handover.trainer_models_rows` (the live model, one that passes its gates,
one that fails them) and the roll-out started with the live one. No Rasa server: it is ready
when it serves the page.

Trainings go to an RQ queue of the test's own on the local Redis, which no worker reads: a
submitted job stays queued until the test plays the worker's part (`Models.run_job`), and no
training ever runs. Each test starts from the same rows (`fresh`).
"""

from __future__ import annotations

import io
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.stack import Process
from handover.db import make_engine, session_factory, session_scope
from handover.models import RecordedEvent
from reporting.session_tables import SESSION_FACTS
from tests.e2e.conftest import create_agent, free_port
from tests.e2e.trainer_gateway import MANAGER, TRAINER
from tests.handover.trainer_models_rows import seed_arms, seed_registry
from trainer import jobs, rollout
from trainer.settings import TrainerSettings
from trainer.tables import (
    BOT_MODELS,
    MODEL_ASSIGNMENTS,
    RASA_SERVERS,
    ROLLOUT,
    TRAINER_AUDIT,
    TRAINING_JOBS,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SHARE = 0.3  # TRAINER_CANARY_SHARE: the publish dialog's slider starts there
TABLES = (MODEL_ASSIGNMENTS, TRAINER_AUDIT, ROLLOUT, RASA_SERVERS, TRAINING_JOBS, BOT_MODELS,
          SESSION_FACTS, RecordedEvent.__table__)  # fmt: skip


@dataclass(frozen=True)
class Models:
    """The gateway's URL, its database and the trainer settings it runs with."""

    url: str
    engine: Engine
    settings: TrainerSettings
    folder: Path

    def session(self) -> AbstractContextManager[Session]:
        return session_scope(session_factory(self.engine))

    def reset(self) -> None:
        """The rows every test starts from: three models, the roll-out idle with the live one."""
        with self.session() as db:
            for table in TABLES:
                db.execute(delete(table))
        shutil.rmtree(self.settings.models_dir, ignore_errors=True)
        with self.session() as db:
            seed_registry(db, self.settings, self.folder / "trained")

    def seed_arms(self) -> None:
        """Conversations in both arms of the canary running now."""
        with self.session() as db:
            state = rollout.current(db)
            assert state is not None and state.mode == "canary", state
            seed_arms(db, state)

    def run_job(self, job_id: str, progress: float, log: str, model_id: str | None = None) -> None:
        """The worker's part: take the queued job, report progress and log; end it with
        `model_id` when given."""
        with self.session() as db:
            job = jobs.get_job(db, job_id)
            assert job is not None and job.log_file
            if job.state == "queued":
                jobs.claim(db, job_id, now=job.created_at)
            jobs.set_progress(db, job_id, "training", progress)
            if model_id:
                jobs.finish(db, job_id, model_id=model_id)
        with open(job.log_file, "a", encoding="utf-8") as stream:
            stream.write(log)


@pytest.fixture(scope="module")
def models_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Models]:
    folder = tmp_path_factory.mktemp("models")
    namespace = f"e2e-models-{uuid.uuid4().hex[:8]}"
    database_url = f"sqlite:///{folder}/gateway.db"
    trainer_env = {
        "TRAINER_MODELS_DIR": str(folder / "registry"),
        "TRAINER_WORK_DIR": str(folder / "work"),
        "TRAINER_QUEUE_NAME": namespace,
        "TRAINER_CANARY_SHARE": str(DEFAULT_SHARE),
    }
    create_agent(database_url, *TRAINER, role="trainer")
    create_agent(database_url, *MANAGER, role="manager")
    port = free_port()
    log = io.StringIO()
    gateway = Process(
        "models-gateway",
        [sys.executable, "-m", "handover", "serve"],
        f"http://127.0.0.1:{port}/trainer/models",
        {
            **trainer_env,
            "SWITCHBOARD_ENVIRONMENT": "development",
            "DATABASE_URL": database_url,
            "REPORTING_EVENTS_URL": f"sqlite:///{folder}/rasa-events.db",  # none: nothing to fold
            "PRIVACY_TRACKER_STORE_URL": f"sqlite:///{folder}/rasa-trackers.db",
            "HANDOVER_PORT": str(port),
            "REDIS_URL": REDIS_URL,  # the trainings' queue, and the gateway's state, namespaced
            "HANDOVER_REDIS_NAMESPACE": namespace,
            "HANDOVER_RASA_URL": "http://127.0.0.1:9",  # answers nothing: never needed here
            "HANDOVER_LOGIN_LIMIT_PER_USER": "1000/minute",
            "HANDOVER_LOGIN_LIMIT_PER_IP": "1000/minute",
        },
    )
    gateway.start(log)
    deadline = time.monotonic() + 60
    while not gateway.is_ready():
        assert time.monotonic() < deadline and gateway.exited() is None, log.getvalue()[-3000:]
        time.sleep(0.3)
    settings = TrainerSettings(
        **{k.removeprefix("TRAINER_").lower(): v for k, v in trainer_env.items()}
    )
    engine = make_engine(database_url)
    try:
        yield Models(f"http://127.0.0.1:{port}", engine, settings, folder)
    finally:
        engine.dispose()
        assert gateway.popen is not None
        gateway.popen.terminate()
        gateway.popen.wait(timeout=15)
        forget_redis(namespace)


def forget_redis(namespace: str) -> None:
    """Delete a test's keys: the gateway's state under `namespace`, and the RQ queue of that
    name with its jobs."""
    client = redis.Redis.from_url(REDIS_URL)
    keys = [*client.scan_iter(f"*{namespace}*"), *client.scan_iter("rq:job:*")]
    own = [key for key in keys if namespace.encode() in key or _job_of(client, key, namespace)]
    if own:
        client.delete(*own)
    client.srem("rq:queues", f"rq:queue:{namespace}")  # RQ's list of queues


def _job_of(client: redis.Redis, key: bytes, namespace: str) -> bool:
    """Whether the RQ job at `key` was queued on the test's queue."""
    return client.type(key) == b"hash" and client.hget(key, "origin") == namespace.encode()


@pytest.fixture
def fresh(models_gateway: Models) -> Models:
    models_gateway.reset()
    return models_gateway
