"""A training job run to its end (`trainer.training.run_job`) on SQLite and PostgreSQL, with a
fake `rasa` that prints what Rasa prints and stand-in evaluation steps (`training_fakes`):
progress, registration, the live model's cached evaluation, fine-tuning, and every failure
ending the job with its reason."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from handover.models import utcnow
from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.training_fakes import FakeSteps, evaluation, model_file, settings_for, verdict
from trainer import audit, jobs, registry, training
from trainer.jobs import Job, TrainOptions
from trainer.settings import TrainerSettings
from trainer.tables import ROLLOUT, ROLLOUT_ROW


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> TrainerSettings:  # noqa: F811
    return settings_for(tmp_path, db_url)


@pytest.fixture
def commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file where the fake `rasa` writes each command line it was given."""
    record = tmp_path / "commands.jsonl"
    monkeypatch.setenv("FAKE_RASA_RECORD", str(record))
    monkeypatch.delenv("FAKE_RASA_MODE", raising=False)
    return record


@pytest.fixture
def progress(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Every (stage, progress) the job reported."""
    seen: list[tuple[str, float]] = []
    real = jobs.set_progress

    def recording(db: Session, job_id: str, stage: str, value: float) -> None:
        seen.append((stage, round(value, 3)))
        real(db, job_id, stage, value)

    monkeypatch.setattr(jobs, "set_progress", recording)
    return seen


def queue(db: Session, settings: TrainerSettings, options: TrainOptions | None = None) -> Job:
    job = jobs.submit(db, settings, author="tess", options=options or TrainOptions())
    return job


@pytest.fixture(autouse=True)
def no_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "dispatch", lambda *args, **kwargs: None)


def ran(commands: Path) -> list[list[str]]:
    if not commands.exists():
        return []
    return [json.loads(line) for line in commands.read_text().splitlines()]


def ended(db: Session, job_id: str) -> Job:
    db.rollback()  # a new transaction sees what the runner committed
    job = jobs.get_job(db, job_id)
    assert job is not None
    return job


def test_a_job_trains_evaluates_and_registers_its_model(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
    progress: list[tuple[str, float]],
) -> None:
    job = queue(session, settings)
    fake = FakeSteps()

    training.run_job(job.id, settings, replace(fake.steps(), audit=audit.record))

    done = ended(session, job.id)
    assert (done.state, done.stage, done.progress, done.error) == ("succeeded", "done", 1.0, None)
    assert done.started_at is not None and done.finished_at is not None
    model = registry.get_model(session, done.model_id or "")
    assert model is not None
    assert (model.source, model.author, model.job_id) == ("trained", "tess", job.id)
    assert model.summary == "macro holdout 0.50, verdict pass"
    assert model.evaluation == evaluation(f"{model.id}.tar.gz", 0.5, ["holdout", "regression"])
    assert model.verdict == verdict(True)
    sha = registry.file_sha256(settings.regression_file)
    assert model.evaluated_sets == {"holdout": sha, "regression": sha}
    assert model.data_fingerprint == registry.data_fingerprint(
        settings.config, settings.domain, settings.data_dir
    )
    assert registry.model_file(settings, model).is_file()
    lines = [
        (line.actor, line.action, line.model_id, line.details) for line in audit.recent(session)
    ]
    options = {"job_id": job.id, "finetune": False, "data_dir": None}
    assert lines == [
        ("tess", "trained", model.id, {**options, "verdict": "pass", "summary": model.summary}),
        ("tess", "training_started", None, options),
    ]
    [line] = ran(commands)
    assert line == [
        "train", "--config", str(settings.config), "--domain", str(settings.domain),
        "--data", str(settings.data_dir), "--out", str(settings.work_dir / job.id),
        "--fixed-model-name", model.id,
    ]  # fmt: skip
    assert not (settings.work_dir / job.id).exists()  # rasa's output folder is cleaned
    # Progress: training from 0.05 to 0.8 as components end, then the evaluation's steps.
    stages = [stage for stage, _ in progress]
    values = [value for _, value in progress]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert stages[-3:] == ["evaluating"] * 3 and values[-3:] == [0.8, 0.88, 0.95]
    trained = [value for stage, value in progress if stage == "training"]
    assert trained[0] == 0.3 and trained[-1] == round(0.05 + 0.75 * 2 / 3, 3) and len(trained) > 3
    log = jobs.read_log(settings, done)
    assert "Finished training component 'DIETClassifier'." in log
    assert "\nUserWarning: an utterance is not used\n" in log and "\x1b" not in log
    assert f"registered {model.id}: macro holdout 0.50, verdict pass" in log


def live_model(db: Session, settings: TrainerSettings, folder: Path) -> registry.ModelRecord:
    record = registry.import_model(db, settings, model_file(folder / "live.tar.gz"), author="ci")
    db.commit()
    return record


def test_the_live_models_evaluation_is_kept_while_the_sets_are_unchanged(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
    tmp_path: Path,
) -> None:
    live = live_model(session, settings, tmp_path)
    fake = FakeSteps(live=live.id, macros={live.file: 0.4})

    def train() -> registry.ModelRecord:
        job = queue(session, settings)
        training.run_job(job.id, settings, fake.steps())
        model = registry.get_model(session, ended(session, job.id).model_id or "")
        assert model is not None
        return model

    first = train()
    assert fake.evaluated == [first.file, live.file]
    assert first.summary == "macro holdout 0.50 (+0.10), verdict pass"
    cached = registry.get_model(session, live.id)
    assert cached is not None and cached.evaluation is not None
    assert cached.evaluation.sets["holdout"].macro == 0.4 and cached.verdict is None
    assert cached.evaluated_sets == first.evaluated_sets

    second = train()
    assert fake.evaluated[2:] == [second.file]  # the live one's evaluation was kept
    assert second.summary == first.summary

    with settings.regression_file.open("a") as stream:  # a trainer labelled one more
        stream.write('{"text": "hello", "intent": "greet"}\n')
    third = train()
    assert fake.evaluated[3:] == [third.file, live.file]
    assert third.evaluated_sets != first.evaluated_sets


def test_fine_tuning_starts_from_the_live_models_file(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
    tmp_path: Path,
) -> None:
    live = live_model(session, settings, tmp_path)
    job = queue(session, settings, TrainOptions(finetune=True, epoch_fraction=0.2))

    training.run_job(job.id, settings, FakeSteps(live=live.id).steps())

    assert ended(session, job.id).state == "succeeded"
    [line] = ran(commands)
    finetune = ["--finetune", str(registry.model_file(settings, live)), "--epoch-fraction", "0.2"]
    assert line[-4:] == finetune


def test_fine_tuning_without_a_live_model_fails_before_training(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
) -> None:
    job = queue(session, settings, TrainOptions(finetune=True))
    fake = FakeSteps()

    training.run_job(job.id, settings, fake.steps())

    failed = ended(session, job.id)
    assert (failed.state, failed.error) == (
        "failed", "nothing to fine-tune: the registry has no live model",
    )  # fmt: skip
    assert ran(commands) == [] and registry.list_models(session) == []


def test_rasas_refusal_is_the_jobs_error_and_the_log_keeps_the_traceback(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "fail")
    live = live_model(session, settings, tmp_path)
    job = queue(session, settings, TrainOptions(finetune=True, epoch_fraction=0.5))
    fake = FakeSteps(live=live.id)

    training.run_job(job.id, settings, fake.steps())

    failed = ended(session, job.id)
    assert failed.state == "failed" and failed.stage == "training"
    assert failed.error == (
        "rasa train failed (exit 1): rasa.shared.exceptions.InvalidConfigException: Cannot"
        " finetune because keys that affect the training of core components have changed."
    )
    log = jobs.read_log(settings, failed)
    assert "Traceback (most recent call last)" in log and "TrainFailed" in log
    assert [m.id for m in registry.list_models(session)] == [live.id]
    assert fake.evaluated == []
    assert fake.audited == [("training_started", None), ("training_failed", None)]
    assert not (settings.work_dir / job.id).exists()


def test_an_evaluation_that_fails_fails_the_job_and_keeps_no_model(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
) -> None:
    job = queue(session, settings)
    steps = FakeSteps(fail_evaluation=True).steps()

    training.run_job(job.id, settings, replace(steps, audit=audit.record))  # the real audit log

    failed = ended(session, job.id)
    assert (failed.state, failed.stage) == ("failed", "evaluating")
    assert failed.error == "ValueError: cannot load the model"
    lines = [(line.actor, line.action, line.details) for line in audit.recent(session)]
    assert lines == [
        ("tess", "training_failed", {"job_id": job.id, "finetune": False, "data_dir": None,
                                     "error": "ValueError: cannot load the model"}),
        ("tess", "training_started", {"job_id": job.id, "finetune": False, "data_dir": None}),
    ]  # fmt: skip
    assert registry.list_models(session) == []
    assert not settings.models_dir.exists() or list(settings.models_dir.iterdir()) == []


def test_no_rasa_command_fails_the_job(
    session: Session,  # noqa: F811
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    settings = settings_for(tmp_path, db_url, rasa=tmp_path / "no-such-rasa")
    job = queue(session, settings)

    training.run_job(job.id, settings, FakeSteps().steps())

    failed = ended(session, job.id)
    assert failed.state == "failed"
    assert failed.error is not None and failed.error.startswith("FileNotFoundError: ")


def test_an_interrupted_run_still_ends_its_job(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
) -> None:
    job = queue(session, settings)
    fake = FakeSteps()

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    steps = fake.steps()
    with pytest.raises(KeyboardInterrupt):
        training.run_job(
            job.id, settings, training.Steps(**{**steps.__dict__, "evaluate": interrupted})
        )

    assert (ended(session, job.id).state, ended(session, job.id).error) == (
        "failed",
        "KeyboardInterrupt",
    )


def test_the_jobs_data_folder_is_what_trains(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
    tmp_path: Path,
) -> None:
    other = tmp_path / "other-data"
    (other / "nlu").mkdir(parents=True)
    (other / "nlu" / "en.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    - yo\n")
    job = queue(session, settings, TrainOptions(data_dir=str(other)))

    training.run_job(job.id, settings, FakeSteps().steps())

    model = registry.get_model(session, ended(session, job.id).model_id or "")
    assert model is not None
    assert model.data_fingerprint == registry.data_fingerprint(
        settings.config, settings.domain, other
    )
    assert model.data_fingerprint != registry.data_fingerprint(
        settings.config, settings.domain, settings.data_dir
    )
    assert ran(commands)[0][ran(commands)[0].index("--data") + 1] == str(other)


def test_a_job_that_is_not_queued_is_left_alone(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    commands: Path,
) -> None:
    job = queue(session, settings)
    jobs.finish(session, job.id, error="given up")
    session.commit()

    training.run_job(job.id, settings, FakeSteps().steps())
    training.run_job("no-such-job", settings, FakeSteps().steps())

    assert ended(session, job.id).error == "given up" and ran(commands) == []


def test_the_summary_is_one_line() -> None:
    candidate = evaluation("c", 0.91, ["regression", "holdout"])
    live = evaluation("l", 0.9, ["holdout"])
    assert (
        training.summarize(candidate, live, verdict(True))
        == "macro holdout 0.91 (+0.01), verdict pass"
    )
    assert training.summarize(candidate, None, verdict(False)) == (
        "macro holdout 0.91, verdict fail (1 checks failed)"
    )
    assert training.summarize(evaluation("c", 0.8, ["mine"]), live, verdict(True)) == (
        "macro mine 0.80, verdict pass"
    )


def test_the_live_model_is_the_rollouts(session: Session) -> None:  # noqa: F811
    assert training.live_model_id(session) is None
    session.execute(
        ROLLOUT.insert().values(
            id=ROLLOUT_ROW, mode="idle", live_model="m1", live_server="a", share=0.0,
            updated_at=utcnow(), updated_by="system",
        )
    )  # fmt: skip
    assert training.live_model_id(session) == "m1"


def test_the_heartbeat_touches_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "HEARTBEAT_SECONDS", 0.02)
    log = tmp_path / "job.log"
    log.touch()
    os.utime(log, (0, 0))
    beat = training._Heartbeat(log)
    deadline = time.monotonic() + 10
    while log.stat().st_mtime == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    beat.stop()
    assert log.stat().st_mtime > time.time() - 60
