"""`/api/trainer/rollout`: the roll-out as it stands, with the canary's two arms and what its
gates would decide now, and the trainer's four actions on it (docs/rollout.md). Part of
`handover.api.routes.trainer_models`' router, which includes this one (its prefix and rule).

Every action is `trainer.rollout`'s transition: checked, applied in one transaction with its
audit line, under the signed-in trainer's username. A refusal (`RolloutError`) changes nothing
and answers 404 (no such model), 422 (a share out of range) or 409 (any other: a canary runs,
none runs, a failed verdict without force, ...) with its code and reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictStr, validator
from sqlalchemy.orm import Session

from handover.api.deps import CurrentTrainer, HubDep
from handover.api.trainer_deps import ObjectBody, TrainerSettingsDep, a_number
from handover.models import utcnow
from trainer import audit, rollout
from trainer.arms import arm_figures
from trainer.canary import CanaryGates, decide
from trainer.rollout import Rollout, RolloutError
from trainer.tables import ARMS, MAX_ID

AUDIT_LINES = 20
# RolloutError codes that are not a conflict with the roll-out's state.
STATUS = {"not_found": 404, "bad_share": 422}

router = APIRouter()  # prefix, tags, rules and responses: the trainer models router's


class Refusal(BaseModel):
    """Why the roll-out refused, in plain words, and its code (`trainer.rollout.RolloutError`)."""

    detail: str
    code: str = Field(..., description="no_rollout, busy, no_candidate, verdict_failed, ...")


REFUSED = {
    409: {"model": Refusal, "description": "Refused by the roll-out's state, nothing changed"},
}
NO_MODEL = {404: {"model": Refusal, "description": "No such model in the registry"}}


class RolloutState(BaseModel):
    mode: Literal["idle", "canary"]
    live_model: str
    live_server: str
    candidate_model: str | None
    candidate_server: str | None
    share: float = Field(..., description="of new conversations for the candidate, 0 to 1")
    started_at: datetime | None = Field(..., description="of the current, or the last, canary")
    updated_at: datetime
    updated_by: str
    standby_server: str


class ServerModel(BaseModel):
    name: str
    model_id: str = Field(..., description="the model it must hold")


class Latency(BaseModel):
    p50: float | None = Field(..., description="ms")
    p95: float | None = Field(..., description="ms")


class Arm(BaseModel):
    """An arm's figures since the canary started (`trainer.arms.ArmFigures`), rates 0 to 1."""

    arm: Literal["live", "candidate"]
    model_id: str
    conversations: int
    messages: int
    measured: int = Field(..., description="conversations with Rasa's events folded")
    fallbacks: int
    fallback_rate: float | None
    handovers: int
    handover_rate: float | None
    requests: int = Field(..., description="sessions with a request")
    contained: int
    containment: float | None
    csat: float | None = Field(..., description="mean rating, 1 to 5")
    ratings: int
    latency_ms: Latency
    failures: int = Field(..., description="times its server did not answer")


class Decision(BaseModel):
    action: Literal["wait", "promote", "rollback"]
    reasons: list[str]


class Gates(BaseModel):
    """The canary's gates (`TRAINER_CANARY_*`), rates as fractions."""

    min_conversations: int
    max_fallback_increase: float
    max_handover_increase: float
    max_containment_drop: float
    max_csat_drop: float
    min_ratings: int
    max_failures: int


class AuditLine(BaseModel):
    id: int
    at: datetime
    actor: str = Field(..., description='a username, or "system" for the canary')
    action: str
    model_id: str | None
    details: dict[str, Any]


class RolloutPage(BaseModel):
    rollout: RolloutState | None = Field(..., description="null before the gateway's first start")
    servers: list[ServerModel]
    arms: list[Arm] = Field(..., description="live then candidate; none when idle")
    decision: Decision | None = Field(..., description="what the gates would decide now")
    gates: Gates
    default_share: float = Field(..., description="the share a publish takes unless told")
    check_seconds: float = Field(..., description="how often the gateway applies the gates")
    audit: list[AuditLine] = Field(..., description=f"the last {AUDIT_LINES}, newest first")
    checked_at: datetime


class RolloutChanged(BaseModel):
    rollout: RolloutState
    servers: list[ServerModel]


def _share(value: Any) -> float:
    return a_number(value, "share")


class PublishRequest(ObjectBody):
    model_id: StrictStr = Field(..., min_length=1, max_length=MAX_ID)
    # Over 0: the roll-out says so (bad_share); the schema cannot (see trainer_jobs).
    share: float | None = Field(None, ge=0, le=1, description="over 0; default: the settings'")
    force: StrictBool = Field(False, description="publish a model whose verdict failed")

    _number = validator("share", pre=True, allow_reuse=True)(
        lambda value: None if value is None else _share(value)
    )


class ShareRequest(ObjectBody):
    share: float = Field(..., ge=0, le=1, description="0 pauses the canary")

    _number = validator("share", pre=True, allow_reuse=True)(_share)


class ReasonRequest(ObjectBody):
    reason: StrictStr = Field(..., min_length=1, max_length=rollout.MAX_REASON)

    @validator("reason")
    def _said(cls, value: str) -> str:  # noqa: N805
        if not value.strip():
            raise ValueError("say why, in a few words: it goes into the audit log")
        return value.strip()


def state_view(state: Rollout) -> dict[str, Any]:
    return {**asdict(state), "standby_server": state.standby_server}


def servers_view(servers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "model_id": model} for name, model in sorted(servers.items())]


def _read(db: Session, *, events: Any) -> tuple[Rollout | None, dict[str, str], Any, Any]:
    state = rollout.current(db)
    figures = {} if state is None else arm_figures(db, state, events=events)
    return state, rollout.server_models(db), figures, audit.recent(db, AUDIT_LINES)


@router.get("/rollout", response_model=RolloutPage)
async def current(hub: HubDep, request: Request, settings: TrainerSettingsDep) -> Any:
    """The roll-out: the live model and the candidate, the model each Rasa server holds, the
    two arms' figures since the canary started (Rasa's new events folded first, as the
    reports do), what the gates would decide now (not applied), the gates, and the last
    audit lines."""
    events = request.app.state.reporting_events
    state, servers, figures, lines = await hub.db(_read, events=events)
    gates = CanaryGates.from_settings(settings)
    decision = decide(figures, gates) if figures else None
    return {
        "rollout": None if state is None else state_view(state),
        "servers": servers_view(servers),
        "arms": [asdict(figures[arm]) for arm in ARMS if arm in figures],
        "decision": None if decision is None else {
            "action": decision.action, "reasons": list(decision.reasons)
        },
        "gates": asdict(gates),
        "default_share": settings.canary_share,
        "check_seconds": settings.canary_check_seconds,
        "audit": [asdict(line) for line in lines],
        "checked_at": utcnow(),
    }  # fmt: skip


def _apply(db: Session, *, change: Callable[..., Rollout], **arguments: Any) -> dict[str, Any]:
    state = change(db, **arguments)
    return {"rollout": state_view(state), "servers": servers_view(rollout.server_models(db))}


async def _answer(hub: Any, change: Callable[..., Rollout], **arguments: Any) -> Any:
    """The transition applied, or its refusal as an answer."""
    try:
        return await hub.db(_apply, change=change, **arguments)
    except RolloutError as error:
        if error.code == "bad_share":
            raise _invalid("share", str(error)) from None
        body = {"detail": str(error), "code": error.code}
        return JSONResponse(body, status_code=STATUS.get(error.code, 409))
    except ValueError as error:  # a reason or a name the roll-out will not store
        raise _invalid("reason", str(error)) from None


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


@router.post("/rollout/publish", response_model=RolloutChanged, responses={**NO_MODEL, **REFUSED})
async def publish(
    body: PublishRequest, trainer: CurrentTrainer, hub: HubDep, settings: TrainerSettingsDep
) -> Any:
    """Try a model on a share of new conversations: it goes on the standby Rasa server (a
    canary). A model whose verdict failed, or that has none, needs `force` (audited)."""
    share = settings.canary_share if body.share is None else body.share
    return await _answer(
        hub, rollout.publish, model_id=body.model_id, share=share, by=trainer.username,
        force=body.force,
    )  # fmt: skip


@router.post("/rollout/share", response_model=RolloutChanged, responses=REFUSED)
async def set_share(body: ShareRequest, trainer: CurrentTrainer, hub: HubDep) -> Any:
    """Change the running canary's share of new conversations (0 pauses it)."""
    return await _answer(hub, rollout.set_share, share=body.share, by=trainer.username)


@router.post("/rollout/promote", response_model=RolloutChanged, responses=REFUSED)
async def promote(body: ReasonRequest, trainer: CurrentTrainer, hub: HubDep) -> Any:
    """Make the candidate live now, for every new conversation (the reason is audited)."""
    return await _answer(hub, rollout.promote, by=trainer.username, reason=body.reason)


@router.post("/rollout/rollback", response_model=RolloutChanged, responses=REFUSED)
async def rollback(body: ReasonRequest, trainer: CurrentTrainer, hub: HubDep) -> Any:
    """End the canary now: new conversations get the live model only (the reason is audited)."""
    return await _answer(hub, rollout.rollback, by=trainer.username, reason=body.reason)
