"""Settings of the trainer's model life (registry, training jobs, gates, canary), read from
`TRAINER_*` environment variables; the database and Redis are the gateway's (`DATABASE_URL`,
`REDIS_URL`). The gateway, the worker and the command line read this one class.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field

from trainer.evaluation import EvalSet, configured_sets
from trainer.gates import Gates

ROOT = Path(__file__).resolve().parents[1]  # the repository: config, domain, data, nlu/


class TrainerSettings(BaseSettings):
    """Everything the trainer reads from its environment."""

    database_url: str = Field("sqlite:///var/handover.db", env="DATABASE_URL")
    # Trainings go to an RQ queue on this Redis when set; otherwise the gateway starts each in a
    # process of its own on its machine (`python -m trainer run-job ID`).
    redis_url: str | None = Field(None, env="REDIS_URL")
    queue_name: str = Field("trainer", min_length=1, max_length=64)
    models_dir: Path = ROOT / "models" / "registry"
    work_dir: Path = ROOT / "var" / "training"  # job logs and `rasa train`'s output
    config: Path = ROOT / "config.yml"
    domain: Path = ROOT / "domain.yml"
    data_dir: Path = ROOT / "data"
    regression_file: Path = ROOT / "data" / "regression.jsonl"
    # The sets models are scored on, as JSON {"name": "path"}; unset: the dev sets (when
    # ../shared/eval is there) and the hold-outs. The regression set is always added.
    evaluation_sets: dict[str, Path] | None = None
    # The `rasa` command that trains: the one installed beside this Python.
    rasa: Path = Path(sys.executable).parent / "rasa"
    # `rasa train` is stopped (and its job failed) after this long; on the RQ queue, the whole
    # job (training and both evaluations) is.
    job_timeout_seconds: int = Field(3600, ge=60)
    # Evaluation gates (`trainer.gates.Gates`).
    max_intent_drop: float = Field(0.05, ge=0, le=1)
    macro_tolerance: float = Field(0.01, ge=0, le=1)
    oos_false_accept_tolerance: float = Field(0.01, ge=0, le=1)
    noise_sigmas: float = Field(2.5, ge=0, le=10)  # a retrain's noise: trainer/gates.py
    # The canary (`trainer.canary`): the share of new conversations the candidate takes, and
    # what its arm must hold against the live one.
    canary_share: float = Field(0.5, ge=0, le=1)
    canary_min_conversations: int = Field(20, ge=1)
    canary_check_seconds: float = Field(5, gt=0)
    canary_max_fallback_increase: float = Field(0.10, ge=0, le=1)
    canary_max_handover_increase: float = Field(0.10, ge=0, le=1)
    canary_max_containment_drop: float = Field(0.10, ge=0, le=1)
    canary_max_csat_drop: float = Field(0.5, ge=0, le=4)
    canary_min_ratings: int = Field(5, ge=0)
    # A conversation keeps its model while it is this active (the domain's
    # session_expiration_time).
    session_idle_minutes: int = Field(60, ge=1)

    class Config:
        env_prefix = "TRAINER_"

    def sets(self) -> list[EvalSet]:
        """The evaluation sets (`evaluation_sets`, then the regression set)."""
        return configured_sets(self.evaluation_sets, self.regression_file)

    def gates(self) -> Gates:
        """The evaluation gates these settings set."""
        return Gates(
            max_intent_drop=self.max_intent_drop,
            macro_tolerance=self.macro_tolerance,
            oos_false_accept_tolerance=self.oos_false_accept_tolerance,
            noise_sigmas=self.noise_sigmas,
        )

    def as_env(self) -> dict[str, str]:
        """These settings as the environment variables that give them to a child process."""
        env: dict[str, str] = {}
        for name, field in self.__fields__.items():
            value = getattr(self, name)
            if isinstance(value, dict):  # pydantic reads complex settings as JSON
                value = json.dumps({key: str(each) for key, each in value.items()})
            if value is not None:
                env[_env_name(field.field_info.extra["env_names"])] = str(value)
        return env


def _env_name(names: set[str]) -> str:
    (name,) = names  # one per field: the prefixed name, or the `env=` given
    return name.upper()


@lru_cache(maxsize=1)
def settings() -> TrainerSettings:
    """The process's settings, read once."""
    return TrainerSettings()
