"""How a queued training job reaches the process that runs it (`trainer.training.run_job`):
an RQ job on the settings' queue, which `python -m trainer worker` runs, or, without Redis,
`python -m trainer run-job ID` started here, detached: in a session of its own, so that the
gateway's signals and end do not stop it, and so that training never runs in the gateway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from redis import Redis
from rq import Queue

from trainer import rasa_train
from trainer.settings import ROOT, TrainerSettings

RUN_FUNCTION = "trainer.training.run_job"
_RUNNERS: list[subprocess.Popen[bytes]] = []  # local runners started by this process


def dispatch(
    settings: TrainerSettings, job_id: str, log_file: Path, *, queued_limit: timedelta
) -> None:
    """Hand the queued job to its runner: the RQ queue when the settings name a Redis (the job
    expires unrun after `queued_limit`), else a local runner whose output goes to `log_file`."""
    if settings.redis_url:
        connection = Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
        Queue(settings.queue_name, connection=connection).enqueue(
            RUN_FUNCTION,
            job_id,
            job_id=job_id,
            job_timeout=settings.job_timeout_seconds,
            ttl=int(queued_limit.total_seconds()),
            description=f"training job {job_id}",
        )
        return
    for runner in [runner for runner in _RUNNERS if runner.poll() is not None]:
        _RUNNERS.remove(runner)  # reaped: no zombie left behind
    with log_file.open("ab") as log:
        # Its own session: neither the gateway's signals nor its end stop the training.
        runner = subprocess.Popen(
            runner_command(job_id),
            cwd=ROOT,
            env={**os.environ, **rasa_train.ENVIRONMENT, **settings.as_env()},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _RUNNERS.append(runner)


def runner_command(job_id: str) -> list[str]:
    """The command of the local runner."""
    return [sys.executable, "-m", "trainer", "run-job", job_id]
