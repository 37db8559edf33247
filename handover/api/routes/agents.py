"""Agents: sign in, refresh, sign out, status; their team and their canned responses.

Signing in opens a session (at most `HANDOVER_TOKEN_TTL_SECONDS`, 12 h by default) and gives a
short access token (`HANDOVER_ACCESS_TOKEN_TTL_SECONDS`, 15 min) that carries the session's id;
`/refresh` trades a still-valid token for a fresh one while the session lives; `/logout`
revokes the session, and with it every token issued for it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from handover import crud
from handover.api.deps import (
    TEXT_PATTERN,
    CleanJsonBody,
    CurrentAgent,
    HubDep,
    LimiterDep,
    SignedInDep,
)
from handover.api.responses import AUTHENTICATED, FORBIDDEN, INVALID, TOO_MANY, problem
from handover.canned import CannedResponse
from handover.config import HandoverSettings
from handover.models import NO_CHAT_ROLES, AgentRole, utcnow
from handover.security import create_token
from handover.sockets.agent import sign_out_sockets
from handover.sockets.notify import nudge_supervisors

router = APIRouter(
    prefix="/api/agent", tags=["agents"], dependencies=[CleanJsonBody], responses=AUTHENTICATED
)


class Login(BaseModel):
    username: str = Field(..., min_length=1, max_length=64, regex=TEXT_PATTERN)
    password: str = Field(..., min_length=1, max_length=256, regex=TEXT_PATTERN)

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence


class AgentView(BaseModel):
    username: str
    display_name: str | None
    skills: list[str]
    capacity: int
    status: str
    role: AgentRole


class TokenAnswer(BaseModel):
    token: str
    expires_in: int = Field(..., description="seconds until the token expires: refresh before")
    session_expires_at: datetime = Field(..., description="when refreshing stops working")


class LoginAnswer(TokenAnswer):
    agent: AgentView


class StatusChange(BaseModel):
    status: Literal["online", "away"]

    class Config:
        extra = "forbid"  # an unknown field is a mistake worth a 422, not silence


def view(agent: object) -> AgentView:
    return AgentView(
        username=agent.username,
        display_name=agent.display_name,
        skills=crud.agent_skills(agent),
        capacity=agent.capacity,
        status=agent.status,
        role=agent.role,
    )


def access_token(settings: HandoverSettings, username: str, session: object) -> TokenAnswer:
    """A short token for the session, never outliving it."""
    now = utcnow()
    left = math.ceil((session.expires_at - now).total_seconds())
    ttl = max(1, min(settings.access_token_ttl_seconds, left))
    token = create_token(username, settings.secret_key, ttl, session_id=session.id, now=now)
    return TokenAnswer(token=token, expires_in=ttl, session_expires_at=session.expires_at)


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy, run uvicorn with
    --proxy-headers and --forwarded-allow-ips so that this is the client's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


async def _limit_login(
    limiter: LimiterDep, settings: HandoverSettings, *, username: str, address: str
) -> None:
    # Per address first: one machine trying many usernames is stopped without locking them.
    for rule, kind, key in (
        (settings.login_limit_per_ip, "login-ip", address),
        (settings.login_limit_per_user, "login-user", username),
    ):
        verdict = await limiter.hit(rule, kind, key)
        if not verdict.allowed:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"too many sign-in attempts; try again in {verdict.retry_after_seconds} s",
                headers={"Retry-After": str(verdict.retry_after_seconds)},
            )


@router.post(
    "/login",
    response_model=LoginAnswer,
    responses={401: problem("Wrong username or password"), 422: INVALID, 429: TOO_MANY},
)
async def login(body: Login, request: Request, hub: HubDep, limiter: LimiterDep) -> LoginAnswer:
    """Exchange a username and password for an access token; the agent is then online (a
    manager, who takes no chats, stays offline).

    Attempts are limited per username (`HANDOVER_LOGIN_LIMIT_PER_USER`, 5/minute) and per
    client address (`HANDOVER_LOGIN_LIMIT_PER_IP`, 20/minute): 429 with Retry-After beyond.
    """
    settings = hub.settings
    await _limit_login(limiter, settings, username=body.username, address=client_address(request))
    signed = await hub.db(
        crud.sign_in,
        username=body.username,
        password=body.password,
        lifetime_seconds=settings.token_ttl_seconds,
    )
    if signed is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
    agent, session = signed
    answer = access_token(settings, agent.username, session)
    return LoginAnswer(**answer.dict(), agent=view(agent))


@router.post("/refresh", response_model=TokenAnswer)
async def refresh(signed: SignedInDep, hub: HubDep) -> TokenAnswer:
    """A fresh access token for the same session (401 once it is signed out or past its end)."""
    await hub.db(crud.touch_agent_session, session_id=signed.session.id)
    return access_token(hub.settings, signed.agent.username, signed.session)


@router.get("/me", response_model=AgentView)
async def me(signed: SignedInDep) -> AgentView:
    """Who the token signs in, whatever their role (a manager's page reads it too)."""
    return view(signed.agent)


@router.post("/status", response_model=AgentView, responses={403: FORBIDDEN})
async def set_status(body: StatusChange, agent: CurrentAgent, hub: HubDep) -> AgentView:
    """Online agents are offered new chats; away agents keep theirs but get no new ones.
    Managers take no chats: 403."""
    changed = await hub.db(crud.set_agent_status, username=agent.username, status=body.status)
    await nudge_supervisors(hub.outbox)  # their view shows who is online
    return view(changed)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(signed: SignedInDep, hub: HubDep) -> None:
    """Revoke the session: its tokens get 401 from now on, its live sockets are closed."""
    session_id = signed.session.id
    await hub.db(crud.sign_out, session_id=session_id, username=signed.agent.username)
    await sign_out_sockets(hub.sio, session_id)


@router.get("/team", response_model=list[AgentView], responses={403: FORBIDDEN})
async def team(agent: CurrentAgent, hub: HubDep) -> list[AgentView]:
    """The other agents and their status, for transfers (managers, who take none, left out)."""
    everyone = await hub.db(crud.list_agents)
    return [
        view(other)
        for other in everyone
        if other.username != agent.username and other.role not in NO_CHAT_ROLES
    ]


@router.get("/canned-responses", response_model=list[CannedResponse], responses={403: FORBIDDEN})
async def canned_responses(agent: CurrentAgent, request: Request) -> list[CannedResponse]:
    """Ready-made replies with shortcuts, from HANDOVER_CANNED_RESPONSES_FILE."""
    return request.app.state.canned_responses
