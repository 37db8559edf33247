"""Publish and subscribe for the lifecycle's domain events.

A subscriber names an event class and hears it and its subclasses, in the order subscribers
came. The bus runs after the transition has committed: a subscriber that fails is logged and
the others still run; the transition stays done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from handover.lifecycle.events import ConversationEvent

logger = logging.getLogger(__name__)
E = TypeVar("E", bound=ConversationEvent)
Handler = Callable[[Any], Awaitable[None]]


class EventBus:
    """Delivers each published event to the handlers subscribed to its class or a base."""

    def __init__(self) -> None:
        self._handlers: list[tuple[type[ConversationEvent], Handler]] = []

    def subscribe(self, kind: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        """Call `handler` with every published event that is a `kind`."""
        self._handlers.append((kind, handler))

    async def publish(self, event: ConversationEvent) -> None:
        """Run each handler of the event in turn; a failure is logged, not raised."""
        for kind, handler in self._handlers:
            if not isinstance(event, kind):
                continue
            try:
                await handler(event)
            except Exception:  # one listener's failure must not cost the others their turn
                logger.exception("%s: listener %r failed", type(event).__name__, handler)
