"""Run the five mock systems in one process: `python -m connectors.mocks`."""

import asyncio
import logging
import signal
from datetime import date
from urllib.parse import urlsplit

from connectors.mocks.seed import build_dataset
from connectors.mocks.server import SYSTEMS, MockServer, mock_server, serve_all
from connectors.settings import ConnectorSettings

logger = logging.getLogger("connectors.mocks")


async def _run(servers: list[MockServer]) -> None:
    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    await serve_all(servers)


def main() -> None:
    """Seed today's data and serve each system on the port of its `BACKEND_*_URL`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = ConnectorSettings()
    dataset = build_dataset(date.today())
    servers = []
    for system, create_app in SYSTEMS.items():
        url = urlsplit(getattr(settings, f"{system}_url"))
        host, port = url.hostname or "127.0.0.1", url.port or 80
        servers.append(mock_server(create_app(dataset), host, port))
        logger.info("%s mock on http://%s:%d", system, host, port)
    logger.info(
        "seeded %d customers, %d accounts, %d orders, %d incidents (demo customers: see README)",
        len(dataset.customers),
        len(dataset.accounts),
        len(dataset.orders),
        len(dataset.incidents),
    )
    asyncio.run(_run(servers))


if __name__ == "__main__":
    main()
