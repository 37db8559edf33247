"""The replicas of one Rasa arm (`handover.rasa_pool`), against local aiohttp servers that answer
as Rasa does: each conversation sticks to one replica, conversations spread over all, a replica
that fails hands the message to the next one at once (delivered once when it surely was not
processed), comes back after its cool-down, and the arm's model is the one all replicas hold."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from handover.rasa import RasaNoAnswer, RasaUnavailable, RasaUnreachable
from handover.rasa_pool import RasaPool

TOKEN = "rasa-api-token-0123456789-0123456789"
TIMEOUT = 0.5
COOLDOWN = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Replica:
    """One Rasa process on a fixed port: records the messages it is sent, can stop and start
    again, be slow, answer an error, or hold another model."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.messages: list[tuple[str, str]] = []
        self.paths: list[str] = []
        self.statuses = 0
        self.delay = 0.0
        self.status = 200
        self.model: str | None = "live.tar.gz"
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if request.path == "/status":
            self.statuses += 1
            assert request.query["token"] == TOKEN
            return web.json_response({"model_file": self.model})
        self.paths.append(request.path)
        if request.path == "/model/parse":
            return web.json_response({"intent": {"name": "faq"}})
        if request.path.endswith("/trigger_intent"):
            return web.json_response({"messages": [{"text": f"{self.name}: back"}]})
        if request.path.endswith("/tracker/events"):
            return web.json_response({})
        body = await request.json()
        self.messages.append((body["sender"], body["message"]))
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"message": "no"}, status=self.status)
        return web.json_response([{"text": f"{self.name}: {body['message']}"}])

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def replicas() -> AsyncIterator[list[Replica]]:
    made = [Replica(name) for name in ("r1", "r2", "r3")]
    for replica in made:
        await replica.start()
    yield made
    for replica in made:
        await replica.stop()


@pytest.fixture
async def pool(replicas: list[Replica], clock: Clock) -> AsyncIterator[RasaPool]:
    made = pool_of(replicas, clock)
    yield made
    await made.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def pool_of(replicas: list[Replica], clock: Clock | None = None) -> RasaPool:
    return RasaPool(
        [r.url for r in replicas], token=TOKEN, timeout=TIMEOUT, cooldown=COOLDOWN,
        clock=clock or Clock(),
    )  # fmt: skip


def first_on(pool: RasaPool, replica: Replica, prefix: str = "chat") -> str:
    """A conversation id whose first choice is `replica`."""
    return next(
        f"{prefix}-{n}" for n in range(1000) if pool.order(f"{prefix}-{n}")[0].url == replica.url
    )


def answered_by(replicas: list[Replica]) -> dict[str, list[tuple[str, str]]]:
    return {r.name: r.messages for r in replicas if r.messages}


async def test_a_conversation_sticks_to_one_replica(
    pool: RasaPool, replicas: list[Replica]
) -> None:
    for text in ("hi", "my bill", "thanks"):
        await pool.send("chat-7", text)

    [(name, messages)] = answered_by(replicas).items()
    assert messages == [("chat-7", "hi"), ("chat-7", "my bill"), ("chat-7", "thanks")]


async def test_conversations_spread_over_every_replica(
    pool: RasaPool, replicas: list[Replica]
) -> None:
    for n in range(30):
        assert await pool.send(f"chat-{n}", "hi") != []

    assert {r.name for r in replicas if r.messages} == {"r1", "r2", "r3"}


def test_the_spread_is_even_and_the_same_in_every_gateway(replicas: list[Replica]) -> None:
    ids = [f"conversation-{n}" for n in range(6000)]
    one, other = pool_of(replicas), pool_of(list(reversed(replicas)))

    shares = Counter(one.order(i)[0].url for i in ids)

    assert all(1800 <= count <= 2200 for count in shares.values()), shares  # 2000 each
    assert all(one.order(i)[0].url == other.order(i)[0].url for i in ids)


def test_a_new_replica_takes_only_conversations_of_its_own(replicas: list[Replica]) -> None:
    ids = [f"conversation-{n}" for n in range(3000)]
    two, three = pool_of(replicas[:2]), pool_of(replicas)

    moved = [i for i in ids if two.order(i)[0].url != three.order(i)[0].url]

    assert {three.order(i)[0].url for i in moved} == {replicas[2].url}
    assert 800 <= len(moved) <= 1200  # a third of them


async def test_a_refused_message_goes_to_the_next_replica_once(
    pool: RasaPool, replicas: list[Replica], caplog: pytest.LogCaptureFixture
) -> None:
    down = replicas[0]
    conversation = first_on(pool, down)
    following = next(r for r in replicas if r.url == pool.order(conversation)[1].url)
    await down.stop()

    with caplog.at_level(logging.INFO, logger="handover.rasa_pool"):
        replies = await pool.send(conversation, "hello")

    assert replies == [{"text": f"{following.name}: hello"}]
    assert answered_by(replicas) == {following.name: [(conversation, "hello")]}
    assert f"{down.url} is down" in caplog.text
    assert "answered twice" not in caplog.text


async def test_a_down_replica_rests_then_comes_back_once_it_answers_its_status(
    pool: RasaPool, replicas: list[Replica], clock: Clock
) -> None:
    down = replicas[0]
    conversation = first_on(pool, down)
    await down.stop()
    await pool.send(conversation, "one")
    await down.start()

    await pool.send(conversation, "two")  # still resting: not even asked
    assert down.messages == [] and down.statuses == 0

    clock.now += COOLDOWN
    down.model = None  # up, but without a model yet: not back
    await pool.send(conversation, "three")
    assert down.messages == [] and down.statuses == 1

    clock.now += COOLDOWN
    down.model = "live.tar.gz"
    await pool.send(conversation, "four")
    assert down.messages == [(conversation, "four")]
    assert sum(len(r.messages) for r in replicas) == 4  # each message answered once


async def test_calls_meanwhile_wait_for_a_returning_replicas_probe(
    pool: RasaPool, replicas: list[Replica], clock: Clock
) -> None:
    down = replicas[0]
    mine = [c for c in (f"chat-{n}" for n in range(200)) if pool.order(c)[0].url == down.url]
    await down.stop()
    await pool.send(mine[0], "one")
    await down.start()
    clock.now += COOLDOWN

    await asyncio.gather(*(pool.send(c, "back") for c in mine[:5]))

    assert down.statuses == 1
    assert sorted(down.messages) == sorted((c, "back") for c in mine[:5])


async def test_a_replica_that_does_not_answer_in_time_hands_over_and_says_it_may_repeat(
    pool: RasaPool, replicas: list[Replica], caplog: pytest.LogCaptureFixture
) -> None:
    slow = replicas[0]
    slow.delay = TIMEOUT * 4
    conversation = first_on(pool, slow)

    with caplog.at_level(logging.WARNING, logger="handover.rasa_pool"):
        replies = await pool.send(conversation, "hello")

    assert replies[0]["text"].endswith(": hello") and not replies[0]["text"].startswith("r1")
    assert slow.messages == [(conversation, "hello")]  # it had it: maybe processed
    assert "may be answered twice" in caplog.text
    assert TOKEN not in caplog.text


async def test_an_error_answer_is_not_sent_again(pool: RasaPool, replicas: list[Replica]) -> None:
    failing = replicas[0]
    failing.status = 500
    conversation = first_on(pool, failing)

    with pytest.raises(RasaUnavailable, match="HTTP 500") as raised:
        await pool.send(conversation, "hello")

    assert type(raised.value) is RasaUnavailable
    assert answered_by(replicas) == {"r1": [(conversation, "hello")]}
    failing.status = 200
    assert (await pool.send(conversation, "again"))[0]["text"] == "r1: again"  # not resting


async def test_every_replica_down_is_unavailable_after_trying_each(
    pool: RasaPool, replicas: list[Replica], clock: Clock
) -> None:
    for replica in replicas:
        await replica.stop()
    with pytest.raises(RasaUnreachable):
        await pool.send("chat-1", "hello")

    # All resting: each is tried again anyway, and the first back answers.
    await replicas[1].start()
    assert (await pool.send("chat-1", "again"))[0]["text"] == "r2: again"


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        (["m1.tar.gz", "m1.tar.gz", "m1.tar.gz"], "m1.tar.gz"),
        (["m1.tar.gz", "m2.tar.gz", "m1.tar.gz"], None),  # still loading somewhere
        (["m1.tar.gz", None, "m1.tar.gz"], "m1.tar.gz"),  # one without a model is down
        ([None, None, None], None),
    ],
)
async def test_the_arms_model_is_the_one_every_replica_holds(
    pool: RasaPool, replicas: list[Replica], models: list[str | None], expected: str | None
) -> None:
    for replica, model in zip(replicas, models, strict=True):
        replica.model = model

    assert await pool.model_file() == expected


async def test_a_stopped_replica_leaves_the_model_to_the_others(
    pool: RasaPool, replicas: list[Replica]
) -> None:
    await replicas[2].stop()
    assert await pool.model_file() == "live.tar.gz"
    assert await pool.ready()

    for replica in replicas[:2]:
        await replica.stop()
    assert await pool.model_file() is None
    assert not await pool.ready()


async def test_status_marks_replicas_down_and_back(
    pool: RasaPool, replicas: list[Replica], clock: Clock
) -> None:
    down = replicas[0]
    await down.stop()
    await pool.model_file()
    conversation = first_on(pool, down)
    await down.start()

    await pool.send(conversation, "hi")
    assert down.messages == []  # known down from its status: not tried
    await pool.model_file()  # the status check sees it back
    await pool.send(conversation, "again")
    assert down.messages == [(conversation, "again")]


async def test_parse_and_the_tracker_calls_fail_over_too(
    pool: RasaPool, replicas: list[Replica]
) -> None:
    for replica in replicas[:2]:
        await replica.stop()

    assert (await pool.parse("opening hours"))["intent"]["name"] == "faq"
    await pool.append_events("chat-1", [])
    assert await pool.trigger_intent("chat-1", "handback") == [{"text": "r3: back"}]
    assert replicas[2].paths == [
        "/model/parse", "/conversations/chat-1/tracker/events",
        "/conversations/chat-1/trigger_intent",
    ]  # fmt: skip


async def test_no_answer_is_told_apart_from_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        silent = f"http://127.0.0.1:{sock.getsockname()[1]}"
        pool = RasaPool([silent], token=TOKEN, timeout=TIMEOUT)
        try:
            with pytest.raises(RasaNoAnswer):
                await pool.send("chat-1", "hi")
        finally:
            await pool.close()
