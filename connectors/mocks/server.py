"""Serve every mock system from one event loop, in the foreground or in a background thread."""

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests
import uvicorn
from fastapi import FastAPI

from connectors import Backends, SyncBackends, build_backends, build_sync_backends
from connectors.mocks import billing, crm, identity, network, orders
from connectors.mocks.faults import FaultMode
from connectors.mocks.seed import Dataset
from connectors.settings import ConnectorSettings

SYSTEMS: dict[str, Callable[[Dataset], FastAPI]] = {
    "crm": crm.create_app,
    "billing": billing.create_app,
    "orders": orders.create_app,
    "network": network.create_app,
    "identity": identity.create_app,
}


class MockServer(uvicorn.Server):
    """A uvicorn server that leaves signals to its runner, so several can share a loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn's own handlers would each replace the previous one: only one server would stop.
        yield


def mock_server(app: FastAPI, host: str, port: int) -> MockServer:
    """Build a server for one mock app; the apps log requests themselves."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # uvicorn's websocket support needs a newer `websockets` than Rasa pins; none is used.
        ws="none",
        access_log=False,
        log_config=None,
        log_level="warning",
    )
    return MockServer(config)


async def serve_all(servers: list[MockServer], sockets: list[socket.socket] | None = None) -> None:
    """Run the servers until each is told to exit (optionally on sockets already bound)."""
    if sockets is None:
        await asyncio.gather(*(server.serve() for server in servers))
        return
    await asyncio.gather(
        *(server.serve(sockets=[sock]) for server, sock in zip(servers, sockets, strict=True))
    )


@dataclass(frozen=True)
class RunningMocks:
    """Mock systems started by `mocks_in_thread`, with helpers for tests."""

    settings: ConnectorSettings

    def url(self, system: str) -> str:
        """Base URL of one system."""
        return getattr(self.settings, f"{system}_url")

    def backends(self, timeout: float | None = None) -> Backends:
        """Async clients of the running mocks, optionally with another timeout."""
        timeout = timeout or self.settings.timeout_seconds
        return build_backends(self.settings.copy(update={"timeout_seconds": timeout}))

    def sync_backends(self) -> SyncBackends:
        """Blocking clients of the running mocks (the gateway's and privacy's)."""
        return build_sync_backends(self.settings)

    @contextlib.contextmanager
    def fault(self, system: str, mode: FaultMode, delay_seconds: float = 0) -> Iterator[None]:
        """Make one system play a fault for the duration of the block."""
        url = f"{self.url(system)}/_mock/faults"
        fault = {"mode": mode, "delay_seconds": delay_seconds}
        requests.post(url, json=fault, timeout=5).raise_for_status()
        try:
            yield
        finally:
            requests.post(url, json={"mode": "ok"}, timeout=5).raise_for_status()


@contextlib.contextmanager
def mocks_in_thread(dataset: Dataset, *, start_timeout: float = 10) -> Iterator[RunningMocks]:
    """Serve every mock on ephemeral localhost ports from a background thread."""
    # Naming IPPROTO_TCP matters: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say they are TCP, and with Nagle on each keep-alive request waits ~40 ms for an ACK.
    sockets = {
        system: socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        for system in SYSTEMS
    }
    for sock in sockets.values():
        sock.bind(("127.0.0.1", 0))
    ports = {system: sock.getsockname()[1] for system, sock in sockets.items()}
    servers = [
        mock_server(create_app(dataset), "127.0.0.1", ports[system])
        for system, create_app in SYSTEMS.items()
    ]
    settings = ConnectorSettings(
        **{f"{system}_url": f"http://127.0.0.1:{port}" for system, port in ports.items()}
    )
    runner = serve_all(servers, list(sockets.values()))
    thread = threading.Thread(target=asyncio.run, args=(runner,), name="mocks", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout
        # uvicorn offers no event for "started", only a flag to poll.
        while not all(server.started for server in servers):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock servers did not start")
            time.sleep(0.01)
        yield RunningMocks(settings)
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(timeout=10)
