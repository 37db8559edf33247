"""The gateway's router over two Rasa servers (`handover.bot_router`), on SQLite and PostgreSQL,
with Rasa servers that record what they are sent: the live server answers until the candidate
is loaded, a conversation stays on its server across a promotion, a failing candidate hands the
message to the live server (nothing lost), and each answer's time is recorded."""

# ruff: noqa: F811  (database fixtures)

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from handover.bot_router import BotRouter
from handover.crud.runner import Database
from handover.db import session_factory, session_scope
from handover.rasa import RasaClient, RasaUnavailable
from tests.handover.conftest import db_url, engine, session  # noqa: F401
from tests.trainer.rollout_rows import add_model
from trainer import audit, rollout
from trainer.tables import MODEL_ASSIGNMENTS

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)


class RecordingRasa(RasaClient):
    """A Rasa server that answers with its name and says which model file it holds."""

    def __init__(self, name: str) -> None:
        super().__init__("http://127.0.0.1:9", token="unused", timeout=1)
        self.name = name
        self.sent: list[tuple[str, str]] = []
        self.holding: str | None = None
        self.failing = False

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        if self.failing:
            raise RasaUnavailable("POST /webhooks/rest/webhook: HTTP 500")
        self.sent.append((conversation_id, text))
        return [{"text": f"{self.name}: {text}"}]

    async def model_file(self) -> str | None:
        return self.holding


@pytest.fixture
def servers(engine: Engine, session: Any) -> dict[str, RecordingRasa]:
    # `session` empties every table afterwards.
    with session_scope(session_factory(engine)) as db:
        for model in ("live-1", "cand-2"):
            add_model(db, model, verdict="pass")
        rollout.ensure_initial(db, "live-1", by="test", now=NOW)
    return {"a": RecordingRasa("a"), "b": RecordingRasa("b")}


def router(engine: Engine, servers: dict[str, RecordingRasa], now: list[datetime]) -> BotRouter:
    database = Database(session_factory(engine))
    return BotRouter(servers, database, idle_minutes=60, clock=lambda: now[0])


def publish(engine: Engine, share: float = 1.0) -> None:
    with session_scope(session_factory(engine)) as db:
        rollout.publish(db, "cand-2", share=share, by="tess", now=NOW)


def rows(engine: Engine) -> dict[str, tuple[str, str, int]]:
    with engine.connect() as connection:
        found = connection.execute(select(MODEL_ASSIGNMENTS)).all()
    return {row.conversation_id: (row.server, row.model_id, row.messages) for row in found}


async def test_the_candidate_draws_nobody_until_its_server_holds_it(
    engine: Engine, servers: dict[str, RecordingRasa]
) -> None:
    now = [NOW]
    bot = router(engine, servers, now)
    servers["a"].holding = servers["b"].holding = "live-1.tar.gz"
    publish(engine, share=1.0)
    await bot.refresh()

    assert await bot.send("c1", "hello") == [{"text": "a: hello"}]

    servers["b"].holding = "cand-2.tar.gz"
    await bot.refresh()
    assert await bot.send("c2", "hello") == [{"text": "b: hello"}]
    assert await bot.send("c1", "again") == [{"text": "a: again"}]  # sticky
    assert rows(engine) == {"c1": ("a", "live-1", 2), "c2": ("b", "cand-2", 1)}


async def test_a_conversation_keeps_its_server_across_a_promotion(
    engine: Engine, servers: dict[str, RecordingRasa]
) -> None:
    now = [NOW]
    bot = router(engine, servers, now)
    servers["a"].holding, servers["b"].holding = "live-1.tar.gz", "cand-2.tar.gz"
    publish(engine, share=1.0)
    await bot.refresh()
    await bot.send("on-candidate", "one")
    with session_scope(session_factory(engine)) as db:
        rollout.rollback(db, by="tess", reason="test")
    await bot.refresh()

    now[0] = NOW + timedelta(minutes=30)
    assert (await bot.send("on-candidate", "two"))[0]["text"] == "b: two"
    assert (await bot.send("newcomer", "hi"))[0]["text"] == "a: hi"
    now[0] = NOW + timedelta(minutes=120)  # idle past the session: drawn again, live now
    assert (await bot.send("on-candidate", "three"))[0]["text"] == "a: three"


async def test_a_failing_candidate_loses_no_message(
    engine: Engine, servers: dict[str, RecordingRasa]
) -> None:
    now = [NOW]
    bot = router(engine, servers, now)
    servers["a"].holding, servers["b"].holding = "live-1.tar.gz", "cand-2.tar.gz"
    publish(engine, share=1.0)
    await bot.refresh()
    await bot.send("c1", "first")
    servers["b"].failing = True

    assert await bot.send("c1", "second") == [{"text": "a: second"}]
    assert servers["a"].sent == [("c1", "second")]
    assert rows(engine)["c1"][:2] == ("a", "live-1")
    with session_scope(session_factory(engine)) as db:
        assert [e.action for e in audit.recent(db)][0] == "candidate_failed"


async def test_without_a_rollout_the_first_server_answers(engine: Engine, session: Any) -> None:
    servers = {"a": RecordingRasa("a"), "b": RecordingRasa("b")}
    bot = router(engine, servers, [NOW])
    await bot.refresh()
    assert await bot.send("c1", "hello") == [{"text": "a: hello"}]
    assert rows(engine) == {}


async def test_answers_at_once_get_one_assignment(
    engine: Engine, servers: dict[str, RecordingRasa]
) -> None:
    bot = router(engine, servers, [NOW])
    servers["a"].holding, servers["b"].holding = "live-1.tar.gz", "cand-2.tar.gz"
    publish(engine, share=0.5)
    await bot.refresh()
    await asyncio.gather(*(bot.send("same", f"m{i}") for i in range(6)))
    (server, _, messages), *others = rows(engine).values()
    assert others == [] and messages == 6
    assert len(servers[server].sent) == 6
