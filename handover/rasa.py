"""Async client of the Rasa server: its REST channel and the tracker API.

Every failure (no answer in time, connection refused, an error status, a body that is not
JSON) is `RasaUnavailable`, so callers handle one exception. Two kinds of it tell a caller with
other servers to try (`handover.rasa_pool`) whether the server may have acted on the request:

- `RasaUnavailable`: an error status or a body that is not JSON; the server answered.
  - `RasaUnreachable`: the request never reached the server (connection refused, no connection
    within `CONNECT_TIMEOUT`): it surely did nothing.
  - `RasaNoAnswer`: sent, but no answer (timeout, connection dropped): it may have acted.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from handover.texts import LANGUAGES

# What Rasa records as the customers' messages' `input_channel` (its REST channel takes it from
# the body): the channel they wrote on, the gateway's socket.io, not the REST hop to Rasa, so
# that reports count conversations by channel (reporting/).
INPUT_CHANNEL = "socketio"


# Seconds to open a connection: a server that takes longer is treated as unreachable (on a
# network, a dead host's connection attempt hangs rather than being refused).
CONNECT_TIMEOUT = 3.0


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error."""


class RasaUnreachable(RasaUnavailable):
    """The request never reached Rasa: it surely did nothing."""


class RasaNoAnswer(RasaUnavailable):
    """The request was sent but no answer came: Rasa may have acted on it."""


class BotClient(Protocol):
    """What the hub asks of the bot: one Rasa server (`RasaClient`), or several
    (`handover.bot_router.BotRouter`)."""

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]: ...

    async def trigger_intent(self, conversation_id: str, intent: str) -> list[dict[str, Any]]: ...

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None: ...

    async def parse(self, text: str) -> dict[str, Any]: ...

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...


class BotServer(BotClient, Protocol):
    """One arm of the bot: a Rasa server, or its replicas (`handover.rasa_pool.RasaPool`)."""

    async def model_file(self) -> str | None: ...


class RasaClient:
    """Talks to one Rasa server; every call has a timeout.

    Rasa's HTTP API (`/status`, `/conversations/...`) needs `token`, the server's
    `--auth-token`, sent as the `token` query parameter; its REST channel takes none.
    """

    def __init__(self, base_url: str, *, token: str, timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(CONNECT_TIMEOUT, timeout))
        self._session: aiohttp.ClientSession | None = None

    @property
    def base_url(self) -> str:
        return self._base

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        answered = False  # whether Rasa's status line came: then it acted on the request
        try:
            async with self._session.request(method, self._base + path, **kwargs) as answer:
                answered = True
                answer.raise_for_status()
                return await answer.json(content_type=None)
        # aiohttp raises asyncio.TimeoutError, which is not the builtin TimeoutError before 3.11.
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            # Not the error's text: it can quote the URL, whose query holds the token.
            status = getattr(error, "status", None)
            reason = f"HTTP {status}" if status else type(error).__name__
            raise _kind(error, answered)(f"{method} {path}: {reason}") from error

    async def _api(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call to Rasa's HTTP API, with the token."""
        return await self._request(method, path, params={"token": self._token}, **kwargs)

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """A customer message through the REST channel; the bot's answers.

        `language` is the one the customer's widget stated: Rasa puts the body's `metadata`
        on the message, where the bot's language decision reads it (dialogue/language.py).
        `message_id`, the customer's client's, goes there too: Rasa 3.6's REST channel takes
        no message id of its own, and the metadata of the tracker's `user` event is how one
        of its events is matched with the stored message (sent twice after a restart).
        """
        body: dict[str, Any] = {
            "sender": conversation_id,
            "message": text,
            "input_channel": INPUT_CHANNEL,
        }
        metadata = {"language": language} if language in LANGUAGES else {}
        if message_id is not None:
            metadata["message_id"] = message_id
        if metadata:
            body["metadata"] = metadata
        return await self._request("POST", "/webhooks/rest/webhook", json=body) or []

    async def trigger_intent(self, conversation_id: str, intent: str) -> list[dict[str, Any]]:
        """Inject an intent as if the customer had said it; the bot's answers."""
        path = f"/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        answer = await self._api("POST", path, json={"name": intent, "entities": {}})
        return answer.get("messages", []) if isinstance(answer, dict) else []

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Add events to the conversation's tracker (what happened while a person chatted)."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker/events"
        await self._api("POST", path, json=events)

    async def parse(self, text: str) -> dict[str, Any]:
        """What the NLU makes of `text` (`POST /model/parse`): intent, ranking, and the
        ResponseSelector's pick under `response_selector`; nothing is added to any tracker."""
        answer = await self._api("POST", "/model/parse", json={"text": text})
        if not isinstance(answer, dict):
            raise RasaUnavailable("POST /model/parse: not a parse result")
        return answer

    async def ready(self) -> bool:
        """Whether the server is up with a model loaded."""
        try:
            status = await self._api("GET", "/status")
        except RasaUnavailable:
            return False
        return bool(status.get("model_file")) if isinstance(status, dict) else False

    async def model_file(self) -> str | None:
        """The file name of the model the server holds (from a model server: the name it was
        served under), or None when it is down or has none."""
        try:
            return await self.status_model()
        except RasaUnavailable:
            return None

    async def status_model(self) -> str | None:
        """`model_file`, raising `RasaUnavailable` when the server does not answer."""
        status = await self._api("GET", "/status")
        name = status.get("model_file") if isinstance(status, dict) else None
        return name if isinstance(name, str) and name else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _kind(error: BaseException, answered: bool) -> type[RasaUnavailable]:
    """Which `RasaUnavailable` an aiohttp failure is (see the module's docstring)."""
    if answered:
        return RasaUnavailable
    if isinstance(error, aiohttp.ClientConnectorError):  # refused, no route, unknown host
        return RasaUnreachable
    # aiohttp 3.9 has one class for a connect and a read timeout: its text tells them apart.
    if isinstance(error, aiohttp.ServerTimeoutError) and str(error).startswith(
        "Connection timeout"
    ):
        return RasaUnreachable
    return RasaNoAnswer


def handback_events() -> list[dict[str, Any]]:
    """What the bot's tracker learns at hand-back: the offer of a person is settled."""
    return [
        {"event": "slot", "name": "pending_offer", "value": None},
        {"event": "slot", "name": "handover_reason", "value": None},
    ]


def bot_language(context: dict[str, Any]) -> str | None:
    """The bot's `language` slot in the context packet of a handover, if one we speak.

    It outranks the widget's: the bot follows a customer who changed language.
    """
    slots = context.get("slots")
    language = slots.get("language") if isinstance(slots, dict) else None
    return language if language in LANGUAGES else None


def to_socketio(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A REST-channel bot message as the `bot_uttered` payloads Rasa's socket.io channel sends."""
    out: list[dict[str, Any]] = []
    text, buttons = message.get("text"), message.get("buttons")
    if text and buttons:
        parts = text.strip().split("\n\n") or [text]
        out += [{"text": part} for part in parts]
        out[-1]["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
        ]
    elif text:
        out.append({"text": text})
    if message.get("image"):
        out.append({"attachment": {"type": "image", "payload": {"src": message["image"]}}})
    if message.get("attachment"):
        out.append({"attachment": message["attachment"]})
    if message.get("custom"):
        out.append({"custom": message["custom"]})
    return out
