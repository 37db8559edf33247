"""The canary on the running stack with two Rasa servers, without training (issue 12):

both servers take the live model from the gateway's model server (Rasa's `models:` endpoint,
ETag); a candidate published from the trainer's API reaches only the standby server; customers'
new conversations are split between the two, each staying on its server; with both arms level,
the gateway's check promotes the candidate on its own, after which every new conversation goes
to it while those begun before stay where they were; a rollback from the API ends the next
canary. Every customer message is answered throughout.

The candidate is the live model's file packed again (other bytes, the same model): what is
tested here is the moving of models and customers, not a training (`python -m trainer train`
has tests of its own).
"""

from __future__ import annotations

import gzip
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from bot.stack import ROOT
from handover.db import session_factory, session_scope
from tests.e2e.rollout_stack import (
    MIN_CONVERSATIONS,
    Rollout,
    rollout_stack,  # noqa: F401  (the module's stack)
    wait_for,
)
from tests.e2e.test_handover import Customer
from trainer import registry
from trainer.settings import TrainerSettings
from trainer.tables import MODEL_ASSIGNMENTS

pytestmark = pytest.mark.e2e

BILL = "what is my bill balance"
MAX_CONVERSATIONS = 40


def repacked(model: Path, folder: Path) -> Path:
    """The same model in a new archive: another sha256, so the registry takes it as new."""
    target = folder / "candidate.tar.gz"
    with gzip.open(model) as source, gzip.GzipFile(target, "wb", 1, mtime=1) as copy:
        shutil.copyfileobj(source, copy)
    return target


def register(rollout: Rollout, path: Path) -> str:
    settings = TrainerSettings(
        database_url=rollout.env["DATABASE_URL"],
        models_dir=Path(rollout.env["TRAINER_MODELS_DIR"]),
    )
    engine = create_engine(settings.database_url)
    with session_scope(session_factory(engine)) as session:
        model_id = registry.import_model(session, settings, path, author="tess").id
    engine.dispose()
    return model_id


def servers_of(rollout: Rollout) -> dict[str, str]:
    engine = create_engine(rollout.env["DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            select(MODEL_ASSIGNMENTS.c.conversation_id, MODEL_ASSIGNMENTS.c.server)
        )
        found = {cid: server for cid, server in rows}
    engine.dispose()
    return found


def chat(url: str) -> tuple[str, str]:
    """A customer's one question; (conversation id, the bot's answer)."""
    customer = Customer(url)
    try:
        return customer.session_id, customer.ask(BILL, "")
    finally:
        customer.close()


def traffic_until_idle(rollout: Rollout) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    talks: list[tuple[str, str]] = []
    with ThreadPoolExecutor(2) as pool:
        while len(talks) < MAX_CONVERSATIONS:
            state = rollout.api("GET", "/rollout").json()
            if state["rollout"]["mode"] == "idle":
                return state, talks
            talks += list(pool.map(lambda _: chat(rollout.url), range(2)))
    raise AssertionError(f"no decision after {len(talks)} conversations: {state['decision']}")


def test_a_candidate_is_tried_promoted_and_a_next_one_rolled_back(
    rollout_stack: Rollout,  # noqa: F811
    tmp_path: Path,
) -> None:
    rollout = rollout_stack
    first = rollout.api("GET", "/rollout").json()
    live = first["rollout"]["live_model"]
    assert first["rollout"]["live_server"] == "a"
    wait_for("both servers hold the live model", lambda: all(
        rollout.server_holds(s, live) for s in "ab"), timeout=120)  # fmt: skip

    # A conversation begun before the canary stays on the live server throughout.
    early = Customer(rollout.url)
    expected = early.ask(BILL, "")

    candidate = register(rollout, repacked(ROOT / rollout.stack.bot.model, tmp_path))
    unjudged = rollout.api("POST", "/rollout/publish", json={"model_id": candidate, "share": 0.5})
    assert unjudged.status_code == 409, unjudged.text  # no verdict yet: only with force
    forced = rollout.api(
        "POST", "/rollout/publish", json={"model_id": candidate, "share": 0.5, "force": True}
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["rollout"]["candidate_server"] == "b"
    wait_for("the candidate on server b", lambda: rollout.server_holds("b", candidate), 180)
    assert rollout.server_holds("a", live)

    state, talks = traffic_until_idle(rollout)
    assert all(answer == expected for _, answer in talks)  # nobody went unanswered
    placed = servers_of(rollout)
    arms = {server: sum(placed[cid] == server for cid, _ in talks) for server in "ab"}
    assert min(arms.values()) >= MIN_CONVERSATIONS, arms
    assert state["rollout"]["live_model"] == candidate and state["rollout"]["live_server"] == "b"
    promoted = state["audit"][0]
    assert (promoted["action"], promoted["actor"]) == ("promoted", "system"), state["audit"][:3]

    # After the promotion: new conversations on b, the early one still on a.
    after = [chat(rollout.url) for _ in range(3)]
    placed = servers_of(rollout)
    assert {placed[cid] for cid, _ in after} == {"b"}
    assert early.ask("thanks", "")
    assert servers_of(rollout)[early.session_id] == "a"
    early.close()

    # The old live model as the next candidate, on a (which holds it already); rolled back.
    again = rollout.api(
        "POST", "/rollout/publish", json={"model_id": live, "share": 1.0, "force": True}
    )
    assert again.status_code == 200, again.text
    assert again.json()["rollout"]["candidate_server"] == "a"
    wait_for("server a reported", lambda: rollout.server_holds("a", live), 60)
    time_to_draw = wait_for("a conversation on the candidate", lambda: (
        lambda cid: cid if servers_of(rollout)[cid] == "a" else None)(chat(rollout.url)[0]),
        timeout=30, every=0.5)  # fmt: skip
    assert time_to_draw
    back = rollout.api("POST", "/rollout/rollback", json={"reason": "trying the old one again"})
    assert back.status_code == 200, back.text
    state = rollout.api("GET", "/rollout").json()
    assert state["rollout"]["mode"] == "idle" and state["rollout"]["live_model"] == candidate
    assert (state["audit"][0]["action"], state["audit"][0]["actor"]) == ("rolled_back", "tess")
    newcomer, _ = chat(rollout.url)
    assert servers_of(rollout)[newcomer] == "b"
