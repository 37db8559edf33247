"""What a training job does (`run_job`, run by the worker or the local runner, never by the
gateway): `rasa train` in a child process, its output in the job's log and its progress in the
job's row; then the candidate and the live model are scored on the evaluation sets, judged
against the gates, and the candidate joins the registry with its evaluation and verdict.

Progress: queued 0; training 0.05 to 0.8, advanced as Rasa logs each component trained
(`trainer.rasa_train`); evaluating 0.8 to 0.95; done 1. The live model's evaluation is kept on
its record with the sha256 of each set, and reused while the sets are unchanged (a grown
regression set scores it again). Any failure fails the job with a one-line reason; the log keeps
the traceback. The runner touches the log every `HEARTBEAT_SECONDS` (`trainer.jobs` fails a job
whose log went quiet).
"""

from __future__ import annotations

import logging
import shutil
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handover.db import make_engine, session_factory, session_scope
from handover.models import utcnow
from trainer import jobs, rasa_train, registry
from trainer.audit import record as audit_record
from trainer.evaluation import EvalSet, Evaluation, evaluate_model
from trainer.gates import Verdict, compare
from trainer.jobs import Job
from trainer.registry import ModelRecord
from trainer.settings import TrainerSettings
from trainer.tables import ROLLOUT, ROLLOUT_ROW

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 20.0
EVALUATING, LIVE_EVALUATED = 0.8, 0.95
CANDIDATE_EVALUATED = 0.88
SUMMARY_SETS = ("dev", "holdout", "dev_fr", "holdout_fr", "regression")


class TrainingError(RuntimeError):
    """The training cannot go on; its message is the job's error."""


def live_model_id(db: Session) -> str | None:
    """The live model of the roll-out (`trainer.tables.ROLLOUT`), None before the first."""
    query = select(ROLLOUT.c.live_model).where(ROLLOUT.c.id == ROLLOUT_ROW)
    return db.execute(query).scalar_one_or_none()


def _judge(candidate: Evaluation, live: Evaluation | None, settings: TrainerSettings) -> Verdict:
    return compare(candidate, live, settings.gates())


@dataclass(frozen=True)
class Steps:
    """What a job calls besides `rasa train`; tests give stand-ins."""

    evaluation_sets: Callable[[TrainerSettings], Sequence[EvalSet]] = TrainerSettings.sets
    # Loads the model in this process: TensorFlow's memory goes with the job's process.
    evaluate: Callable[[Path, Sequence[EvalSet]], Evaluation] = evaluate_model
    judge: Callable[[Evaluation, Evaluation | None, TrainerSettings], Verdict] = _judge
    audit: Callable[..., None] = audit_record
    live_model_id: Callable[[Session], str | None] = live_model_id


def run_job(
    job_id: str, settings: TrainerSettings | None = None, steps: Steps | None = None
) -> None:
    """Run the queued job `job_id` to its end (nothing when it is not queued)."""
    settings = settings or TrainerSettings()
    engine = make_engine(settings.database_url)
    try:
        _Run(settings, steps or Steps(), session_factory(engine)).run(job_id)
    finally:
        engine.dispose()


class _Run:
    def __init__(self, settings: TrainerSettings, steps: Steps, sessions: sessionmaker) -> None:
        self.settings, self.steps, self.sessions = settings, steps, sessions

    def run(self, job_id: str) -> None:
        with session_scope(self.sessions) as db:
            job = jobs.claim(db, job_id, now=utcnow())
        if job is None or job.log_file is None:
            log.warning("training job %s is not queued: nothing to do", job_id)
            return
        out = self.settings.work_dir / job.id
        with open(job.log_file, "a", encoding="utf-8", errors="replace") as output:
            heartbeat = _Heartbeat(Path(job.log_file))
            try:
                self._train_and_register(job, out, output)
            except BaseException as error:  # the job must end, whatever ended the run
                traceback.print_exc(file=output)
                explained = isinstance(error, (TrainingError, rasa_train.TrainFailed))
                reason = str(error) if explained else _reason(error)
                with session_scope(self.sessions) as db:
                    if jobs.finish(db, job.id, error=reason):
                        details = {**_details(job), "error": reason}
                        self.steps.audit(
                            db, actor=job.author, action="training_failed", details=details
                        )
                if not isinstance(error, Exception):
                    raise
            finally:
                heartbeat.stop()
                shutil.rmtree(out, ignore_errors=True)

    def _train_and_register(self, job: Job, out: Path, output: TextIO) -> None:
        settings, steps = self.settings, self.steps
        data_dir = Path(job.options.data_dir) if job.options.data_dir else settings.data_dir
        with session_scope(self.sessions) as db:
            steps.audit(db, actor=job.author, action="training_started", details=_details(job))
            live = self._live(db)
        if job.options.finetune and live is None:
            raise TrainingError("nothing to fine-tune: the registry has no live model")
        fingerprint = registry.data_fingerprint(settings.config, settings.domain, data_dir)
        model_id = registry.new_id()
        finetune = registry.model_file(settings, live) if job.options.finetune and live else None
        command = rasa_train.command(
            settings, data_dir, out, model_id, finetune, job.options.epoch_fraction
        )
        _say(output, f"training {model_id}: {' '.join(command)}")
        candidate = rasa_train.train(
            command,
            output,
            total=rasa_train.components(settings.config),
            progress=self._progress(job.id),
            timeout=settings.job_timeout_seconds,
        )
        self._set_progress(job.id, "evaluating", EVALUATING)
        sets = steps.evaluation_sets(settings)
        keys = registry.sets_sha256((each.name, each.path) for each in sets)
        evaluation = steps.evaluate(candidate, sets)
        self._set_progress(job.id, "evaluating", CANDIDATE_EVALUATED)
        live_evaluation = self._live_evaluation(live, sets, keys, output)
        self._set_progress(job.id, "evaluating", LIVE_EVALUATED)
        verdict = steps.judge(evaluation, live_evaluation, settings)
        summary = summarize(evaluation, live_evaluation, verdict)
        with session_scope(self.sessions) as db:
            record = registry.register(
                db, settings, file=candidate, author=job.author, source="trained",
                data_fingerprint=fingerprint, job_id=job.id, evaluation=evaluation,
                verdict=verdict, summary=summary, evaluated_sets=keys, model_id=model_id,
            )  # fmt: skip
            try:
                if not jobs.finish(db, job.id, model_id=record.id):
                    raise TrainingError("the job was failed meanwhile (stale): model not kept")
                passed = "pass" if verdict.passed else "fail"
                details = {**_details(job), "verdict": passed, "summary": summary}
                steps.audit(db, actor=job.author, action="trained", model_id=record.id,
                            details=details)  # fmt: skip
            except BaseException:
                registry.model_file(settings, record).unlink(missing_ok=True)
                raise
        _say(output, f"registered {record.id}: {summary}")

    def _live(self, db: Session) -> ModelRecord | None:
        live_id = self.steps.live_model_id(db)
        return None if live_id is None else registry.get_model(db, live_id)

    def _live_evaluation(
        self,
        live: ModelRecord | None,
        sets: Sequence[EvalSet],
        keys: dict[str, str],
        output: TextIO,
    ) -> Evaluation | None:
        if live is None:
            _say(output, "no live model: the candidate is judged alone")
            return None
        if live.evaluation is not None and live.evaluated_sets == keys:
            _say(output, f"live model {live.id}: its evaluation on these sets is kept")
            return live.evaluation
        _say(output, f"live model {live.id}: evaluating it on these sets")
        evaluation = self.steps.evaluate(registry.model_file(self.settings, live), sets)
        with session_scope(self.sessions) as db:
            registry.set_evaluation(db, live.id, evaluation, live.verdict, evaluated_sets=keys)
        return evaluation

    def _progress(self, job_id: str) -> Callable[[float], None]:
        def report(fraction: float) -> None:
            self._set_progress(job_id, "training", 0.05 + 0.75 * fraction)

        return report

    def _set_progress(self, job_id: str, stage: str, progress: float) -> None:
        with session_scope(self.sessions) as db:
            jobs.set_progress(db, job_id, stage, progress)


def summarize(candidate: Evaluation, live: Evaluation | None, verdict: Verdict) -> str:
    """One line: the candidate's macro recall on the first set that has one, its change from
    the live model's, and the verdict, e.g. "macro dev 0.91 (+0.01), verdict pass"."""
    passed = "pass" if verdict.passed else "fail"
    failed = len(verdict.failed())
    ending = f"verdict {passed}" + (f" ({failed} checks failed)" if failed else "")
    names = [name for name in SUMMARY_SETS if name in candidate.sets] + list(candidate.sets)
    for name in names:
        macro = candidate.sets[name].macro
        if macro is None:
            continue
        before = live.sets.get(name) if live is not None else None
        change = "" if before is None or before.macro is None else f" ({macro - before.macro:+.2f})"
        return f"macro {name} {macro:.2f}{change}, {ending}"
    return ending


def _details(job: Job) -> dict[str, Any]:
    options = job.options
    return {"job_id": job.id, "finetune": options.finetune, "data_dir": options.data_dir}


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _say(output: TextIO, line: str) -> None:
    output.write(f"[trainer {utcnow():%H:%M:%S}] {line}\n")
    output.flush()


class _Heartbeat:
    """Touches `path` every `HEARTBEAT_SECONDS` until stopped: the job's sign of life."""

    def __init__(self, path: Path) -> None:
        self._path, self._stopped = path, threading.Event()
        self._thread = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stopped.wait(HEARTBEAT_SECONDS):
            self._path.touch()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
