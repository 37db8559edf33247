"""JSON-over-HTTP plumbing shared by the clients: one place maps failures to the error tree.

`JsonHttpClient` awaits each answer on its own `httpx.AsyncClient` (one connection pool per
system), so that a slow system holds up only the conversations waiting for it. Code that runs
in worker threads (the gateway's CRM calls, the privacy CLI) uses `SyncJsonHttpClient`, the
same requests and errors over `httpx.Client`.
"""

import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError, parse_obj_as

from connectors.errors import (
    ConnectorError,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidResponse,
    NotFound,
)

T = TypeVar("T")
Params = Mapping[str, str | int | bool]

logger = logging.getLogger(__name__)
# httpx logs every request at INFO with its URL, which holds account numbers and customer ids;
# `_decode` logs the same at DEBUG, where requests (urllib3) kept it.
logging.getLogger("httpx").setLevel(logging.WARNING)

_ACCEPT_JSON = {"Accept": "application/json"}
_JSON_BODY = {**_ACCEPT_JSON, "Content-Type": "application/json"}


class _JsonHttp:
    """What the async and the blocking client share: URLs, request shape, errors, parsing."""

    def __init__(self, system: str, base_url: str, *, timeout: float) -> None:
        self.system = system
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def url(self, *path: str) -> str:
        """Build the URL of a path, quoting each segment so ids cannot change the path."""
        for segment in path:
            if segment in ("", ".", ".."):
                raise ValueError(f"invalid path segment {segment!r}")
        return "/".join([self.base_url, *(quote(segment, safe="") for segment in path)])

    def _timeout(self) -> httpx.Timeout:
        # As requests' `timeout=` did: the limit applies to connecting and to each read (and,
        # with httpx, to each write and to waiting for a pooled connection), not to the total.
        return httpx.Timeout(self.timeout)

    @staticmethod
    def _options(params: Params | None, body: BaseModel | None) -> dict[str, Any]:
        # The contract's query booleans are lower case, whatever the library writes.
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in (params or {}).items()}
        return {
            "params": query,
            "content": body.json() if body is not None else None,
            "headers": _JSON_BODY if body is not None else _ACCEPT_JSON,
        }

    def _failure(self, error: Exception, method: str, url: str) -> ConnectorError:
        if isinstance(error, httpx.TimeoutException):
            message = f"{method} {url}: no answer within {self.timeout}s"
            return ConnectorTimeout(self.system, message)
        if isinstance(error, httpx.HTTPStatusError):
            return self._status_error(error.response, method, url)
        return ConnectorUnavailable(self.system, f"{method} {url}: {error or type(error).__name__}")

    def _status_error(self, answer: httpx.Response, method: str, url: str) -> ConnectorError:
        status = answer.status_code
        message = f"{method} {url}: HTTP {status} {answer.text[:200]}"
        if status == 404:
            return NotFound(self.system, message)
        if status >= 500:
            return ConnectorUnavailable(self.system, message)
        return InvalidResponse(self.system, message)

    def _decode(self, answer: httpx.Response, method: str, url: str) -> Any:
        logger.debug("%s %s %s -> %s", self.system, method, url, answer.status_code)
        try:
            # Decimal keeps money exact: 19.99 must not become 19.989999...
            return json.loads(answer.content, parse_float=Decimal)
        except ValueError as exc:
            raise InvalidResponse(self.system, f"{method} {url}: answer is not JSON") from exc

    def _parse(self, response: type[T], data: Any) -> T:
        try:
            return parse_obj_as(response, data)
        except ValidationError as exc:
            raise InvalidResponse(self.system, f"answer breaks the contract: {exc}") from exc


# httpx.InvalidURL is not an httpx.HTTPError; requests counted a malformed URL as unreachable.
_SEND_ERRORS = (httpx.HTTPError, httpx.InvalidURL)


class JsonHttpClient(_JsonHttp):
    """Sends JSON requests to one system and parses the answers into contract models."""

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(system, base_url, timeout=timeout)
        # No retries here: a retry belongs to the call site that knows the call is idempotent.
        self.client = httpx.AsyncClient(
            timeout=self._timeout(), headers=headers, transport=transport
        )

    async def get(self, *path: str, response: type[T], params: Params | None = None) -> T:
        """GET the path (one argument per segment) and parse the answer as `response`."""
        return self._parse(response, await self._send("GET", path, params=params))

    async def post(self, *path: str, body: BaseModel, response: type[T]) -> T:
        """POST the model as JSON to the path and parse the answer as `response`."""
        return self._parse(response, await self._send("POST", path, body=body))

    async def delete(self, *path: str, response: type[T]) -> T:
        """DELETE the path and parse the answer (what was removed) as `response`."""
        return self._parse(response, await self._send("DELETE", path))

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self.client.aclose()

    async def _send(
        self,
        method: str,
        path: tuple[str, ...],
        *,
        params: Params | None = None,
        body: BaseModel | None = None,
    ) -> Any:
        url = self.url(*path)
        try:
            answer = await self.client.request(method, url, **self._options(params, body))
            answer.raise_for_status()
        except _SEND_ERRORS as exc:
            raise self._failure(exc, method, url) from exc
        return self._decode(answer, method, url)


class SyncJsonHttpClient(_JsonHttp):
    """`JsonHttpClient` for callers that may block (worker threads, command-line tools)."""

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(system, base_url, timeout=timeout)
        self.client = httpx.Client(timeout=self._timeout(), headers=headers, transport=transport)

    def get(self, *path: str, response: type[T], params: Params | None = None) -> T:
        """GET the path (one argument per segment) and parse the answer as `response`."""
        return self._parse(response, self._send("GET", path, params=params))

    def post(self, *path: str, body: BaseModel, response: type[T]) -> T:
        """POST the model as JSON to the path and parse the answer as `response`."""
        return self._parse(response, self._send("POST", path, body=body))

    def delete(self, *path: str, response: type[T]) -> T:
        """DELETE the path and parse the answer (what was removed) as `response`."""
        return self._parse(response, self._send("DELETE", path))

    def close(self) -> None:
        """Close the pooled connections."""
        self.client.close()

    def _send(
        self,
        method: str,
        path: tuple[str, ...],
        *,
        params: Params | None = None,
        body: BaseModel | None = None,
    ) -> Any:
        url = self.url(*path)
        try:
            answer = self.client.request(method, url, **self._options(params, body))
            answer.raise_for_status()
        except _SEND_ERRORS as exc:
            raise self._failure(exc, method, url) from exc
        return self._decode(answer, method, url)
