"""Training from the command line, on the gateway's database (`DATABASE_URL`) and queue:

- `python -m trainer train [--data DIR] [--finetune [--epoch-fraction F]] [--wait]`: queue a
  training (one at a time) and, with `--wait`, follow it to its end;
- `python -m trainer models [--limit N] [--json]`: the registry, newest first;
- `python -m trainer run-job ID`: run a queued job here (what the local runner starts);
- `python -m trainer worker [--burst]`: run the trainings queued on Redis (`trainer.worker`).

Exit status: 0 done (for `train --wait`: the job succeeded), 1 refused or failed (a job is
running already, the training failed, the database or Redis cannot be reached), 2 bad input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from handover.db import make_engine, session_factory, session_scope
from trainer import jobs, rasa_train, registry, worker
from trainer.cli_args import whole_number
from trainer.jobs import Job, JobBusy, JobError, TrainOptions
from trainer.registry import ModelRecord
from trainer.settings import TrainerSettings
from trainer.tables import MAX_ID

COMMANDS = ("train", "models", "run-job", "worker")
POLL_SECONDS = 2.0
MAX_LIMIT = 1000


_limit = whole_number(1, MAX_LIMIT)


def add_parser(commands: Any) -> None:
    """Add `train`, `models`, `run-job` and `worker` to the subparsers of `python -m trainer`."""
    train = commands.add_parser(
        "train",
        help="train a new model (one training at a time) and score it against the live one",
        description="Queues a training: `rasa train` on the data, then the evaluation sets"
        " and the gates; the model joins the registry with its verdict. Without REDIS_URL"
        " it runs in a process of its own on this machine.",
    )
    train.add_argument("--data", type=Path, help="train from this data folder (default: data/)")
    train.add_argument("--finetune", action="store_true", help="fine-tune the live model")
    train.add_argument(
        "--epoch-fraction",
        type=float,
        default=1.0,
        help="with --finetune: this share (over 0, at most 1) of the configured epochs",
    )
    train.add_argument("--note", default="", help="a note kept with the job")
    train.add_argument("--author", help="who trains (default: the login name)")
    train.add_argument("--wait", action="store_true", help="follow the job until it ends")
    models = commands.add_parser("models", help="the models in the registry, newest first")
    models.add_argument("--limit", type=_limit, default=20, help=f"1 to {MAX_LIMIT}")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    run_job = commands.add_parser("run-job", help="run a queued training job here (internal)")
    run_job.add_argument("job_id", metavar="ID")
    work = commands.add_parser("worker", help="run the trainings queued on Redis (REDIS_URL)")
    work.add_argument("--burst", action="store_true", help="stop once the queue is empty")


def run(args: argparse.Namespace) -> int:
    """Run one of the commands; returns the exit status."""
    try:
        settings = TrainerSettings()
    except ValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "worker":
        return _worker(settings, args)
    if args.command == "run-job":
        return _run_job(settings, args.job_id)
    engine = make_engine(settings.database_url)
    try:
        if args.command == "train":
            return _train(settings, session_factory(engine), args)
        with session_factory(engine)() as db:
            found = registry.list_models(db, limit=args.limit)
        shown = json.dumps([as_json(each) for each in found], indent=2)
        print(shown if args.json else table(found))
        return 0
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
        print(f"error: cannot use the gateway's database: {reason}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _train(settings: TrainerSettings, sessions: Any, args: argparse.Namespace) -> int:
    author = args.author if args.author is not None else _login()
    if author is None:
        print("error: no login name here: give --author", file=sys.stderr)
        return 2
    try:
        data = str(args.data.resolve()) if args.data else None
        options = TrainOptions(data, args.finetune, args.epoch_fraction, args.note)
        with session_scope(sessions) as db:
            job = jobs.submit(db, settings, author=author, options=options)
    except JobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except JobBusy as busy:
        print(f"refused: {busy}", file=sys.stderr)
        return 1
    print(f"job {job.id} {job.state}; log: {job.log_file}")
    if not args.wait or not job.active:
        return 0 if job.state != "failed" else _failed(job)
    return _follow(sessions, job)


def _follow(sessions: Any, job: Job) -> int:
    shown = ("", -1.0)
    while job.active:
        time.sleep(POLL_SECONDS)
        with session_scope(sessions) as db:
            found = jobs.get_job(db, job.id)
        assert found is not None
        job = found
        if (job.stage, round(job.progress, 2)) != shown:
            shown = (job.stage, round(job.progress, 2))
            print(f"{job.stage:10} {job.progress:4.0%}", flush=True)
    if job.state == "failed":
        return _failed(job)
    with session_scope(sessions) as db:
        model = registry.get_model(db, job.model_id or "")
    print(f"model {job.model_id}: {model.summary if model else ''}")
    return 0


def _failed(job: Job) -> int:
    print(f"job {job.id} failed: {job.error}", file=sys.stderr)
    return 1


def _run_job(settings: TrainerSettings, job_id: str) -> int:
    if not 0 < len(job_id) <= MAX_ID:
        print(f"error: a job id has 1 to {MAX_ID} characters", file=sys.stderr)
        return 2
    from trainer.training import run_job  # the one command that needs it

    rasa_train.quiet_environment()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run_job(job_id, settings)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as db:
            job = jobs.get_job(db, job_id)
    finally:
        engine.dispose()
    return 0 if job is not None and job.state == "succeeded" else 1


def _worker(settings: TrainerSettings, args: argparse.Namespace) -> int:
    rasa_train.quiet_environment()  # the jobs' processes inherit it
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        worker.work(settings, burst=args.burst)
    except worker.WorkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2 if settings.redis_url is None else 1
    return 0


def table(models: list[ModelRecord]) -> str:
    """The models as a table, one a line."""
    if not models:
        return "no model in the registry"
    lines = [f"{'id':24} {'created (UTC)':16} {'author':12} {'source':8} {'verdict':7} summary"]
    for each in models:
        verdict = "" if each.verdict is None else ("pass" if each.verdict.passed else "fail")
        lines.append(
            f"{each.id:24} {each.created_at:%Y-%m-%d %H:%M} {each.author[:12]:12}"
            f" {each.source:8} {verdict:7} {each.summary or ''}"
        )
    return "\n".join(lines)


def as_json(model: ModelRecord) -> dict[str, Any]:
    """A model's record as JSON-ready values (its evaluation left out: `evaluate` shows it)."""
    verdict = None if model.verdict is None else ("pass" if model.verdict.passed else "fail")
    return {
        "id": model.id,
        "file": model.file,
        "sha256": model.sha256,
        "data_fingerprint": model.data_fingerprint,
        "size_bytes": model.size_bytes,
        "author": model.author,
        "created_at": model.created_at.isoformat(),
        "source": model.source,
        "job_id": model.job_id,
        "verdict": verdict,
        "summary": model.summary,
    }


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (some containers)
        return None
