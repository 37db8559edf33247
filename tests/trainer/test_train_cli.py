"""`python -m trainer train|models|run-job|worker` (`trainer.train_cli`) on SQLite and
PostgreSQL, its settings from the environment as in production; the runner is played by a
thread running the job with the fake `rasa` and stand-in evaluation (`training_fakes`)."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.training_fakes import FakeSteps, model_file, settings_for
from trainer import jobs, registry, train_cli, training
from trainer.settings import TrainerSettings


def main(arguments: list[str]) -> int:
    """What `python -m trainer ARGUMENTS` does with these commands."""
    parser = argparse.ArgumentParser(prog="python -m trainer")
    train_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return train_cli.run(parser.parse_args(arguments))


@pytest.fixture
def settings(
    tmp_path: Path,
    db_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> TrainerSettings:
    """The settings the commands read from the environment."""
    settings = settings_for(tmp_path, db_url)
    for name, value in settings.as_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("FAKE_RASA_MODE", raising=False)
    monkeypatch.setattr(train_cli, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(training, "Steps", lambda: FakeSteps().steps())
    return settings


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """Each submitted job runs in a thread, as the local runner would in its process."""
    threads: list[threading.Thread] = []

    def start(settings: TrainerSettings, job_id: str, log: Path, **_: object) -> None:
        thread = threading.Thread(target=training.run_job, args=(job_id, settings))
        thread.start()
        threads.append(thread)

    monkeypatch.setattr(jobs, "dispatch", start)
    yield threads
    for thread in threads:
        thread.join(timeout=60)


@pytest.fixture
def no_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "dispatch", lambda *args, **kwargs: None)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--epoch-fraction", "0.5"], "epoch_fraction applies to fine-tuning only"),
        (["--finetune", "--epoch-fraction", "0"], "epoch_fraction must be a number over 0"),
        (["--finetune", "--epoch-fraction", "nan"], "epoch_fraction must be a number over 0"),
        (["--data", "/no/such/folder"], "the data folder /no/such/folder does not exist"),
        (["--author", ""], "author must be a username"),
        (["--note", "n" * 501], "note must be a text of at most 500"),
    ],
)
def test_bad_input_exits_2(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    no_runner: None,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    says: str,
) -> None:
    assert main(["train", "--author", "tess", *arguments]) == 2
    assert says in capsys.readouterr().err
    assert jobs.list_jobs(session) == []


def test_a_second_training_is_refused_while_one_is_queued(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    no_runner: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["train", "--author", "tess", "--note", "after the inbox"]) == 0
    [job] = jobs.list_jobs(session)
    assert capsys.readouterr().out == f"job {job.id} queued; log: {job.log_file}\n"
    assert job.options.note == "after the inbox"

    assert main(["train", "--author", "adam"]) == 1
    assert capsys.readouterr().err == (
        f"refused: training job {job.id} is queued: one training at a time\n"
    )


def test_train_wait_follows_the_job_to_its_model(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    runner: list[threading.Thread],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"  # given relative to the working directory, stored whole

    assert main(["train", "--author", "tess", "--data", str(data), "--wait"]) == 0

    [job] = jobs.list_jobs(session)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"job {job.id} queued")
    assert printed[-1] == f"model {job.model_id}: macro holdout 0.50, verdict pass"
    assert printed[-2].split() == ["done", "100%"]
    assert job.options.data_dir == str(data.resolve())


def test_train_wait_exits_1_when_the_training_fails(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    runner: list[threading.Thread],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "fail")

    assert main(["train", "--author", "tess", "--wait"]) == 1

    [job] = jobs.list_jobs(session)
    error = capsys.readouterr().err
    assert error.startswith(f"job {job.id} failed: rasa train failed (exit 1): ")


def test_run_job_runs_a_queued_job_here(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    no_runner: None,
) -> None:
    job = jobs.submit(session, settings, author="tess", options=jobs.TrainOptions())

    assert main(["run-job", job.id]) == 0
    assert main(["run-job", job.id]) == 0  # not queued any more: nothing done, it succeeded
    assert main(["run-job", "no-such-job"]) == 1
    assert main(["run-job", "j" * 65]) == 2

    session.rollback()
    assert [m.id for m in registry.list_models(session)] == [jobs.get_job(session, job.id).model_id]  # type: ignore[union-attr]


def test_models_lists_the_registry(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert main(["models"]) == 0
    assert capsys.readouterr().out == "no model in the registry\n"
    record = registry.import_model(
        session, settings, model_file(tmp_path / "m.tar.gz"), author="ci"
    )
    session.commit()

    assert main(["models"]) == 0
    header, line = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["id", "created", "(UTC)"]
    assert line.split()[0] == record.id and line.split()[3:5] == ["ci", "imported"]
    assert main(["models", "--json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert shown["id"] == record.id and shown["sha256"] == record.sha256
    assert (shown["verdict"], shown["source"]) == (None, "imported")


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "ten"])
def test_a_bad_limit_exits_2(limit: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["models", "--limit", limit])
    assert stopped.value.code == 2


def test_bad_settings_exit_2(
    settings: TrainerSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TRAINER_CANARY_SHARE", "2")
    assert main(["models"]) == 2
    assert "canary_share" in capsys.readouterr().err


def test_an_unreachable_database_exits_1(
    settings: TrainerSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert main(["models"]) == 1
    assert capsys.readouterr().err.startswith("error: cannot use the gateway's database: ")
