"""Training jobs (`trainer.jobs`, `trainer.dispatch`) on SQLite and PostgreSQL: one at a time,
even when two trainers submit at once; handed to RQ or to a detached local runner; a dead
runner's job failed when someone looks; options checked; the log's tail."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from handover.db import session_factory, session_scope
from handover.models import utcnow
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.training_fakes import settings_for
from trainer import dispatch, jobs
from trainer.jobs import Job, JobBusy, JobError, TrainOptions
from trainer.settings import TrainerSettings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> TrainerSettings:  # noqa: F811
    return settings_for(tmp_path, db_url)


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The jobs handed to a runner (none is started)."""
    handed: list[str] = []
    monkeypatch.setattr(jobs, "dispatch", lambda settings, job_id, log, **_: handed.append(job_id))
    return handed


def test_a_job_is_queued_then_blocks_the_next_until_it_ends(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    dispatched: list[str],
) -> None:
    options = TrainOptions(note="after labelling")
    job = jobs.submit(session, settings, author="tess", options=options)

    assert dispatched == [job.id]
    assert (job.state, job.stage, job.progress, job.author, job.options) == (
        "queued", "queued", 0.0, "tess", options,
    )  # fmt: skip
    assert job.log_file == str(settings.work_dir / "logs" / f"{job.id}.log")
    assert Path(job.log_file).is_file()
    with pytest.raises(JobBusy, match=f"training job {job.id} is queued") as busy:
        jobs.submit(session, settings, author="adam", options=TrainOptions())
    assert busy.value.job_id == job.id

    assert jobs.claim(session, job.id, now=utcnow()) is not None
    assert jobs.claim(session, job.id, now=utcnow()) is None  # one runner only
    with pytest.raises(JobBusy, match="is running"):
        jobs.submit(session, settings, author="adam", options=TrainOptions())
    assert jobs.finish(session, job.id, error="Boom\nthe traceback's lines")
    assert not jobs.finish(session, job.id, model_id="m")  # ended already
    ended = jobs.get_job(session, job.id)
    assert ended is not None and (ended.state, ended.error) == ("failed", "Boom")

    second = jobs.submit(session, settings, author="adam", options=TrainOptions())
    assert [j.id for j in jobs.list_jobs(session)] == [second.id, job.id]
    assert [j.id for j in jobs.list_jobs(session, limit=1)] == [second.id]


def race(sessions: sessionmaker, settings: TrainerSettings) -> list[object]:
    """Two trainers submit at the same moment; what each got (a Job or an exception)."""
    start = threading.Barrier(2)
    results: list[object] = []

    def submit(author: str) -> None:
        try:
            start.wait(timeout=10)
            with session_scope(sessions) as db:
                results.append(jobs.submit(db, settings, author=author, options=TrainOptions()))
        except BaseException as error:  # reported by the test
            results.append(error)

    threads = [threading.Thread(target=submit, args=(name,)) for name in ("tess", "adam")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_trainers_submitting_at_once_get_one_job(
    engine: Engine,  # noqa: F811
    session: Session,  # noqa: F811  (empties the tables afterwards)
    settings: TrainerSettings,
    dispatched: list[str],
) -> None:
    sessions = session_factory(engine)
    for _ in range(3):  # a race lost once in a while would still show
        results = race(sessions, settings)

        assert sorted(type(result).__name__ for result in results) == ["Job", "JobBusy"]
        with session_scope(sessions) as db:
            active = [job for job in jobs.list_jobs(db) if job.active]
            assert len(active) == 1
            jobs.finish(db, active[0].id, error="done with this round")
    assert len(dispatched) == 3


def test_a_runner_that_cannot_start_fails_its_job(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:1.\nConnection refused.")

    monkeypatch.setattr(jobs, "dispatch", unreachable)
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())

    assert job.state == "failed"
    assert job.error == "could not start the training: Error 111 connecting to 127.0.0.1:1."


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"epoch_fraction": 0.0, "finetune": True}, "epoch_fraction must be a number over 0"),
        ({"epoch_fraction": 1.01, "finetune": True}, "at most 1"),
        ({"epoch_fraction": float("nan"), "finetune": True}, "epoch_fraction"),
        ({"epoch_fraction": True, "finetune": True}, "epoch_fraction"),
        ({"epoch_fraction": "0.5", "finetune": True}, "epoch_fraction"),
        ({"epoch_fraction": 0.5}, "applies to fine-tuning only"),
        ({"finetune": "yes"}, "finetune must be true or false"),
        ({"data_dir": ""}, "data_dir must be a folder's path"),
        ({"data_dir": "a\0b"}, "data_dir must be a folder's path"),
        ({"data_dir": "x" * 5000}, "data_dir must be a folder's path"),
        ({"note": "n" * 501}, "note must be a text of at most 500"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], says: str) -> None:
    with pytest.raises(JobError, match=says):
        TrainOptions(**options)  # type: ignore[arg-type]


def test_options_go_through_json() -> None:
    options = TrainOptions("/tmp/data", True, 0.2, "fine-tune after 3 labels é")
    assert TrainOptions.from_json(options.to_json()) == options


def test_a_data_folder_must_exist_and_the_author_be_a_username(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    dispatched: list[str],
    tmp_path: Path,
) -> None:
    (tmp_path / "file.yml").write_text("nlu: []\n")
    for data_dir in (tmp_path / "missing", tmp_path / "file.yml"):
        with pytest.raises(JobError, match="does not exist or is not a folder"):
            jobs.submit(session, settings, author="tess", options=TrainOptions(str(data_dir)))
    for author in ("", "  ", "t" * 65):
        with pytest.raises(JobError, match="author must be a username"):
            jobs.submit(session, settings, author=author, options=TrainOptions())
    assert jobs.list_jobs(session) == [] and dispatched == []
    job = jobs.submit(session, settings, author="tess", options=TrainOptions(str(tmp_path)))
    assert job.options.data_dir == str(tmp_path)


def age(path: str | None, minutes: float) -> None:
    assert path is not None
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def test_a_running_job_whose_log_went_quiet_is_failed_when_looked_at(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    dispatched: list[str],
) -> None:
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())
    start = utcnow() - timedelta(minutes=30)
    assert jobs.claim(session, job.id, now=start) is not None

    # The runner touched its log a minute ago: alive, though it started long ago.
    age(job.log_file, 1)
    assert state_of(jobs.get_job(session, job.id)) == ("running", None)
    # Its log is older than the limit: the runner died.
    age(job.log_file, jobs.STALE_AFTER.total_seconds() / 60 + 1)
    found = jobs.get_job(session, job.id)
    assert state_of(found) == (
        "failed", "the training process stopped: no sign of life for 5 minutes",
    )  # fmt: skip
    assert found is not None and found.finished_at is not None
    # And it no longer blocks.
    assert jobs.submit(session, settings, author="tess", options=TrainOptions()).state == "queued"


def test_a_running_job_without_log_counts_from_its_start(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    dispatched: list[str],
) -> None:
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())
    assert job.log_file is not None
    os.unlink(job.log_file)
    assert jobs.claim(session, job.id, now=utcnow() - timedelta(minutes=2)) is not None
    assert state_of(jobs.get_job(session, job.id))[0] == "running"
    later = utcnow() + jobs.STALE_AFTER
    assert state_of(jobs.list_jobs(session, now=later)[0])[0] == "failed"


def test_a_job_no_runner_took_is_failed_after_the_queue_limit(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    dispatched: list[str],
) -> None:
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())
    soon = job.created_at + jobs.QUEUED_LIMIT - timedelta(seconds=1)
    assert state_of(jobs.get_job(session, job.id, now=soon)) == ("queued", None)

    late = job.created_at + jobs.QUEUED_LIMIT + timedelta(seconds=1)
    with pytest.raises(JobBusy):
        jobs.submit(session, settings, author="tess", options=TrainOptions(), now=soon)
    again = jobs.submit(session, settings, author="tess", options=TrainOptions(), now=late)

    state, error = state_of(jobs.get_job(session, job.id))
    assert state == "failed" and error is not None and "no runner took the job" in error
    assert again.state == "queued"


def state_of(job: Job | None) -> tuple[str, str | None]:
    assert job is not None
    return job.state, job.error


def test_the_log_tail_is_whole_lines_of_the_jobs_own_file(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    dispatched: list[str],
    tmp_path: Path,
) -> None:
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())
    assert jobs.read_log(settings, job) == ""
    assert job.log_file is not None
    lines = [f"line {n} épée" for n in range(1000)]
    Path(job.log_file).write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert jobs.read_log(settings, job, tail_bytes=10**6).splitlines() == lines
    tail = jobs.read_log(settings, job, tail_bytes=100).splitlines()
    assert 0 < len(tail) < 10 and tail == lines[-len(tail) :]
    # A row naming a file outside the work folder is not read.
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("secret")
    outside = Job(**{**job.__dict__, "log_file": str(secret)})
    assert jobs.read_log(settings, outside) == ""
    sneaky = Job(**{**job.__dict__, "log_file": str(settings.work_dir / ".." / "elsewhere.txt")})
    assert jobs.read_log(settings, sneaky) == ""
    assert jobs.read_log(settings, Job(**{**job.__dict__, "log_file": None})) == ""
    folder = Job(**{**job.__dict__, "log_file": str(settings.work_dir)})
    assert jobs.read_log(settings, folder) == ""


def test_with_redis_the_job_goes_to_the_rq_queue(
    session: Session,  # noqa: F811
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    name = f"trainer-test-{uuid.uuid4().hex[:8]}"
    settings = settings_for(tmp_path, db_url, redis_url=REDIS_URL, queue_name=name)
    queue = Queue(name, connection=Redis.from_url(REDIS_URL))
    try:
        job = jobs.submit(session, settings, author="tess", options=TrainOptions())

        assert job.state == "queued"
        assert queue.job_ids == [job.id]
        queued = queue.fetch_job(job.id)
        assert queued is not None
        assert (queued.func_name, queued.args) == ("trainer.training.run_job", (job.id,))
        assert queued.timeout == settings.job_timeout_seconds
        assert queued.ttl == int(jobs.QUEUED_LIMIT.total_seconds())
    finally:
        queue.delete(delete_jobs=True)


def test_an_unreachable_redis_fails_the_job(
    session: Session,  # noqa: F811
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    settings = settings_for(tmp_path, db_url, redis_url="redis://127.0.0.1:1/0")
    job = jobs.submit(session, settings, author="tess", options=TrainOptions())
    assert job.state == "failed"
    assert job.error is not None and job.error.startswith("could not start the training: ")
    assert jobs.submit(session, settings, author="tess", options=TrainOptions()).state == "failed"


def test_without_redis_a_detached_runner_starts_with_the_settings(
    tmp_path: Path,
    db_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_for(tmp_path, db_url)
    log = tmp_path / "runner.log"
    shows = (
        "import os, sys; print('runner', sys.argv[1], os.getsid(0) == os.getpid(), os.getcwd(),"
        " os.environ['TRAINER_WORK_DIR'], os.environ['DATABASE_URL'] == sys.argv[2],"
        " os.environ['RASA_TELEMETRY_ENABLED'], os.environ['TF_CPP_MIN_LOG_LEVEL'], flush=True)"
    )
    monkeypatch.setattr(
        dispatch, "runner_command", lambda job_id: [sys.executable, "-c", shows, job_id, db_url]
    )

    dispatch.dispatch(settings, "job-1", log, queued_limit=timedelta(minutes=1))

    deadline = time.monotonic() + 30
    while "runner" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    root = Path(dispatch.__file__).resolve().parents[1]
    assert log.read_text().split() == [
        "runner", "job-1", "True", str(root), str(tmp_path / "work"), "True", "false", "2",
    ]  # fmt: skip


def test_the_local_runner_is_python_m_trainer_run_job() -> None:
    assert dispatch.runner_command("j") == [sys.executable, "-m", "trainer", "run-job", "j"]
