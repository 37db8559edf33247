"""JSON-over-HTTP plumbing shared by the clients: one place maps failures to the error tree."""

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import requests
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

_ACCEPT_JSON = {"Accept": "application/json"}
_JSON_BODY = {**_ACCEPT_JSON, "Content-Type": "application/json"}


class JsonHttpClient:
    """Sends JSON requests to one system and parses the answers into contract models."""

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self.system = system
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # No retries here: a retry belongs to the call site that knows the call is idempotent.
        self.session = session or requests.Session()

    def get(self, *path: str, response: type[T], params: Params | None = None) -> T:
        """GET the path (one argument per segment) and parse the answer as `response`."""
        return self._parse(response, self._send("GET", path, params=params))

    def post(self, *path: str, body: BaseModel, response: type[T]) -> T:
        """POST the model as JSON to the path and parse the answer as `response`."""
        return self._parse(response, self._send("POST", path, body=body))

    def delete(self, *path: str, response: type[T]) -> T:
        """DELETE the path and parse the answer (what was removed) as `response`."""
        return self._parse(response, self._send("DELETE", path))

    def url(self, *path: str) -> str:
        """Build the URL of a path, quoting each segment so ids cannot change the path."""
        for segment in path:
            if segment in ("", ".", ".."):
                raise ValueError(f"invalid path segment {segment!r}")
        return "/".join([self.base_url, *(quote(segment, safe="") for segment in path)])

    def _send(
        self,
        method: str,
        path: tuple[str, ...],
        *,
        params: Params | None = None,
        body: BaseModel | None = None,
    ) -> Any:
        url = self.url(*path)
        # requests would write True as "True"; the contract's query booleans are lower case.
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in (params or {}).items()}
        try:
            answer = self.session.request(
                method,
                url,
                params=query,
                data=body.json() if body is not None else None,
                headers=_JSON_BODY if body is not None else _ACCEPT_JSON,
                timeout=self.timeout,
            )
            answer.raise_for_status()
        except requests.Timeout as exc:  # before ConnectionError: ConnectTimeout is both
            message = f"{method} {url}: no answer within {self.timeout}s"
            raise ConnectorTimeout(self.system, message) from exc
        except requests.HTTPError as exc:
            raise self._status_error(exc.response, method, url) from exc
        except requests.RequestException as exc:
            raise ConnectorUnavailable(self.system, f"{method} {url}: {exc}") from exc
        logger.debug("%s %s %s -> %s", self.system, method, url, answer.status_code)
        try:
            # Decimal keeps money exact: 19.99 must not become 19.989999...
            return answer.json(parse_float=Decimal)
        except ValueError as exc:
            raise InvalidResponse(self.system, f"{method} {url}: answer is not JSON") from exc

    def _status_error(self, answer: requests.Response, method: str, url: str) -> ConnectorError:
        status = answer.status_code
        message = f"{method} {url}: HTTP {status} {answer.text[:200]}"
        if status == 404:
            return NotFound(self.system, message)
        if status >= 500:
            return ConnectorUnavailable(self.system, message)
        return InvalidResponse(self.system, message)

    def _parse(self, response: type[T], data: Any) -> T:
        try:
            return parse_obj_as(response, data)
        except ValidationError as exc:
            raise InvalidResponse(self.system, f"answer breaks the contract: {exc}") from exc
