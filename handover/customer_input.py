"""What a customer may send: refusals with a code the client reads, Rasa's syntax kept out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from handover.state.checks import MAX_OFFERED, MAX_PAYLOAD_LENGTH

# Rasa's intent syntax (`/intent{"entity": ...}`) in a customer's own words would let them
# choose what the bot "understood"; these two reset the tracker (and the verification lock).
NEVER_PASSED_ON = re.compile(r"/(restart|session_start)\b")
REQUEST_HUMAN = "/request_human"  # the payload of the bot's own "talk to a person" button
# The id a customer's client gives each message (`user_uttered`'s `message_id`): a UUID, or
# any short id of these characters (it is stored, logged and compared, never shown as HTML).
MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class Refused(ValueError):
    """A customer's event the gateway will not carry out; `code` tells the client why."""

    def __init__(self, code: str, message: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after_seconds = retry_after_seconds

    @property
    def event(self) -> dict[str, Any]:
        """The `error` event the client gets."""
        event: dict[str, Any] = {"error": str(self), "code": self.code}
        if self.retry_after_seconds is not None:
            event["retry_after_seconds"] = self.retry_after_seconds
        return event


def check_message_id(value: Any) -> str | None:
    """The client's id of a message, or None when it gave none; Refused unless it is text of
    1 to 64 letters, digits, `.`, `_`, `:` or `-`."""
    if value is None:
        return None
    if not isinstance(value, str) or not MESSAGE_ID.fullmatch(value):
        message = "message_id must be 1 to 64 letters, digits, '.', '_', ':' or '-'"
        raise Refused("invalid_payload", message)
    return value


def check_command(said: str, offered: Iterable[str]) -> None:
    """Refuse a leading `/` unless it is exactly one of the quick replies `offered`."""
    if not said.startswith("/"):
        return
    if NEVER_PASSED_ON.match(said) or said not in offered:
        raise Refused("command_refused", "messages cannot start with '/'")


def quick_replies(payloads: Iterable[dict[str, Any]]) -> list[str]:
    """The payloads of the quick replies in the bot's `bot_uttered` payloads: what the
    customer may send back."""
    offered = [
        choice["payload"]
        for payload in payloads
        for choice in payload.get("quick_replies") or ()
        if isinstance(choice.get("payload"), str)
        and 0 < len(choice["payload"]) <= MAX_PAYLOAD_LENGTH
    ]
    return offered[:MAX_OFFERED]
