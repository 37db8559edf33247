"""Error answers the routes cannot give themselves."""

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException


async def undecodable_body(request: Request, error: HTTPException) -> Response:
    """A body that is not UTF-8 is invalid input (422, as for any other), not FastAPI's bare
    400; every other HTTP error keeps FastAPI's answer."""
    if error.status_code == 400 and isinstance(error.__cause__, UnicodeDecodeError):
        problem = {"loc": ["body"], "msg": "the body must be JSON in UTF-8", "type": "value_error"}
        return JSONResponse({"detail": [problem]}, status_code=422)
    return await http_exception_handler(request, error)
