"""Canned responses: the agents' ready-made replies, each with a shortcut, from a YAML file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, validator

DEFAULT_FILE = Path(__file__).resolve().parent / "canned_responses.yml"
MAX_RESPONSES = 100


class CannedResponse(BaseModel):
    """`text` may hold {customer} and {agent}, which the console fills in."""

    shortcut: str = Field(..., regex=r"^/[a-z0-9-]{1,32}$")
    title: str = Field(..., min_length=1, max_length=60)
    text: str = Field(..., min_length=1, max_length=1000)


class CannedResponsesError(ValueError):
    """The canned responses file cannot be used; the message says where and why."""


class _File(BaseModel):
    responses: list[CannedResponse] = Field(..., max_items=MAX_RESPONSES)

    @validator("responses")
    def unique_shortcuts(cls, value: list[CannedResponse]) -> list[CannedResponse]:  # noqa: N805
        seen: set[str] = set()
        for response in value:
            if response.shortcut in seen:
                raise ValueError(f"shortcut {response.shortcut} is used twice")
            seen.add(response.shortcut)
        return value


def load_canned_responses(path: Path = DEFAULT_FILE) -> list[CannedResponse]:
    """Read and check the file; a bad file stops the gateway at start with the reason."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _File.parse_obj(data if isinstance(data, dict) else {"responses": data}).responses
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise CannedResponsesError(f"canned responses in {path}: {error}") from error
