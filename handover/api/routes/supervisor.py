"""The supervisors' view: the whole queue, every agent with their status and load, and moving a
conversation to another agent.

Supervisors and admins only: agents get 403, callers without a valid token 401, whatever
they ask. Reassigning goes through the lifecycle (`Lifecycle.reassign`): the agent named must
be online with room for another chat; skills are the supervisor's call. Supervisors' consoles
hear `overview_changed` on the `/agent` socket when there is something new to fetch.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field, StrictStr

from handover import crud
from handover.api.deps import (
    TEXT_PATTERN,
    CleanJsonBody,
    ConversationId,
    CurrentSupervisor,
    HubDep,
)
from handover.api.responses import AUTHENTICATED, CONFLICT, FORBIDDEN, problem
from handover.models import AgentRole, AgentStatus
from handover.overview import build_overview

router = APIRouter(
    prefix="/api",
    tags=["supervisor"],
    dependencies=[CleanJsonBody],
    responses={**AUTHENTICATED, 403: FORBIDDEN},
)


class Waiting(BaseModel):
    """A conversation in the queue."""

    conversation_id: str
    position: int = Field(..., description="1 is served first")
    skill: str | None
    reason: str | None = Field(..., description="why the bot asked for a person")
    priority: str
    vulnerable: bool
    waiting_seconds: int | None
    customer: str | None = Field(..., description="the customer's name, once verified")
    summary: str | None = Field(..., description="the bot's summary for the agent")


class Held(BaseModel):
    """A conversation an agent has now."""

    conversation_id: str
    skill: str | None
    customer: str | None = Field(..., description="the customer's name, once verified")
    assigned_at: float | None = Field(..., description="epoch seconds")
    held_seconds: int | None


class AgentLoad(BaseModel):
    """An agent, their status, and the chats they have."""

    username: str
    display_name: str | None
    role: AgentRole
    status: AgentStatus
    skills: list[str] = Field(..., description="none means every skill")
    capacity: int = Field(..., description="the most chats they take at once")
    load: int = Field(..., description="the chats they have now")
    conversations: list[Held]


class Totals(BaseModel):
    waiting: int
    assigned: int
    agents_online: int
    agents_away: int
    agents_offline: int
    free_seats: int = Field(..., description="chats the online agents could still take")
    longest_wait_seconds: int | None


class Overview(BaseModel):
    queue: list[Waiting]
    agents: list[AgentLoad]
    totals: Totals


class Reassign(BaseModel):
    """The agent to take the conversation."""

    agent: StrictStr = Field(..., min_length=1, max_length=64, regex=TEXT_PATTERN)

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence


class Reassigned(BaseModel):
    state: Literal["assigned"]
    agent: str


@router.get("/supervisor/overview", response_model=Overview)
async def overview(_: CurrentSupervisor, hub: HubDep) -> Any:
    """Every conversation waiting (all skills, in serving order) and every agent with their
    status, load ("2 of 3") and chats, with the totals."""
    return await build_overview(hub)


@router.post(
    "/conversations/{conversation_id}/reassign",
    response_model=Reassigned,
    responses={404: problem("No such conversation, or no such agent"), 409: CONFLICT},
)
async def reassign(
    conversation_id: ConversationId, body: Reassign, supervisor: CurrentSupervisor, hub: HubDep
) -> Reassigned:
    """Give a conversation waiting in the queue to an agent, or move one from the agent who has
    it to another. 409 when the agent is not online or has no room, when the conversation is
    neither queued nor assigned (or is theirs already), or when it changed meanwhile."""
    if await hub.db(crud.get_conversation, conversation_id=conversation_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such conversation")
    target = await hub.db(crud.get_agent, username=body.agent)
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such agent")
    await hub.lifecycle.reassign(conversation_id, supervisor, target)
    return Reassigned(state="assigned", agent=target.username)
