"""Dependencies of the REST routes: the hub, the signed-in agent and their role, the bot's
credentials, the rate limiter, and the checks every request body and conversation id pass.

Who may do what, by role (docs/security.md, "Roles"): `CurrentAgent` is anyone who takes
chats (agents, supervisors, admins; a manager or a trainer gets 403), `CurrentSupervisor`
supervisors and admins, `CurrentReporter` whoever reads reports (`REPORTING_ROLES`: managers,
supervisors, admins), `CurrentTrainer` whoever trains the bot (`TRAINING_ROLES`: trainers,
admins). `SignedInDep` alone (refresh, sign-out, who am I) is any role.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from handover.agent_sessions import SignedIn, signed_in_with
from handover.ids import SESSION_ID_PATTERN, is_session_id
from handover.models import NO_CHAT_ROLES, REPORTING_ROLES, SUPERVISING_ROLES, TRAINING_ROLES
from handover.ratelimit import RateLimiter
from handover.service import Hub

bearer_scheme = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
# Control characters (Unicode category Cc) but tab, LF and CR; lone surrogates.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The same rule as a pattern for the schema's text fields, so that clients (and the fuzz test)
# know it; `clean_json_body` enforces it, with a clearer message, on every part of a body.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_limiter(request: Request) -> RateLimiter:
    """The gateway's one rate limiter (built in `create_app`, shared with the sockets)."""
    return request.app.state.limiter


LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def signed_in(hub: HubDep, credentials: Credentials) -> SignedIn:
    """The agent whose bearer token came with the request, if its session still lives."""
    if credentials is None:
        raise _unauthorised("missing bearer token")
    found = await signed_in_with(hub, credentials.credentials)
    if found is None:
        raise _unauthorised("invalid or expired token, or signed out")
    return found


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


async def current_agent(session: SignedInDep) -> Any:
    """The signed-in agent, if their role takes chats (a manager or a trainer gets 403 on every
    chat route: the queue, conversations, accepting, replying, status, team, canned responses)."""
    if session.agent.role in NO_CHAT_ROLES:
        role = session.agent.role  # "managers take no chats", "trainers take no chats"
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"{role}s take no chats")
    return session.agent


CurrentAgent = Annotated[Any, Depends(current_agent)]


def is_supervisor(agent: Any) -> bool:
    """Supervisors and admins may read every conversation."""
    return agent.role in SUPERVISING_ROLES


async def current_supervisor(session: SignedInDep) -> Any:
    """The signed-in agent, if their role is supervisor or admin (else 403, managers too: the
    overview lists conversations and customers, and reassigning is running the floor)."""
    if not is_supervisor(session.agent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="supervisors only")
    return session.agent


CurrentSupervisor = Annotated[Any, Depends(current_supervisor)]


async def current_reporter(session: SignedInDep) -> Any:
    """The signed-in person, if their role reads reports (`REPORTING_ROLES`; else 403)."""
    if session.agent.role not in REPORTING_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="managers, supervisors and admins only"
        )
    return session.agent


CurrentReporter = Annotated[Any, Depends(current_reporter)]


async def current_trainer(session: SignedInDep) -> Any:
    """The signed-in person, if their role trains the bot (`TRAINING_ROLES`; else 403)."""
    if session.agent.role not in TRAINING_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="trainers and admins only")
    return session.agent


CurrentTrainer = Annotated[Any, Depends(current_trainer)]


def bot_caller(hub: HubDep, credentials: Credentials) -> None:
    """Only the bot's action server may ask for handovers."""
    expected = hub.settings.bot_token
    if credentials is None or not hmac.compare_digest(
        credentials.credentials.encode(), expected.encode()
    ):
        raise _unauthorised("the bot's token is required")


BotCaller = Depends(bot_caller)


def conversation_id(
    conversation_id: Annotated[
        str, Path(pattern=SESSION_ID_PATTERN, description="letters, digits and _.:- (1-128)")
    ],
) -> str:
    """The path's conversation id, refused (422) before it reaches the state store."""
    # The schema's pattern lets a trailing newline through ("$" matches before it): fullmatch.
    if not is_session_id(conversation_id):
        raise RequestValidationError(
            [
                {
                    "loc": ("path", "conversation_id"),
                    "msg": "conversation id must be 1-128 letters, digits or _.:-",
                    "type": "value_error.conversation_id",
                }
            ]
        )
    return conversation_id


ConversationId = Annotated[str, Depends(conversation_id)]


def _bad_text(value: str) -> str | None:
    """Why `value` cannot be stored: a lone surrogate or a control character; None if fine."""
    found = _UNSTORABLE.search(value)  # one regex pass: bodies can be large
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return "text must be valid Unicode (it has a lone surrogate)"
    return f"text must not contain control characters (found U+{ord(char):04X})"


def _first_bad_text(value: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    if isinstance(value, str):
        reason = _bad_text(value)
        return (loc, reason) if reason else None
    items: Any = ()
    if isinstance(value, dict):
        for key in value:
            reason = _bad_text(key)
            if reason:
                return (*loc, key.encode("unicode_escape").decode()), reason
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = _first_bad_text(item, (*loc, key))
        if found:
            return found
    return None


async def clean_json_body(request: Request) -> None:
    """Refuse (422) a JSON body with text no database can store: lone surrogates ("\\ud800"
    is valid JSON but not valid Unicode) and control characters such as NUL."""
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    raw = await request.body()  # cached: FastAPI has read it already
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return  # FastAPI itself answers malformed JSON with 422
    found = _first_bad_text(body, ("body",))
    if found:
        loc, reason = found
        raise RequestValidationError([{"loc": loc, "msg": reason, "type": "value_error.text"}])


CleanJsonBody = Depends(clean_json_body)
