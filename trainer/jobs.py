"""Training jobs, one at a time: a row in `training_jobs` (`trainer.tables`), queued by
`submit`, run by `trainer.training.run_job` in a process of its own, never the gateway's: a
worker of the RQ queue when the settings name a Redis, otherwise `python -m trainer run-job ID`
started detached on this machine.

A job "queued" or "running" blocks the next submit (`JobBusy`); the check and the insert are one
transaction, serialised (a transaction-level advisory lock on PostgreSQL, the write lock on
SQLite), so two trainers submitting at once get one job and one refusal.

A runner that dies (killed, machine restarted) cannot say so. Its sign of life is its log: the
runner touches it at least every `training.HEARTBEAT_SECONDS`. Whoever reads jobs (`get_job`,
`list_jobs`, `submit`) fails a "running" job whose log (or start) is older than `STALE_AFTER`,
and a "queued" job no runner took within `QUEUED_LIMIT` (no worker on the queue?). These reads
write: the caller commits.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from handover.models import utcnow
from trainer.dispatch import dispatch
from trainer.registry import new_id
from trainer.settings import TrainerSettings
from trainer.tables import ACTIVE_JOB_STATES, MAX_BY, TRAINING_JOBS, JobState

STALE_AFTER = timedelta(minutes=5)
QUEUED_LIMIT = timedelta(minutes=60)
MAX_NOTE = 500
MAX_PATH = 4096
MAX_ERROR = 500
SUBMIT_LOCK = 0x7472_6A6F  # PostgreSQL advisory lock key of `submit` ("trjo")
_C = TRAINING_JOBS.c


class JobError(ValueError):
    """A job cannot be submitted as asked (bad options, bad author)."""


class JobBusy(Exception):
    """A job is already queued or running: one training at a time."""

    def __init__(self, job_id: str, state: str) -> None:
        super().__init__(f"training job {job_id} is {state}: one training at a time")
        self.job_id = job_id
        self.state = state


@dataclass(frozen=True)
class TrainOptions:
    """What to train from: the settings' data folder unless `data_dir` names another; a full
    training, or fine-tuning the live model for `epoch_fraction` of the configured epochs."""

    data_dir: str | None = None
    finetune: bool = False
    epoch_fraction: float = 1.0
    note: str = ""

    def __post_init__(self) -> None:
        if self.data_dir is not None and (
            not isinstance(self.data_dir, str)
            or not 0 < len(self.data_dir) <= MAX_PATH
            or "\0" in self.data_dir
        ):
            raise JobError(f"data_dir must be a folder's path of 1 to {MAX_PATH} characters")
        if not isinstance(self.finetune, bool):
            raise JobError("finetune must be true or false")
        fraction = self.epoch_fraction
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, (int, float))
            or not (math.isfinite(fraction) and 0 < fraction <= 1)
        ):
            raise JobError("epoch_fraction must be a number over 0 and at most 1")
        if fraction != 1 and not self.finetune:
            raise JobError("epoch_fraction applies to fine-tuning only (finetune)")
        if not isinstance(self.note, str) or len(self.note) > MAX_NOTE:
            raise JobError(f"note must be a text of at most {MAX_NOTE} characters")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TrainOptions:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Job:
    """A training job; `progress` runs from 0 to 1 through the stages queued, training,
    evaluating and done; `error` says why a failed one failed."""

    id: str
    state: JobState
    author: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    stage: str
    progress: float
    log_file: str | None
    options: TrainOptions
    model_id: str | None
    error: str | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES


def submit(
    db: Session,
    settings: TrainerSettings,
    *,
    author: str,
    options: TrainOptions,
    now: datetime | None = None,
) -> Job:
    """Queue a training and hand it to its runner; commits `db` first, so that the runner
    finds the row. A runner that cannot be reached fails the job (its error says why).

    Raises:
        JobBusy: a job is queued or running.
        JobError: the author or the options cannot be used.
    """
    if not isinstance(author, str) or not author.strip() or len(author) > MAX_BY:
        raise JobError(f"author must be a username of 1 to {MAX_BY} characters")
    if options.data_dir is not None and not Path(options.data_dir).is_dir():
        raise JobError(f"the data folder {options.data_dir} does not exist or is not a folder")
    now = now or utcnow()
    _lock_submits(db)
    _expire_stale(db, now)
    active = db.execute(select(_C.id, _C.state).where(_C.state.in_(ACTIVE_JOB_STATES))).first()
    if active is not None:
        raise JobBusy(active.id, active.state)
    job_id = new_id(now)
    log_file = settings.work_dir / "logs" / f"{job_id}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.touch()
    row = {
        "id": job_id,
        "state": "queued",
        "author": author,
        "created_at": now,
        "stage": "queued",
        "progress": 0.0,
        "log_file": str(log_file),
        "options": options.to_json(),
    }
    db.execute(TRAINING_JOBS.insert().values(**row))
    db.commit()
    try:
        dispatch(settings, job_id, log_file, queued_limit=QUEUED_LIMIT)
    except Exception as error:  # Redis down, no Python to start: the job must not block
        finish(db, job_id, error=f"could not start the training: {error}", now=utcnow())
        db.commit()
    job = get_job(db, job_id, now=now)
    assert job is not None
    return job


def get_job(db: Session, job_id: str, *, now: datetime | None = None) -> Job | None:
    """The job `job_id`, or None (a dead runner's job is failed first)."""
    _expire_stale(db, now or utcnow())
    row = db.execute(select(TRAINING_JOBS).where(_C.id == job_id)).mappings().first()
    return None if row is None else _job(row)


def list_jobs(db: Session, limit: int = 20, *, now: datetime | None = None) -> list[Job]:
    """The `limit` newest jobs, newest first (dead runners' jobs failed first)."""
    _expire_stale(db, now or utcnow())
    query = select(TRAINING_JOBS).order_by(_C.created_at.desc(), _C.id.desc()).limit(max(limit, 0))
    return [_job(row) for row in db.execute(query).mappings()]


def read_log(settings: TrainerSettings, job: Job, tail_bytes: int = 20000) -> str:
    """The end of the job's log (whole lines), "" when it has none in the settings' folder."""
    if not job.log_file:
        return ""
    path = Path(job.log_file).resolve()
    if not path.is_relative_to(settings.work_dir.resolve()):
        return ""  # a row is no reason to read any file the process can
    try:
        with path.open("rb") as stream:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(size - tail_bytes, 0))
            data = stream.read()
    except OSError:  # gone, or not a readable file
        return ""
    if size > tail_bytes:
        data = data.partition(b"\n")[2]
    return data.decode("utf-8", errors="replace")


def claim(db: Session, job_id: str, *, now: datetime) -> Job | None:
    """Mark the queued job running, for its runner; None when it is not queued (any more)."""
    started = (
        update(TRAINING_JOBS)
        .where(_C.id == job_id, _C.state == "queued")
        .values(state="running", started_at=now, stage="training", progress=0.05)
    )
    if db.execute(started).rowcount != 1:
        return None
    return get_job(db, job_id, now=now)


def set_progress(db: Session, job_id: str, stage: str, progress: float) -> None:
    """Where the running job is."""
    query = update(TRAINING_JOBS).where(_C.id == job_id, _C.state == "running")
    db.execute(query.values(stage=stage, progress=min(max(progress, 0.0), 1.0)))


def finish(
    db: Session,
    job_id: str,
    *,
    model_id: str | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> bool:
    """End an active job: succeeded with `model_id`, or failed with `error`. False when the
    job had ended already (failed as stale meanwhile)."""
    values: dict[str, Any] = {"finished_at": now or utcnow()}
    if error is None:
        values.update(state="succeeded", stage="done", progress=1.0, model_id=model_id)
    else:
        values.update(state="failed", error=_short(error))
    query = update(TRAINING_JOBS).where(_C.id == job_id, _C.state.in_(ACTIVE_JOB_STATES))
    return bool(db.execute(query.values(**values)).rowcount == 1)


def _lock_submits(db: Session) -> None:
    """Hold, until the transaction ends, the lock that serialises submits."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(text("pg_advisory_xact_lock(:key)")), {"key": SUBMIT_LOCK})
    else:  # SQLite: a write, even of nothing, takes the database's write lock
        db.execute(update(TRAINING_JOBS).where(text("0 = 1")).values(state=_C.state))


def _expire_stale(db: Session, now: datetime) -> None:
    active = select(TRAINING_JOBS).where(_C.state.in_(ACTIVE_JOB_STATES))
    for row in db.execute(active).mappings().all():
        reason = _stale_reason(_job(row), now)
        if reason:
            failed = update(TRAINING_JOBS).where(_C.id == row["id"], _C.state == row["state"])
            db.execute(failed.values(state="failed", error=reason, finished_at=now))


def _stale_reason(job: Job, now: datetime) -> str:
    if job.state == "queued" and now - job.created_at > QUEUED_LIMIT:
        minutes = int(QUEUED_LIMIT.total_seconds() // 60)
        return f"no runner took the job in {minutes} minutes (is `python -m trainer worker` on?)"
    if job.state != "running":
        return ""
    last_sign = job.started_at or job.created_at
    if job.log_file:
        try:
            touched = os.stat(job.log_file).st_mtime
            last_sign = max(last_sign, datetime.fromtimestamp(touched, timezone.utc))
        except OSError:
            pass
    if now - last_sign > STALE_AFTER:
        minutes = int(STALE_AFTER.total_seconds() // 60)
        return f"the training process stopped: no sign of life for {minutes} minutes"
    return ""


def _job(row: Mapping[str, Any]) -> Job:
    return Job(
        id=row["id"],
        state=row["state"],
        author=row["author"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        stage=row["stage"],
        progress=row["progress"],
        log_file=row["log_file"],
        options=TrainOptions.from_json(row["options"]),
        model_id=row["model_id"],
        error=row["error"],
    )


def _short(error: str) -> str:
    line = next((part.strip() for part in error.splitlines() if part.strip()), "unknown error")
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 3] + "..."
