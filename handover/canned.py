"""Canned responses: the agents' ready-made replies, each with a shortcut, from a YAML file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, root_validator, validator

DEFAULT_FILE = Path(__file__).resolve().parent / "canned_responses.yml"
MAX_RESPONSES = 100
PLACEHOLDERS = {"{customer}", "{agent}"}


class CannedResponse(BaseModel):
    """`text` (English) and `text_fr` (French, optional: the console falls back to `text`) may
    hold {customer} and {agent}, which the console fills in; both use the same ones."""

    shortcut: str = Field(..., regex=r"^/[a-z0-9-]{1,32}$")
    title: str = Field(..., min_length=1, max_length=60)
    text: str = Field(..., min_length=1, max_length=1000)
    text_fr: str | None = Field(None, min_length=1, max_length=1000)

    @root_validator(skip_on_failure=True)
    def same_placeholders(cls, values: dict[str, str | None]) -> dict[str, str | None]:  # noqa: N805
        english, french = placeholders(values["text"]), placeholders(values.get("text_fr"))
        if unknown := (english | french) - PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {', '.join(sorted(unknown))}")
        if values.get("text_fr") is not None and french != english:
            raise ValueError("text_fr must use the same placeholders as text")
        return values


def placeholders(text: str | None) -> set[str]:
    """The `{name}` placeholders in `text`."""
    return set(re.findall(r"\{[^{}]*\}", text or ""))


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
