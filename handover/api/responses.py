"""The error answers of the REST API, declared once so that the OpenAPI schema lists every
status a route can give (the Schemathesis test checks that nothing else comes back)."""

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str


def problem(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": Problem, "description": description, **extra}


UNAUTHORISED = problem(
    "No bearer token, or one that is invalid, expired or signed out",
    headers={"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
)
FORBIDDEN = problem(
    "Not allowed: the conversation is neither assigned to you nor queued for a skill you"
    " serve (supervisors and admins may read every conversation), a supervisors' route, a"
    " chat route and you are a manager or a trainer (they take no chats), a reports' route and"
    " you are an agent, or a trainers' route and you are not a trainer or an admin"
)
NOT_FOUND = problem("No such conversation (answered to supervisors and admins only)")
CONFLICT = problem("Someone else was first, or the conversation is not yours")


class InvalidField(BaseModel):
    """One refused part of the request: where (`["body", "text"]`), what, and why."""

    loc: list[str | int]
    msg: str
    type: str


class Invalid(BaseModel):
    """Every refused part of the request."""

    detail: list[InvalidField]


# Declared on every route, including those without parameters: any body can still be refused
# for invalid Unicode or control characters.
INVALID = {"model": Invalid, "description": "Invalid input: the parts refused and why"}
TOO_MANY = problem(
    "Too many attempts: wait the number of seconds in Retry-After",
    headers={"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
)

AUTHENTICATED: dict[int | str, dict[str, Any]] = {401: UNAUTHORISED, 422: INVALID}
