"""The back-end systems faked at httpx's transport (`httpx.MockTransport`), as requests-mock
faked them at requests' adapter: routes with canned answers, and every request kept.

`FakeHttp().transport` goes where a client takes a transport (`build_backends(settings,
transport=...)`); `get`, `post`, `delete` and `register_uri` add a route and return it, with
the requests it answered: one answer for every call, or a list of answers given in turn (the
last one repeats). The last route added wins. A request that no route matches fails as
a refused connection (`httpx.ConnectError`), as requests-mock's `NoMockAddress` did.
"""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

ANY = "*"  # a route that matches every URL
_NO_JSON = object()


@dataclass(frozen=True)
class Recorded:
    """A request as the fake received it."""

    request: httpx.Request

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def url(self) -> str:
        return str(self.request.url)

    @property
    def qs(self) -> dict[str, list[str]]:
        """The query, as lists of values (exactly as sent: requests-mock lowered them)."""
        return parse_qs(self.request.url.query.decode(), keep_blank_values=True)

    @property
    def headers(self) -> httpx.Headers:
        return self.request.headers

    @property
    def text(self) -> str:
        return self.request.content.decode()

    @property
    def timeout(self) -> dict[str, float | None]:
        """The client's timeout of each phase (connect, read, write, pool)."""
        return self.request.extensions["timeout"]

    def json(self) -> Any:
        return jsonlib.loads(self.request.content)


def _query(url: httpx.URL) -> dict[str, list[str]]:
    return parse_qs(url.query.decode(), keep_blank_values=True)


@dataclass(frozen=True)
class Answer:
    """A canned answer: a JSON body (or a function of the request), text, or an error."""

    status_code: int = 200
    json: Any = _NO_JSON
    text: str | None = None
    exc: type[Exception] | None = None
    complete_qs: bool = False

    def to(self, recorded: Recorded) -> httpx.Response:
        if self.exc is not None:
            raise self.exc("faked", request=recorded.request)  # type: ignore[call-arg]
        if self.json is not _NO_JSON:
            body = self.json(recorded) if callable(self.json) else self.json
            return httpx.Response(self.status_code, json=body)
        return httpx.Response(self.status_code, text=self.text or "")


@dataclass
class Route:
    """Where a request goes (method and URL), what it gets, and the requests that came."""

    method: str
    url: str
    answers: list[Answer]
    request_history: list[Recorded] = field(default_factory=list)

    def matches(self, request: httpx.Request) -> bool:
        if request.method != self.method:
            return False
        if self.url == ANY:
            return True
        wanted = httpx.URL(self.url)
        got = request.url
        same_place = (wanted.scheme, wanted.host, wanted.port, wanted.raw_path.split(b"?")[0]) == (
            got.scheme,
            got.host,
            got.port,
            got.raw_path.split(b"?")[0],
        )
        if not same_place:
            return False
        asked, sent = _query(wanted), _query(got)
        if self.answers[0].complete_qs:
            return asked == sent
        return all(sent.get(name) == values for name, values in asked.items())

    def answer(self, recorded: Recorded) -> httpx.Response:
        self.request_history.append(recorded)
        turn = min(len(self.request_history), len(self.answers)) - 1
        return self.answers[turn].to(recorded)

    @property
    def call_count(self) -> int:
        return len(self.request_history)

    @property
    def called(self) -> bool:
        return bool(self.request_history)

    @property
    def called_once(self) -> bool:
        return self.call_count == 1

    @property
    def last_request(self) -> Recorded | None:
        return self.request_history[-1] if self.request_history else None


class FakeHttp:
    """Routes and history of every faked system."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.request_history: list[Recorded] = []
        self.transport = httpx.MockTransport(self.handle)

    def register_uri(
        self, method: str, url: str, answers: list[dict[str, Any]] | None = None, **answer: Any
    ) -> Route:
        route = Route(method.upper(), url, answers=[Answer(**a) for a in answers or [answer]])
        self.routes.append(route)
        return route

    def get(self, url: str, answers: list[dict[str, Any]] | None = None, **answer: Any) -> Route:
        return self.register_uri("GET", url, answers, **answer)

    def post(self, url: str, answers: list[dict[str, Any]] | None = None, **answer: Any) -> Route:
        return self.register_uri("POST", url, answers, **answer)

    def delete(self, url: str, answers: list[dict[str, Any]] | None = None, **answer: Any) -> Route:
        return self.register_uri("DELETE", url, answers, **answer)

    def handle(self, request: httpx.Request) -> httpx.Response:
        recorded = Recorded(request)
        self.request_history.append(recorded)
        for route in reversed(self.routes):
            if route.matches(request):
                return route.answer(recorded)
        raise httpx.ConnectError(f"no route for {request.method} {request.url}", request=request)

    @property
    def call_count(self) -> int:
        return len(self.request_history)

    @property
    def called(self) -> bool:
        return bool(self.request_history)

    @property
    def last_request(self) -> Recorded | None:
        return self.request_history[-1] if self.request_history else None
