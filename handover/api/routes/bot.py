"""What the bot's action server asks of the gateway."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, validator

from handover.api.deps import TEXT_PATTERN, BotCaller, CleanJsonBody, HubDep
from handover.api.responses import INVALID, UNAUTHORISED
from handover.ids import SESSION_ID_PATTERN, is_session_id

router = APIRouter(
    prefix="/api",
    tags=["bot"],
    dependencies=[BotCaller, CleanJsonBody],
    responses={401: UNAUTHORISED, 422: INVALID},
)


class HandoverRequest(BaseModel):
    conversation_id: str = Field(..., regex=SESSION_ID_PATTERN)
    reason: str = Field(..., min_length=1, max_length=64, regex=TEXT_PATTERN)
    context: dict[str, Any] = Field(default_factory=dict)

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence

    @validator("conversation_id")
    def whole_id(cls, value: str) -> str:  # noqa: N805 (pydantic validators take cls)
        # The regex alone lets a trailing newline through ("$" matches before it).
        if not is_session_id(value):
            raise ValueError("conversation id must be 1-128 letters, digits or _.:-")
        return value


@router.post("/handover")
async def request_handover(body: HandoverRequest, hub: HubDep) -> dict[str, Any]:
    """Queue the conversation for a person: `queued` with position and wait, or `unavailable`."""
    return await hub.request_handover(body.conversation_id, body.reason, body.context)
