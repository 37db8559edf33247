"""The quick replies the bot offered last, kept where every gateway sees them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handover.state import RedisStateStore, StateStore
from handover.state.redis import OFFERED_TTL_SECONDS
from tests.handover.state.conftest import Connect


async def test_the_latest_answer_replaces_the_offer(store: StateStore) -> None:
    assert await store.offered("conv-1") == []
    await store.set_offered("conv-1", ["/affirm", "/deny"])
    await store.set_offered("conv-2", ["/request_human"])
    assert await store.offered("conv-1") == ["/affirm", "/deny"]
    await store.set_offered("conv-1", [])
    assert await store.offered("conv-1") == []
    assert await store.offered("conv-2") == ["/request_human"]


async def test_two_gateways_see_the_same_offer_which_expires(
    redis_connect: Connect, namespaces: Callable[[], str]
) -> None:
    namespace = namespaces()
    first = RedisStateStore(await redis_connect(), namespace)
    second = RedisStateStore(await redis_connect(), namespace)
    await first.set_offered("conv-1", ['/inform{"method": "dob"}'])
    assert await second.offered("conv-1") == ['/inform{"method": "dob"}']
    client = await redis_connect()
    assert 0 < await client.ttl(f"{namespace}:offered:conv-1") <= OFFERED_TTL_SECONDS


@pytest.mark.parametrize(
    "payloads",
    ["/affirm", [""], [None], ["x" * 513], ["/a"] * 21, None],
)
async def test_bad_offers_are_refused(store: StateStore, payloads: object) -> None:
    with pytest.raises(ValueError):
        await store.set_offered("conv-1", payloads)  # type: ignore[arg-type]
    assert await store.offered("conv-1") == []


@pytest.mark.parametrize("conversation_id", ["", "   ", "x" * 129, None])
async def test_bad_ids_never_reach_the_store(store: StateStore, conversation_id: object) -> None:
    with pytest.raises(ValueError):
        await store.offered(conversation_id)  # type: ignore[arg-type]
