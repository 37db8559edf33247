"""Agents: sign in, sign out, status; their team and their canned responses."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from handover import crud
from handover.api.deps import CurrentAgent, HubDep
from handover.canned import CannedResponse
from handover.security import create_token

router = APIRouter(prefix="/api/agent", tags=["agents"])


class Login(BaseModel):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=256)


class AgentView(BaseModel):
    username: str
    display_name: str | None
    skills: list[str]
    capacity: int
    status: str


class LoginAnswer(BaseModel):
    token: str
    agent: AgentView


class StatusChange(BaseModel):
    status: Literal["online", "away"]


def view(agent: object) -> AgentView:
    return AgentView(
        username=agent.username,
        display_name=agent.display_name,
        skills=crud.agent_skills(agent),
        capacity=agent.capacity,
        status=agent.status,
    )


@router.post("/login", response_model=LoginAnswer)
async def login(body: Login, hub: HubDep) -> LoginAnswer:
    """Exchange a username and password for a bearer token; the agent is then online."""
    agent = await hub.db(crud.authenticate, username=body.username, password=body.password)
    if agent is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
    agent = await hub.db(crud.set_agent_status, username=agent.username, status="online")
    settings = hub.settings
    token = create_token(agent.username, settings.secret_key, settings.token_ttl_seconds)
    return LoginAnswer(token=token, agent=view(agent))


@router.get("/me", response_model=AgentView)
async def me(agent: CurrentAgent) -> AgentView:
    return view(agent)


@router.post("/status", response_model=AgentView)
async def set_status(body: StatusChange, agent: CurrentAgent, hub: HubDep) -> AgentView:
    """Online agents are offered new chats; away agents keep theirs but get no new ones."""
    changed = await hub.db(crud.set_agent_status, username=agent.username, status=body.status)
    return view(changed)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(agent: CurrentAgent, hub: HubDep) -> None:
    await hub.db(crud.set_agent_status, username=agent.username, status="offline")


@router.get("/team", response_model=list[AgentView])
async def team(agent: CurrentAgent, hub: HubDep) -> list[AgentView]:
    """The other agents and their status, for transfers."""
    everyone = await hub.db(crud.list_agents)
    return [view(other) for other in everyone if other.username != agent.username]


@router.get("/canned-responses", response_model=list[CannedResponse])
async def canned_responses(agent: CurrentAgent, request: Request) -> list[CannedResponse]:
    """Ready-made replies with shortcuts, from HANDOVER_CANNED_RESPONSES_FILE."""
    return request.app.state.canned_responses
