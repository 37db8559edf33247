"""The training worker (`trainer.worker`) against the Redis on 127.0.0.1:6379, one queue of its
own per test, deleted afterwards: a job submitted with REDIS_URL is run by the worker, in a
real `worker` process and in one forked from the tests (where the evaluation can be faked);
without Redis it refuses to start. A real `rasa train` is the end-to-end test's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy.orm import Session

from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.training_fakes import FakeSteps, settings_for
from trainer import jobs, registry, training, worker
from trainer.jobs import TrainOptions
from trainer.settings import TrainerSettings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
# `python -m trainer` with only the training commands (the entry point adds them all).
CLI = (
    "import argparse, sys\n"
    "from trainer import train_cli\n"
    "parser = argparse.ArgumentParser()\n"
    "train_cli.add_parser(parser.add_subparsers(dest='command', required=True))\n"
    "sys.exit(train_cli.run(parser.parse_args()))\n"
)


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A queue of the test's own; its jobs, workers and registries go afterwards."""
    name = f"trainer-test-{uuid.uuid4().hex[:8]}"
    yield name
    redis = Redis.from_url(REDIS_URL)
    queue = Queue(name, connection=redis)
    registries = (queue.started_job_registry, queue.finished_job_registry,
                  queue.failed_job_registry, queue.canceled_job_registry)  # fmt: skip
    ids = {job_id for each in registries for job_id in each.get_job_ids()} | set(queue.job_ids)
    keys = [f"rq:{kind}:{job_id}" for job_id in ids for kind in ("job", "results")]
    # A worker's key outlives it a minute (rq's register_death): ours go now.
    keys += [key.decode() for key in redis.scan_iter("rq:worker:*")
             if redis.hget(key, "queues") == name.encode()]  # fmt: skip
    keys += [key.decode() for key in redis.scan_iter(f"rq:*{name}*")]
    queue.delete(delete_jobs=True)
    if keys:
        redis.delete(*keys)


@pytest.fixture
def settings(tmp_path: Path, db_url: str, queue_name: str) -> TrainerSettings:  # noqa: F811
    return settings_for(tmp_path, db_url, redis_url=REDIS_URL, queue_name=queue_name)


def cli(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_worker_process_runs_the_queued_job(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
) -> None:
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())
    env = {**os.environ, **settings.as_env(), "FAKE_RASA_MODE": "fail"}

    done = cli(["worker", "--burst"], env)

    assert done.returncode == 0, done.stderr
    assert f"training job {job.id}" in done.stderr  # rq logs the job it runs
    session.rollback()
    ran = jobs.get_job(session, job.id)
    assert ran is not None and ran.state == "failed"
    assert ran.error is not None and ran.error.startswith("rasa train failed (exit 1): ")
    assert "Restored component 'RegexFeaturizer' from cache." in jobs.read_log(settings, ran)
    assert Redis.from_url(REDIS_URL).llen(f"rq:queue:{settings.queue_name}") == 0


@pytest.fixture
def signals() -> Iterator[None]:
    """The worker takes SIGINT and SIGTERM for itself: the tests' own come back afterwards."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


def test_a_job_run_by_the_worker_registers_its_model(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    monkeypatch: pytest.MonkeyPatch,
    signals: None,
) -> None:
    # The job's process (forked from this one) reads its settings from the environment.
    for name, value in settings.as_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FAKE_RASA_MODE", raising=False)
    monkeypatch.setattr(training, "Steps", lambda: FakeSteps().steps())
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())

    assert worker.work(settings, burst=True, name=f"test-{settings.queue_name}")

    session.rollback()
    ran = jobs.get_job(session, job.id)
    assert ran is not None and (ran.state, ran.progress) == ("succeeded", 1.0), ran.error
    model = registry.get_model(session, ran.model_id or "")
    assert model is not None and model.summary == "macro holdout 0.50, verdict pass"
    assert registry.model_file(settings, model).is_file()


def test_without_redis_the_worker_refuses_to_start(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    with pytest.raises(worker.WorkerError, match="REDIS_URL is not set"):
        worker.work(settings, burst=True)
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}

    done = cli(["worker", "--burst"], {**env, **settings.as_env()})

    assert done.returncode == 2
    assert done.stderr.startswith("error: REDIS_URL is not set")


def test_an_unreachable_redis_is_said(tmp_path: Path) -> None:
    unused = f"sqlite:///{tmp_path / 'unused.db'}"
    settings = settings_for(tmp_path, unused, redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(worker.WorkerError, match="Redis at REDIS_URL does not answer"):
        worker.work(settings, burst=True)
    done = cli(["worker", "--burst"], {**os.environ, **settings.as_env()})
    assert done.returncode == 1 and "does not answer" in done.stderr
