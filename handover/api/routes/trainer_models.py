"""The trainer's models, trainings and roll-out (docs/rollout.md): the registry
(`GET /api/trainer/models`, `/models/{id}` with its evaluation), training jobs
(`trainer_jobs`) and the roll-out (`trainer_rollout`), whose routers this one includes.

The same rule as `handover.api.routes.trainer`: trainers and admins; other roles get 403,
callers without a valid token 401. Every read and write of the database runs in a worker
thread, one transaction each (`hub.db`); what changes the roll-out is audited by
`trainer.rollout` under the signed-in trainer's username.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from handover.api.deps import CleanJsonBody, HubDep, current_trainer
from handover.api.model_views import (
    ModelDetail,
    ModelSummary,
    detail_view,
    placement,
    summary_view,
)
from handover.api.responses import AUTHENTICATED, problem
from handover.api.routes import trainer_jobs, trainer_rollout
from handover.api.trainer_deps import ModelId
from trainer import registry, rollout

MAX_MODELS = 200

router = APIRouter(
    prefix="/api/trainer",
    tags=["trainer"],
    # Who first: a caller without the role learns nothing from how a body is refused.
    dependencies=[Depends(current_trainer), CleanJsonBody],
    responses={**AUTHENTICATED, 403: problem("Trainers and admins only")},
)
router.include_router(trainer_jobs.router)  # /jobs
router.include_router(trainer_rollout.router)  # /rollout


def _models(db: Session, *, limit: int) -> list[dict[str, Any]]:
    state, servers = rollout.current(db), rollout.server_models(db)
    return [
        summary_view(record, placement(state, servers, record.id))
        for record in registry.list_models(db, limit=limit)
    ]


@router.get("/models", response_model=list[ModelSummary])
async def models(
    hub: HubDep,
    limit: Annotated[int, Query(ge=1, le=MAX_MODELS, description="models at most")] = 50,
) -> Any:
    """The registry, newest first: each model's origin, size, verdict (with its failed checks
    in plain words), the Rasa servers holding it, and whether it is live or the candidate."""
    return await hub.db(_models, limit=limit)


def _model(db: Session, *, model_id: str) -> dict[str, Any] | None:
    record = registry.get_model(db, model_id)
    if record is None:
        return None
    where = placement(rollout.current(db), rollout.server_models(db), record.id)
    return detail_view(record, where)


@router.get(
    "/models/{model_id}",
    response_model=ModelDetail,
    responses={404: problem("No such model in the registry")},
)
async def model(model_id: ModelId, hub: HubDep) -> Any:
    """One model with its evaluation: each set's macro recall and out-of-scope false-accept
    against the live model its verdict was judged with, per-intent recall changes (worst
    first), the most frequent confusions, and every check of the verdict."""
    found = await hub.db(_model, model_id=model_id)
    if found is None:
        return JSONResponse({"detail": f"no model {model_id} in the registry"}, status_code=404)
    return found
