"""Settings shared by every test."""

import os

import pytest

from tests.fake_http import FakeHttp

# Tests run what `make run` runs: the development environment, whose placeholder secrets the
# production default refuses (tests of that refusal set the environment themselves).
os.environ.setdefault("SWITCHBOARD_ENVIRONMENT", "development")


@pytest.fixture
def http() -> FakeHttp:
    """The back-end systems faked at the transport: give `http.transport` to the clients."""
    return FakeHttp()
