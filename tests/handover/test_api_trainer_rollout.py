"""`/api/trainer/rollout` (SQLite and PostgreSQL): before the first start, publish (force for a
failed verdict), share, rollback and promote with every refusal and its status, each change in
the audit log under the trainer's name with a redacted reason, and the canary's arms side by
side with what the gates would decide, applied by no one."""

# Fixtures come from trainer_models_api: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.handover.trainer_models_api import (  # noqa: F401  (fixtures: the gateway and what it needs)
    DEFAULT_SHARE,
    actions,
    client,
    db,
    dispatched,
    events_engine,
    seeded,
    settings,
    tokens,
    url,
)
from tests.handover.trainer_models_rows import BAD, GOOD, LIVE, seed_arms
from trainer import rollout
from trainer.arms import arm_figures
from trainer.canary import CanaryGates, decide
from trainer.settings import TrainerSettings


def test_before_the_first_start_there_is_no_roll_out_to_act_on(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    tess = tokens["tess"]
    page = client.get("/api/trainer/rollout", headers=tess).json()
    assert (page["rollout"], page["servers"], page["arms"], page["decision"]) == (
        None,
        [],
        [],
        None,
    )
    assert page["audit"] == [] and page["default_share"] == DEFAULT_SHARE
    for path, body in [("publish", {"model_id": GOOD}), ("promote", {"reason": "x"})]:
        answer = client.post(f"/api/trainer/rollout/{path}", json=body, headers=tess)
        assert answer.status_code in (404, 409)
    answer = client.post("/api/trainer/rollout/promote", json={"reason": "x"}, headers=tess)
    assert answer.json()["code"] == "no_rollout"


def test_publish_share_rollback_publish_promote_each_audited(
    client: TestClient, tokens: dict[str, dict[str, str]], seeded: Session
) -> None:
    tess, adam = tokens["tess"], tokens["adam"]

    def act(path: str, body: Any, headers: dict[str, str] = tess) -> Any:
        return client.post(f"/api/trainer/rollout/{path}", json=body, headers=headers)

    page = client.get("/api/trainer/rollout", headers=tess).json()
    assert page["rollout"]["mode"] == "idle" and page["rollout"]["live_model"] == LIVE
    assert page["servers"] == [{"name": "a", "model_id": LIVE}, {"name": "b", "model_id": LIVE}]
    assert page["arms"] == [] and page["decision"] is None
    assert page["gates"]["min_conversations"] == 20 and page["check_seconds"] == 5
    assert [(line["actor"], line["action"]) for line in page["audit"]] == [
        ("make model", "initial")
    ]

    # A failed verdict needs force; unknown models, shares out of range are refused.
    refused = act("publish", {"model_id": BAD, "share": 0.3})
    assert refused.status_code == 409 and refused.json()["code"] == "verdict_failed"
    assert "failed its evaluation" in refused.json()["detail"]
    assert act("publish", {"model_id": "20990101-000000-abcdef"}).status_code == 404
    assert act("publish", {"model_id": LIVE}).json()["code"] == "same_model"
    for share in (0, -0.1, 1.01, True, "0.5", 10**400):
        assert act("publish", {"model_id": GOOD, "share": share}).status_code == 422, share
    assert act("publish", {"model_id": GOOD, "force": "yes"}).status_code == 422
    assert act("publish", {"model_id": ""}).status_code == 422
    assert act("share", {"share": 0.5}).json()["code"] == "no_candidate"
    assert act("rollback", {"reason": "nothing runs"}).json()["code"] == "no_candidate"
    assert actions(seeded) == [("make model", "initial", LIVE)], "refusals change nothing"

    published = act("publish", {"model_id": BAD, "share": 0.3, "force": True})
    assert published.status_code == 200, published.text
    state = published.json()
    assert (state["rollout"]["mode"], state["rollout"]["candidate_model"]) == ("canary", BAD)
    assert state["rollout"]["candidate_server"] == "b" and state["rollout"]["share"] == 0.3
    assert state["servers"] == [{"name": "a", "model_id": LIVE}, {"name": "b", "model_id": BAD}]
    assert act("publish", {"model_id": GOOD}).json()["code"] == "busy"
    assert act("share", {"share": 0}).status_code == 200  # paused
    assert act("share", {"share": 1.2}).status_code == 422
    listed = {m["id"]: m for m in client.get("/api/trainer/models", headers=tess).json()}
    assert (listed[BAD]["role"], listed[BAD]["servers"]) == ("candidate", ["b"])

    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}, {"why": "x"}):
        assert act("rollback", body).status_code == 422, body
    back = act("rollback", {"reason": "bills confused; ring 07700 900123"}, adam)
    assert back.status_code == 200 and back.json()["rollout"]["mode"] == "idle"
    assert back.json()["servers"][1] == {"name": "b", "model_id": BAD}  # kept for its chats

    assert act("publish", {"model_id": GOOD}).status_code == 200  # the settings' share
    assert current_share(client, tess) == DEFAULT_SHARE
    promoted = act("promote", {"reason": "figures hold"})
    assert promoted.status_code == 200
    assert (promoted.json()["rollout"]["live_model"], promoted.json()["rollout"]["live_server"]) == (
        GOOD, "b",
    )  # fmt: skip
    assert act("promote", {"reason": "again"}).json()["code"] == "no_candidate"

    assert actions(seeded) == [
        ("make model", "initial", LIVE), ("tess", "published", BAD),
        ("tess", "share_changed", BAD), ("adam", "rolled_back", BAD),
        ("tess", "published", GOOD), ("tess", "promoted", GOOD),
    ]  # fmt: skip
    lines = client.get("/api/trainer/rollout", headers=tess).json()["audit"]
    by_action = {line["action"]: line for line in reversed(lines)}  # each action's newest
    assert by_action["published"]["details"]["share"] == DEFAULT_SHARE  # GOOD's
    assert by_action["rolled_back"]["details"]["reason"].startswith("bills confused; ring ")
    assert "07700" not in json.dumps(lines), "a person's reason is stored redacted"
    assert by_action["promoted"]["details"]["reason"] == "figures hold"
    forced = [line for line in lines if line["model_id"] == BAD and line["action"] == "published"]
    assert forced[0]["details"]["forced"] is True and forced[0]["details"]["verdict"] == "fail"


def current_share(client: TestClient, token: dict[str, str]) -> float:
    return client.get("/api/trainer/rollout", headers=token).json()["rollout"]["share"]


def test_the_arms_side_by_side_and_what_the_gates_would_decide(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    seeded: Session,
    settings: TrainerSettings,
) -> None:
    tess = tokens["tess"]
    answer = client.post(
        "/api/trainer/rollout/publish", json={"model_id": GOOD, "share": 0.5}, headers=tess
    )
    assert answer.status_code == 200
    seeded.expire_all()
    state = rollout.current(seeded)
    assert state is not None
    seed_arms(seeded, state)
    seeded.commit()

    page = client.get("/api/trainer/rollout", headers=tess).json()

    figures = arm_figures(seeded, state)
    expected = decide(figures, CanaryGates.from_settings(settings))
    assert [arm["arm"] for arm in page["arms"]] == ["live", "candidate"]
    live, candidate = page["arms"]
    assert (live["model_id"], live["conversations"], candidate["conversations"]) == (LIVE, 24, 22)
    assert (live["messages"], live["ratings"], candidate["ratings"]) == (96, 8, 8)
    assert live["fallback_rate"] == pytest.approx(5 / 24)
    assert candidate["handover_rate"] == pytest.approx(2 / 22)
    assert candidate["latency_ms"] == {
        "p50": figures["candidate"].latency_ms.p50, "p95": figures["candidate"].latency_ms.p95,
    }  # fmt: skip
    assert candidate["latency_ms"]["p50"] > live["latency_ms"]["p50"]
    assert page["decision"] == {"action": expected.action, "reasons": list(expected.reasons)}
    assert page["decision"]["action"] == "promote", page["decision"]
    assert rollout.current(seeded) == state, "a preview applies nothing"
