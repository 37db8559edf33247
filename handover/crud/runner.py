"""Running the synchronous `handover.crud` functions from async code."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import sessionmaker

from handover.db import session_scope

T = TypeVar("T")


class Database:
    """Runs functions of a session in a worker thread, each call in one transaction: it
    commits when the function returns and rolls back, changing nothing, when it raises."""

    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    async def __call__(self, fn: Callable[..., T], **kwargs: Any) -> T:
        def call() -> T:
            with session_scope(self.sessions) as session:
                return fn(session, **kwargs)

        return await asyncio.to_thread(call)
