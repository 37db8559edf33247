"""Dependencies of the trainer's model routes (`handover.api.routes.trainer_models`,
`trainer_jobs`, `trainer_rollout`): the trainer's settings the gateway keeps, and the ids of
models and jobs in paths, refused (422) before they reach the database."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from trainer.settings import TrainerSettings
from trainer.tables import MAX_ID

# What the registry and the jobs name things by ("20261129-131700-3f2a9c"), and a little more.
ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_ID - 1}}}$"
_ID = re.compile(ID_PATTERN.removesuffix("$"))
Model = TypeVar("Model", bound="ObjectBody")
ID_HELP = f"letters, digits and ._- (1-{MAX_ID}), starting with a letter or a digit"


def trainer_settings(request: Request) -> TrainerSettings:
    """The gateway's one `TrainerSettings` (built in `create_app`)."""
    return request.app.state.trainer_settings


TrainerSettingsDep = Annotated[TrainerSettings, Depends(trainer_settings)]


def _checked(value: str, name: str) -> str:
    # The schema's pattern lets a trailing newline through ("$" matches before it): fullmatch.
    if not _ID.fullmatch(value):
        raise RequestValidationError(
            [{"loc": ("path", name), "msg": f"{name} must be {ID_HELP}", "type": "value_error.id"}]
        )
    return value


def model_id(
    model_id: Annotated[str, Path(pattern=ID_PATTERN, description=ID_HELP)],
) -> str:
    """The path's model id."""
    return _checked(model_id, "model_id")


def job_id(job_id: Annotated[str, Path(pattern=ID_PATTERN, description=ID_HELP)]) -> str:
    """The path's job id."""
    return _checked(job_id, "job_id")


ModelId = Annotated[str, Depends(model_id)]
JobId = Annotated[str, Depends(job_id)]


def a_number(value: object, name: str) -> float:
    """A JSON number as a float, for a validator run before pydantic's own (`pre=True`):
    true/false and strings are refused rather than read as 1, 0 or a number, and an integer
    too large for a float is refused rather than failing."""
    message = f"{name} must be a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(message)
    try:
        return float(value)
    except OverflowError:  # an integer of 400 digits is valid JSON
        raise ValueError(message) from None


class ObjectBody(BaseModel):
    """A request body that must be a JSON object with no other keys than its fields (pydantic 1
    would read `[]` as `{}`, and ignore unknown keys)."""

    class Config:
        extra = "forbid"

    @classmethod
    def validate(cls: type[Model], value: Any) -> Model:
        if not isinstance(value, (dict, cls)):
            raise TypeError("the body must be a JSON object")
        return super().validate(value)  # type: ignore[misc]
