"""Fixtures for the connector tests: seeded data, unit-test clients and the live mocks."""

from collections.abc import Iterator
from datetime import date

import pytest

from connectors import Backends, build_backends
from connectors.mocks.seed import Dataset, build_dataset
from connectors.mocks.server import RunningMocks, mocks_in_thread
from connectors.settings import ConnectorSettings
from tests.fake_http import FakeHttp

# A fixed day keeps the data the same on every run (billing states are relative to it).
TODAY = date(2026, 11, 21)
UNIT_SETTINGS = ConnectorSettings(
    crm_url="http://crm.test",
    billing_url="http://billing.test",
    orders_url="http://orders.test",
    network_url="http://network.test",
    identity_url="http://identity.test",
    timeout_seconds=2.5,
)


@pytest.fixture
def backends(http: FakeHttp) -> Backends:
    """Clients pointed at hosts that only the fake transport answers."""
    return build_backends(UNIT_SETTINGS, transport=http.transport)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return build_dataset(TODAY)


@pytest.fixture(scope="session")
def live_mocks(dataset: Dataset) -> Iterator[RunningMocks]:
    """The five mock systems on real localhost ports for the whole session."""
    with mocks_in_thread(dataset) as running:
        yield running
