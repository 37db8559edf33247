"""Dependencies of the REST routes: the hub, the signed-in agent, the bot's credentials."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from handover import crud
from handover.security import read_token
from handover.service import Hub

bearer_scheme = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_agent(hub: HubDep, credentials: Credentials) -> Any:
    """The agent whose bearer token came with the request."""
    if credentials is None:
        raise _unauthorised("missing bearer token")
    username = read_token(credentials.credentials, hub.settings.secret_key)
    agent = await hub.db(crud.get_agent, username=username) if username else None
    if agent is None:
        raise _unauthorised("invalid or expired token")
    return agent


CurrentAgent = Annotated[Any, Depends(current_agent)]


def bot_caller(hub: HubDep, credentials: Credentials) -> None:
    """Only the bot's action server may ask for handovers."""
    expected = hub.settings.bot_token
    if credentials is None or not hmac.compare_digest(credentials.credentials, expected):
        raise _unauthorised("the bot's token is required")


BotCaller = Depends(bot_caller)
