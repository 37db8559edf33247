"""Async client of the Rasa server: its REST channel and the tracker API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error."""


class RasaClient:
    """Talks to one Rasa server; every call has a timeout."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(method, self._base + path, **kwargs) as answer:
                answer.raise_for_status()
                return await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise RasaUnavailable(f"{method} {path}: {error!r}") from error

    async def send(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """A customer message through the REST channel; the bot's answers."""
        body = {"sender": conversation_id, "message": text}
        return await self._request("POST", "/webhooks/rest/webhook", json=body) or []

    async def trigger_intent(self, conversation_id: str, intent: str) -> list[dict[str, Any]]:
        """Inject an intent as if the customer had said it; the bot's answers."""
        path = f"/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        answer = await self._request("POST", path, json={"name": intent, "entities": {}})
        return answer.get("messages", []) if isinstance(answer, dict) else []

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Add events to the conversation's tracker (what happened while a person chatted)."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker/events"
        await self._request("POST", path, json=events)

    async def ready(self) -> bool:
        """Whether the server is up with a model loaded."""
        try:
            status = await self._request("GET", "/status")
        except RasaUnavailable:
            return False
        return bool(status.get("model_file")) if isinstance(status, dict) else False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


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
