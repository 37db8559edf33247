"""The shared HTTP layer: URL building, request shape and the mapping of failures to errors."""

import logging
from decimal import Decimal

import httpx
import pytest
from pydantic import BaseModel

from connectors.errors import (
    ConnectorError,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidResponse,
    NotFound,
)
from connectors.http import JsonHttpClient, SyncJsonHttpClient
from tests.fake_http import ANY, FakeHttp

BASE = "http://thing.test/api"
# requests' `timeout=1.5`: each phase of a request may take 1.5 s.
TIMEOUT = {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}


class Thing(BaseModel):
    name: str
    price: Decimal


@pytest.fixture
def client(http: FakeHttp) -> JsonHttpClient:
    return JsonHttpClient("thing", BASE + "/", timeout=1.5, transport=http.transport)


async def test_get_parses_the_answer_and_sends_timeout_and_params(
    client: JsonHttpClient, http: FakeHttp
) -> None:
    http.get(f"{BASE}/things/T1", json={"name": "hub", "price": 19.99})

    thing = await client.get("things", "T1", response=Thing, params={"open": True, "limit": 3})

    assert thing == Thing(name="hub", price=Decimal("19.99"))
    assert thing.price == Decimal("19.99")  # parsed from the JSON text, never through a float
    request = http.last_request
    assert request.timeout == TIMEOUT
    assert request.url == f"{BASE}/things/T1?open=true&limit=3"
    assert request.headers["Accept"] == "application/json"


async def test_post_sends_the_model_as_json(client: JsonHttpClient, http: FakeHttp) -> None:
    http.post(f"{BASE}/things", json=[{"name": "hub", "price": 1}])

    things = await client.post(
        "things", body=Thing(name="hub", price=Decimal("1.50")), response=list[Thing]
    )

    assert things == [Thing(name="hub", price=Decimal(1))]
    assert http.last_request.json() == {"name": "hub", "price": 1.5}
    assert http.last_request.headers["Content-Type"] == "application/json"
    assert http.last_request.timeout == TIMEOUT


@pytest.mark.parametrize(
    ("segment", "quoted"),
    [("../admin", "..%2Fadmin"), ("a b", "a%20b"), ("x?y=1#z", "x%3Fy%3D1%23z"), ("é", "%C3%A9")],
)
async def test_path_segments_are_quoted(
    client: JsonHttpClient, http: FakeHttp, segment: str, quoted: str
) -> None:
    http.get(ANY, json={"name": "x", "price": 1})

    await client.get("things", segment, response=Thing)

    assert http.last_request.url == f"{BASE}/things/{quoted}"


@pytest.mark.parametrize("segment", ["", ".", ".."])
async def test_empty_or_dot_segments_are_refused(
    client: JsonHttpClient, http: FakeHttp, segment: str
) -> None:
    with pytest.raises(ValueError):
        await client.get("things", segment, response=Thing)
    assert not http.called


FAILURES = [
    ({"status_code": 404, "json": {"detail": "unknown"}}, NotFound),
    ({"status_code": 500, "text": "boom"}, ConnectorUnavailable),
    ({"status_code": 503, "json": {"detail": "down"}}, ConnectorUnavailable),
    ({"status_code": 400, "json": {"detail": "bad"}}, InvalidResponse),
    ({"status_code": 422, "json": {"detail": "bad"}}, InvalidResponse),
    ({"status_code": 200, "text": "<html>not json</html>"}, InvalidResponse),
    ({"status_code": 200, "json": {"name": "missing price"}}, InvalidResponse),
    ({"status_code": 200, "json": [1, 2]}, InvalidResponse),
    ({"exc": httpx.ConnectTimeout}, ConnectorTimeout),
    ({"exc": httpx.ReadTimeout}, ConnectorTimeout),
    ({"exc": httpx.PoolTimeout}, ConnectorTimeout),
    ({"exc": httpx.ConnectError}, ConnectorUnavailable),
    ({"exc": httpx.RemoteProtocolError}, ConnectorUnavailable),  # a body cut short
    ({"exc": httpx.ReadError}, ConnectorUnavailable),
]


@pytest.mark.parametrize(("answer", "error"), FAILURES)
async def test_failures_map_to_the_error_tree(
    client: JsonHttpClient, http: FakeHttp, answer: dict, error: type[ConnectorError]
) -> None:
    http.get(f"{BASE}/things/T1", **answer)

    with pytest.raises(error) as raised:
        await client.get("things", "T1", response=Thing)

    assert raised.value.system == "thing"
    assert str(raised.value).startswith("thing: ")


@pytest.mark.parametrize(("answer", "error"), FAILURES)
def test_the_blocking_client_maps_failures_the_same_way(
    http: FakeHttp, answer: dict, error: type[ConnectorError]
) -> None:
    http.get(f"{BASE}/things/T1", **answer)
    client = SyncJsonHttpClient("thing", BASE, timeout=1.5, transport=http.transport)

    with pytest.raises(error) as raised:
        client.get("things", "T1", response=Thing)

    assert raised.value.system == "thing"
    assert http.last_request.timeout == TIMEOUT


def test_the_blocking_client_sends_the_same_request(http: FakeHttp) -> None:
    http.get(f"{BASE}/things/T1", json={"name": "hub", "price": 19.99})
    client = SyncJsonHttpClient("thing", BASE, timeout=1.5, transport=http.transport)

    thing = client.get("things", "T1", response=Thing, params={"open": False})

    assert thing.price == Decimal("19.99")
    assert http.last_request.url == f"{BASE}/things/T1?open=false"
    assert http.last_request.headers["Accept"] == "application/json"


@pytest.mark.parametrize("base_url", ["http://", "ftp://thing.test", "http://[::1/api"])
async def test_a_malformed_base_url_is_unavailable(base_url: str) -> None:
    # httpx refuses these before any connection (requests did too): no network is used.
    client = JsonHttpClient("thing", base_url, timeout=1)

    with pytest.raises(ConnectorUnavailable):
        await client.get("things", "T1", response=Thing)


async def test_sends_the_headers_it_is_given(http: FakeHttp) -> None:
    http.get(f"{BASE}/things/T1", json={"name": "x", "price": 1})
    client = JsonHttpClient(
        "thing", BASE, timeout=1, headers={"X-Request-Source": "bot"}, transport=http.transport
    )

    await client.get("things", "T1", response=Thing)

    assert http.last_request.headers["X-Request-Source"] == "bot"


async def test_one_connection_pool_per_client_closed_by_aclose(http: FakeHttp) -> None:
    client = JsonHttpClient("thing", BASE, timeout=1, transport=http.transport)
    http.get(f"{BASE}/things/T1", json={"name": "x", "price": 1})
    await client.get("things", "T1", response=Thing)

    await client.aclose()

    assert client.client.is_closed
    with pytest.raises(RuntimeError):  # httpx refuses a closed client
        await client.get("things", "T1", response=Thing)


def test_timeout_is_required() -> None:
    with pytest.raises(TypeError):
        JsonHttpClient("thing", BASE)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SyncJsonHttpClient("thing", BASE)  # type: ignore[call-arg]


async def test_requests_are_logged_at_debug_only(
    client: JsonHttpClient, http: FakeHttp, caplog: pytest.LogCaptureFixture
) -> None:
    http.get(f"{BASE}/things/30000001", json={"name": "x", "price": 1})

    with caplog.at_level(logging.INFO):
        await client.get("things", "30000001", response=Thing)
    with caplog.at_level(logging.DEBUG, logger="connectors.http"):
        await client.get("things", "30000001", response=Thing)

    # The path holds an account number: nothing at INFO (httpx's own line included).
    [record] = caplog.records
    assert (record.name, record.levelno) == ("connectors.http", logging.DEBUG)
    assert record.getMessage() == f"thing GET {BASE}/things/30000001 -> 200"
