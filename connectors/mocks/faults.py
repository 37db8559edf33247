"""Routes and middleware every mock shares: health, request log and fault injection."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

logger = logging.getLogger("connectors.mocks")

FaultMode = Literal["ok", "slow", "error", "down"]


class Faults(BaseModel):
    """The fault a mock is playing: `slow` waits, `error` answers 500, `down` answers 503."""

    mode: FaultMode = "ok"
    delay_seconds: float = Field(0, ge=0, le=60)


def add_mock_routes(app: FastAPI, system: str) -> None:
    """Give the app `/_mock/health`, `/_mock/faults`, the fault middleware and a request log."""
    router = APIRouter(prefix="/_mock", tags=["mock"])
    app.state.faults = Faults()

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/faults", response_model=Faults)
    async def read_faults() -> Faults:
        return app.state.faults

    @router.post("/faults", response_model=Faults)
    async def set_faults(faults: Faults) -> Faults:
        app.state.faults = faults
        logger.info("%s fault mode is now %s (%ss)", system, faults.mode, faults.delay_seconds)
        return faults

    app.include_router(router)

    @app.middleware("http")
    async def inject_faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await _apply(app.state.faults, request, call_next)
        elapsed_ms = (time.perf_counter() - started) * 1000
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        logger.info(
            "%s %s %s -> %s (%.0f ms)",
            system,
            request.method,
            path,
            response.status_code,
            elapsed_ms,
        )
        return response


async def _apply(
    faults: Faults, request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    # The control routes stay reachable so a test can always switch a fault off again.
    if faults.mode == "ok" or request.url.path.startswith("/_mock/"):
        return await call_next(request)
    if faults.mode == "error":
        return JSONResponse({"detail": "injected fault: error"}, status_code=500)
    if faults.mode == "down":
        return JSONResponse({"detail": "injected fault: down"}, status_code=503)
    await asyncio.sleep(faults.delay_seconds)
    return await call_next(request)
