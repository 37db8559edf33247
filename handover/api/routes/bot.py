"""What the bot's action server asks of the gateway."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from handover.api.deps import BotCaller, HubDep

router = APIRouter(prefix="/api", tags=["bot"], dependencies=[BotCaller])


class HandoverRequest(BaseModel):
    conversation_id: str = Field(..., min_length=1, max_length=128)
    reason: str = Field(..., min_length=1, max_length=64)
    context: dict[str, Any] = Field(default_factory=dict)


@router.post("/handover")
async def request_handover(body: HandoverRequest, hub: HubDep) -> dict[str, Any]:
    """Queue the conversation for a person: `queued` with position and wait, or `unavailable`."""
    return await hub.request_handover(body.conversation_id, body.reason, body.context)
