"""`/api/trainer/jobs`: training jobs, one at a time (`trainer.jobs`). Part of
`handover.api.routes.trainer_models`' router, which includes this one (its prefix and rule).

A job trains from the settings' config, domain and data (`TrainerSettings`): the web never
names a folder. `submit` hands the job to its runner (an RQ worker, or a process of its own on
this machine: never the gateway). A job's log is Rasa's output: no customer's words, but
terminal colours and progress bars, which are cleaned for the page.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictStr, validator
from sqlalchemy.orm import Session

from handover.api.deps import CurrentTrainer, HubDep
from handover.api.responses import problem
from handover.api.trainer_deps import JobId, ObjectBody, TrainerSettingsDep, a_number
from privacy.redaction import redact
from trainer import jobs
from trainer.jobs import Job, JobBusy, JobError, TrainOptions
from trainer.settings import TrainerSettings
from trainer.tables import JobState

LOG_TAIL_BYTES = 20_000
LISTED = 20
# Terminal escapes: CSI (colours, cursor), OSC (titles, links), and any other ESC pair.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

router = APIRouter()  # prefix, tags, rules and responses: the trainer models router's


class TrainRequest(ObjectBody):
    """What to train: a full training, or fine-tuning the live model for a fraction of the
    configured epochs. No data folder: the settings name it."""

    finetune: StrictBool = False
    # Over 0: said by the validator, not the schema (Schemathesis misreads OpenAPI 3.1's
    # numeric exclusiveMinimum).
    epoch_fraction: float = Field(1.0, ge=0, le=1, description="over 0, at most 1")
    note: StrictStr = Field("", max_length=jobs.MAX_NOTE, description="kept with the job")

    @validator("epoch_fraction", pre=True)
    def _a_number(cls, value: Any) -> float:  # noqa: N805
        return a_number(value, "epoch_fraction")

    @validator("epoch_fraction")
    def _finetune_only(cls, value: float, values: dict[str, Any]) -> float:  # noqa: N805
        if value <= 0:
            raise ValueError("epoch_fraction must be over 0")
        if value != 1 and values.get("finetune") is False:
            raise ValueError("epoch_fraction applies to fine-tuning only (finetune: true)")
        return value


class JobView(BaseModel):
    id: str
    state: JobState
    active: bool = Field(..., description="queued or running")
    author: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    stage: str = Field(..., description="queued, training, evaluating or done")
    progress: float = Field(..., description="0 to 1")
    finetune: bool
    epoch_fraction: float
    note: str
    model_id: str | None = Field(..., description="the model it registered")
    error: str | None = Field(..., description="why it failed")


class JobDetail(JobView):
    log: str = Field(..., description=f"the log's last {LOG_TAIL_BYTES:,} bytes, cleaned")


def job_view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "state": job.state, "active": job.active, "author": job.author,
        "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "stage": job.stage, "progress": job.progress,
        "finetune": job.options.finetune, "epoch_fraction": job.options.epoch_fraction,
        "note": job.options.note, "model_id": job.model_id, "error": job.error,
    }  # fmt: skip


def clean_log(text: str) -> str:
    """The log as a terminal would have shown it: no escapes, and of each line redrawn with
    carriage returns (a progress bar) only its last state."""
    lines = []
    for line in _ANSI.sub("", text).split("\n"):
        drawn = [part for part in line.split("\r") if part.strip()]
        lines.append(_CONTROL.sub("", drawn[-1] if drawn else ""))
    return "\n".join(lines)


@router.get("/jobs", response_model=list[JobView])
async def list_jobs(hub: HubDep) -> Any:
    """The last trainings, newest first (one whose runner died is failed first)."""
    found = await hub.db(lambda db: jobs.list_jobs(db, limit=LISTED))
    return [job_view(job) for job in found]


def _submit(db: Session, *, settings: TrainerSettings, author: str, body: TrainRequest) -> Job:
    note = redact(body.note) if body.note.strip() else ""  # staff's free text: as any other
    options = TrainOptions(finetune=body.finetune, epoch_fraction=body.epoch_fraction, note=note)
    return jobs.submit(db, settings, author=author, options=options)


@router.post(
    "/jobs",
    response_model=JobView,
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: problem("A training is queued or running already: one at a time")},
)
async def submit(
    body: TrainRequest, trainer: CurrentTrainer, hub: HubDep, settings: TrainerSettingsDep
) -> Any:
    """Train a new model from the settings' data, in a worker (never in the gateway); its
    progress and log at `GET /jobs/{id}`. The new model joins the registry evaluated."""
    try:
        job = await hub.db(_submit, settings=settings, author=trainer.username, body=body)
    except JobBusy as busy:
        said = f"a training is {busy.state} already (job {busy.job_id}): one at a time"
        return JSONResponse({"detail": said}, status_code=409)
    except JobError as error:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": str(error), "type": "value_error.job"}]
        ) from None
    return job_view(job)


def _job(db: Session, *, job_id: str, settings: TrainerSettings) -> dict[str, Any] | None:
    job = jobs.get_job(db, job_id)
    if job is None:
        return None
    return {**job_view(job), "log": clean_log(jobs.read_log(settings, job, LOG_TAIL_BYTES))}


@router.get(
    "/jobs/{job_id}",
    response_model=JobDetail,
    responses={404: problem("No such training job")},
)
async def job(job_id: JobId, hub: HubDep, settings: TrainerSettingsDep) -> Any:
    """One training: its stage and progress, and the end of its log."""
    found = await hub.db(_job, job_id=job_id, settings=settings)
    if found is None:
        return JSONResponse({"detail": f"no training job {job_id}"}, status_code=404)
    return found
