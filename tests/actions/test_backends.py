"""The actions' back-end clients: one set per event loop, closed with it."""

import asyncio

from actions import common
from connectors import Backends


async def _twice() -> tuple[Backends, Backends]:
    return common.backends(), common.backends()


def test_one_set_of_clients_per_event_loop() -> None:
    first, again = asyncio.run(_twice())
    other, _ = asyncio.run(_twice())

    assert first is again, "every action on a loop shares its connection pools"
    assert other is not first, "a pool is never used on a loop it was not opened on"


async def test_closing_closes_the_clients_and_forgets_them() -> None:
    built = common.backends()

    await common.close_backends()

    assert built.crm._http.client.is_closed and built.handover._http.client.is_closed
    assert common.backends() is not built
    await common.close_backends()
    await common.close_backends()  # nothing left to close: no error
