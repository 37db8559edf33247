"""`python -m trainer worker`: the process that runs the trainings queued on Redis (RQ).

It is rq's forking `Worker`: each job runs in a child process ("work horse") that exits after
it, so the memory of the two models an evaluation loads (TensorFlow's included) goes back to
the system after every training, and a job over its time limit is killed with its child. The
worker itself never imports TensorFlow (`trainer.training` loads Rasa in the job only), which
keeps the fork safe: TensorFlow's threads do not survive a fork.
"""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker

from trainer.settings import TrainerSettings

log = logging.getLogger(__name__)


class WorkerError(RuntimeError):
    """The worker cannot start (no Redis named, or it does not answer)."""


def connect(settings: TrainerSettings) -> Redis:
    """A connection to the settings' Redis, checked."""
    if not settings.redis_url:
        raise WorkerError(
            "REDIS_URL is not set: without Redis the gateway runs each training in a process"
            " of its own (`python -m trainer run-job`) and no worker is needed"
        )
    connection = Redis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        connection.ping()
    except RedisError as error:
        raise WorkerError(f"Redis at REDIS_URL does not answer: {error}") from None
    return connection


def work(settings: TrainerSettings, *, burst: bool = False, name: str | None = None) -> bool:
    """Run the worker on the settings' queue until stopped (or, with `burst`, until the
    queue is empty); returns whether it ran at least one job."""
    connection = connect(settings)
    queue = Queue(settings.queue_name, connection=connection)
    worker = Worker([queue], connection=connection, name=name)
    log.info("training worker %s on queue %r", worker.name, settings.queue_name)
    return bool(worker.work(burst=burst, logging_level="INFO", with_scheduler=False))
