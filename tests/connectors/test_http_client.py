"""The shared HTTP layer: URL building, request shape and the mapping of failures to errors."""

from decimal import Decimal

import pytest
import requests
import requests_mock as rm
from pydantic import BaseModel

from connectors.errors import (
    ConnectorError,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidResponse,
    NotFound,
)
from connectors.http import JsonHttpClient

BASE = "http://thing.test/api"


class Thing(BaseModel):
    name: str
    price: Decimal


@pytest.fixture
def client() -> JsonHttpClient:
    return JsonHttpClient("thing", BASE + "/", timeout=1.5)


def test_get_parses_the_answer_and_sends_timeout_and_params(
    client: JsonHttpClient, requests_mock: rm.Mocker
) -> None:
    requests_mock.get(f"{BASE}/things/T1", json={"name": "hub", "price": 19.99})

    thing = client.get("things", "T1", response=Thing, params={"open": True, "limit": 3})

    assert thing == Thing(name="hub", price=Decimal("19.99"))
    assert thing.price == Decimal("19.99")  # parsed from the JSON text, never through a float
    request = requests_mock.last_request
    assert request.timeout == 1.5
    assert request.url == f"{BASE}/things/T1?open=true&limit=3"
    assert request.headers["Accept"] == "application/json"


def test_post_sends_the_model_as_json(client: JsonHttpClient, requests_mock: rm.Mocker) -> None:
    requests_mock.post(f"{BASE}/things", json=[{"name": "hub", "price": 1}])

    things = client.post(
        "things", body=Thing(name="hub", price=Decimal("1.50")), response=list[Thing]
    )

    assert things == [Thing(name="hub", price=Decimal(1))]
    assert requests_mock.last_request.json() == {"name": "hub", "price": 1.5}
    assert requests_mock.last_request.headers["Content-Type"] == "application/json"
    assert requests_mock.last_request.timeout == 1.5


@pytest.mark.parametrize(
    ("segment", "quoted"),
    [("../admin", "..%2Fadmin"), ("a b", "a%20b"), ("x?y=1#z", "x%3Fy%3D1%23z"), ("é", "%C3%A9")],
)
def test_path_segments_are_quoted(
    client: JsonHttpClient, requests_mock: rm.Mocker, segment: str, quoted: str
) -> None:
    requests_mock.get(rm.ANY, json={"name": "x", "price": 1})

    client.get("things", segment, response=Thing)

    assert requests_mock.last_request.url == f"{BASE}/things/{quoted}"


@pytest.mark.parametrize("segment", ["", ".", ".."])
def test_empty_or_dot_segments_are_refused(client: JsonHttpClient, segment: str) -> None:
    with pytest.raises(ValueError):
        client.get("things", segment, response=Thing)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status_code": 404, "json": {"detail": "unknown"}}, NotFound),
        ({"status_code": 500, "text": "boom"}, ConnectorUnavailable),
        ({"status_code": 503, "json": {"detail": "down"}}, ConnectorUnavailable),
        ({"status_code": 400, "json": {"detail": "bad"}}, InvalidResponse),
        ({"status_code": 422, "json": {"detail": "bad"}}, InvalidResponse),
        ({"status_code": 200, "text": "<html>not json</html>"}, InvalidResponse),
        ({"status_code": 200, "json": {"name": "missing price"}}, InvalidResponse),
        ({"status_code": 200, "json": [1, 2]}, InvalidResponse),
        ({"exc": requests.exceptions.ConnectTimeout}, ConnectorTimeout),
        ({"exc": requests.exceptions.ReadTimeout}, ConnectorTimeout),
        ({"exc": requests.exceptions.ConnectionError}, ConnectorUnavailable),
        ({"exc": requests.exceptions.ChunkedEncodingError}, ConnectorUnavailable),
    ],
)
def test_failures_map_to_the_error_tree(
    client: JsonHttpClient, requests_mock: rm.Mocker, answer: dict, error: type[ConnectorError]
) -> None:
    requests_mock.get(f"{BASE}/things/T1", **answer)

    with pytest.raises(error) as raised:
        client.get("things", "T1", response=Thing)

    assert raised.value.system == "thing"
    assert str(raised.value).startswith("thing: ")


def test_uses_the_session_it_is_given(requests_mock: rm.Mocker) -> None:
    session = requests.Session()
    session.headers["X-Request-Source"] = "bot"
    requests_mock.get(f"{BASE}/things/T1", json={"name": "x", "price": 1})

    JsonHttpClient("thing", BASE, timeout=1, session=session).get("things", "T1", response=Thing)

    assert requests_mock.last_request.headers["X-Request-Source"] == "bot"


def test_timeout_is_required() -> None:
    with pytest.raises(TypeError):
        JsonHttpClient("thing", BASE)  # type: ignore[call-arg]
