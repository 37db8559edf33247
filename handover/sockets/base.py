"""What both namespaces check before any handler runs: the event, the rate and the payload.

A client may emit any event name with any JSON, including names python-socketio itself uses
for the socket's life (`connect`, `disconnect`): those would run the real handlers. Every
refusal is an `error` event `{"error": text, "code": ...}` to that socket (and the answer to
the event's acknowledgement, if it asked for one); a transition the conversation's state does
not allow is refused the same way, with the lifecycle's code (`not_allowed`, `not_yours`...).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import socketio

from handover.customer_input import Refused
from handover.lifecycle import TransitionRefused
from handover.service import Hub

logger = logging.getLogger(__name__)

LIFECYCLE = frozenset({"connect", "disconnect"})
# Names the Socket.IO clients reserve: no client should send them, and no handler exists.
RESERVED = LIFECYCLE | {"connect_error", "disconnecting", "newListener", "removeListener"}
MAX_PAYLOAD_CHARS = 20_000  # the longest message (5,000) with room for the other fields
MAX_DEPTH = 4
# Lone surrogates cannot be encoded for the database; NUL is refused by PostgreSQL text.
_INVALID_TEXT = re.compile("[\ud800-\udfff\x00]")


def check_payload(value: Any) -> None:
    """Refuse anything but JSON of bounded size and depth whose strings are valid text."""
    size, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused("invalid_payload", f"payload is nested more than {MAX_DEPTH} deep")
        if isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            stack.extend((part, depth + 1) for part in item)
        elif isinstance(item, str):
            if _INVALID_TEXT.search(item):
                raise Refused("invalid_text", "text must be valid Unicode, without NUL characters")
        elif item is not None and not isinstance(item, bool | int | float):
            raise Refused("invalid_payload", "payloads are JSON; binary data is not accepted")
        size += len(item) if isinstance(item, str | dict | list) else 1
        if size > MAX_PAYLOAD_CHARS:
            raise Refused("invalid_payload", f"payload is over {MAX_PAYLOAD_CHARS} characters")


class GuardedNamespace(socketio.AsyncNamespace):
    """Dispatches only known events with one checked payload, within the socket's rate."""

    hub: Hub

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self._connected: set[str] = set()  # sids whose real connect handler has run

    async def trigger_event(self, event: str, *args: Any) -> Any:
        sid = args[0]
        if event in LIFECYCLE:
            return await self._lifecycle(event, *args)
        try:
            await self._admit(sid, event, args[1:])
            return await super().trigger_event(event, *args)
        except Refused as refusal:
            return await self.refuse(sid, refusal)
        except TransitionRefused as refusal:  # the conversation's state does not allow it
            return await self.refuse(sid, Refused(refusal.code, str(refusal)))
        except ValueError as error:  # a store or model check on a value the client sent
            return await self.refuse(sid, Refused("invalid_payload", str(error)))
        except Exception:  # logged as an error: the client still hears why nothing happened
            logger.exception("%s event %r failed", self.namespace, event)
            return await self.refuse(sid, Refused("internal_error", "the event failed"))

    async def refuse(self, sid: str, refusal: Refused) -> dict[str, Any]:
        """Tell the socket why its event was not carried out."""
        await self.emit("error", refusal.event, to=sid)
        return refusal.event

    async def _lifecycle(self, event: str, *args: Any) -> Any:
        sid = args[0]
        # python-socketio counts a socket as connected only after its connect handler, and no
        # longer once its disconnect started: a connected socket naming these sent them itself.
        if self.server.manager.is_connected(sid, self.namespace):
            return await self.refuse(sid, Refused("reserved_event", f"{event!r} is reserved"))
        if event == "disconnect":
            if sid not in self._connected:  # already handled
                return None
            self._connected.discard(sid)
            return await super().trigger_event(event, *args)
        result = await super().trigger_event(event, *args)
        if result is not False:
            self._connected.add(sid)
        return result

    async def _admit(self, sid: str, event: Any, payloads: tuple[Any, ...]) -> None:
        settings = self.hub.settings
        verdict = await self.hub.limiter.hit(
            settings.socket_event_limit, "socket-event", self.namespace, sid
        )
        if not verdict.allowed:
            raise Refused("rate_limited", "too many events, slow down", verdict.retry_after_seconds)
        if not isinstance(event, str) or event in RESERVED or not hasattr(self, f"on_{event}"):
            raise Refused("unknown_event", f"unknown event {str(event)[:64]!r}")
        if len(payloads) > 1:
            raise Refused("invalid_payload", "send one payload per event")
        check_payload(payloads[0] if payloads else None)
