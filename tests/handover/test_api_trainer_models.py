"""`/api/trainer/models` (SQLite and PostgreSQL), and who may use the trainer's model routes:
trainers and admins; 401 without a valid token, 403 for every other role, whose calls change
nothing. The registry newest first with where each model runs, one model's evaluation against
the live model, unknown and malformed ids."""

# Fixtures come from trainer_models_api: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.handover.trainer_models_api import (  # noqa: F401  (fixtures: the gateway and what it needs)
    ONLY,
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
from tests.handover.trainer_models_rows import BAD, BAD_MISS, GOOD, LIVE

OPERATIONS = [
    ("GET", "/api/trainer/models", {}),
    ("GET", f"/api/trainer/models/{GOOD}", {}),
    ("GET", "/api/trainer/jobs", {}),
    ("POST", "/api/trainer/jobs", {"json": {"finetune": False, "note": "more bill examples"}}),
    ("GET", "/api/trainer/jobs/no-such-job", {}),
    ("GET", "/api/trainer/rollout", {}),
    ("POST", "/api/trainer/rollout/publish", {"json": {"model_id": GOOD, "share": 0.2}}),
    ("POST", "/api/trainer/rollout/share", {"json": {"share": 0.3}}),
    ("POST", "/api/trainer/rollout/promote", {"json": {"reason": "figures hold"}}),
    ("POST", "/api/trainer/rollout/rollback", {"json": {"reason": "changed my mind"}}),
]  # fmt: skip


def test_the_schema_lists_every_status_of_the_model_operations(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    statuses = {
        ("GET", "/api/trainer/models"): {"200"},
        ("GET", "/api/trainer/models/{model_id}"): {"200", "404"},
        ("GET", "/api/trainer/jobs"): {"200"},
        ("POST", "/api/trainer/jobs"): {"202", "409"},
        ("GET", "/api/trainer/jobs/{job_id}"): {"200", "404"},
        ("GET", "/api/trainer/rollout"): {"200"},
        ("POST", "/api/trainer/rollout/publish"): {"200", "404", "409"},
        ("POST", "/api/trainer/rollout/share"): {"200", "409"},
        ("POST", "/api/trainer/rollout/promote"): {"200", "409"},
        ("POST", "/api/trainer/rollout/rollback"): {"200", "409"},
    }
    for (method, path), own in statuses.items():
        operation = paths[path][method.lower()]
        assert operation["tags"] == ["trainer"], path
        assert set(operation["responses"]) == own | {"401", "403", "422"}, path
    body = paths["/api/trainer/jobs"]["post"]["requestBody"]["content"]["application/json"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["TrainRequest"]
    assert body["schema"]["$ref"].endswith("/TrainRequest")
    assert set(schema["properties"]) == {"finetune", "epoch_fraction", "note"}


def test_trainers_and_admins_may_use_them_no_one_else(
    client: TestClient, tokens: dict[str, dict[str, str]], seeded: Session, dispatched: list[str]
) -> None:
    before = actions(seeded)
    for method, path, request in OPERATIONS:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            answer = client.request(method, path, headers=headers, **request)
            assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
        for name in ("ann", "max", "sue"):
            answer = client.request(method, path, headers=tokens[name], **request)
            assert (answer.status_code, answer.json()) == (403, ONLY), (path, name)
    assert actions(seeded) == before and dispatched == [], "a refused caller changes nothing"
    assert client.get("/api/trainer/jobs", headers=tokens["tess"]).json() == []

    # Allowed: each answers as the state makes it (tess acts first, adam finds her changes).
    expected = {
        "tess": [200, 200, 200, 202, 404, 200, 200, 200, 200, 409],  # promote ended the canary
        "adam": [200, 200, 200, 409, 404, 200, 409, 409, 409, 409],  # busy, live already, ...
    }
    for name, statuses in expected.items():
        got = [
            client.request(m, p, headers=tokens[name], **r).status_code for m, p, r in OPERATIONS
        ]
        assert got == statuses, (name, got)
    assert len(dispatched) == 1
    assert actions(seeded)[len(before) :] == [
        ("tess", "published", GOOD), ("tess", "share_changed", GOOD), ("tess", "promoted", GOOD),
    ]  # fmt: skip


def test_the_registry_newest_first_with_where_each_model_runs(
    client: TestClient, tokens: dict[str, dict[str, str]], seeded: Session
) -> None:
    tess = tokens["tess"]
    listed = client.get("/api/trainer/models", headers=tess).json()
    assert [m["id"] for m in listed] == [GOOD, BAD, LIVE]
    by_id = {m["id"]: m for m in listed}
    live, good, bad = by_id[LIVE], by_id[GOOD], by_id[BAD]
    assert (live["role"], live["servers"], live["verdict"], live["source"]) == (
        "live", ["a", "b"], None, "imported",
    )  # fmt: skip
    assert (good["role"], good["servers"], good["verdict"], good["failed_checks"]) == (
        None, [], "pass", [],
    )  # fmt: skip
    assert good["checks"] > 10 and good["author"] == "tess" and good["size_bytes"] > 0
    assert good["summary"].startswith("macro holdout 0.93 (+0.03), verdict pass")
    assert bad["verdict"] == "fail" and good["created_at"] == "2026-12-01T16:30:00+00:00"
    failed = {(c["name"], c["set_name"]) for c in bad["failed_checks"]}
    assert failed == {
        ("intent_recall", "holdout"), ("intent_recall", "holdout_fr"), ("macro", "holdout"),
        ("macro", "holdout_fr"), ("oos_false_accept", "holdout"), ("regression", "regression"),
    }  # fmt: skip
    words = {c["says"] for c in bad["failed_checks"]}
    assert (
        "On holdout, check_bill_balance is recognised 55.0 % against 95.0 % for the live model"
        " (-40.0 points; it must stay ≥ 90.0 %)."
    ) in words
    assert (
        "On holdout, out-of-scope messages taken for a request: 16.0 % against 8.0 % for the"
        " live model (+8.0 points; it must stay ≤ 9.0 %)."
    ) in words
    assert any(w.startswith("Regression set (regression): 1 lost of 2") for w in words), words
    limited = client.get("/api/trainer/models", params={"limit": 1}, headers=tess).json()
    assert [m["id"] for m in limited] == [GOOD]
    for limit in (0, 201, "many"):
        answer = client.get("/api/trainer/models", params={"limit": limit}, headers=tess)
        assert answer.status_code == 422


def test_one_model_with_its_evaluation_against_the_live_model(
    client: TestClient, tokens: dict[str, dict[str, str]], seeded: Session
) -> None:
    found = client.get(f"/api/trainer/models/{BAD}", headers=tokens["tess"]).json()
    assert found["id"] == BAD and found["verdict"] == "fail"
    assert len(found["all_checks"]) == found["checks"] > len(found["failed_checks"])
    sets = {s["name"]: s for s in found["evaluation"]["sets"]}
    assert list(sets) == ["holdout", "holdout_fr", "regression"]
    holdout = sets["holdout"]
    assert holdout["macro"] == pytest.approx(0.8333, abs=1e-4)
    assert holdout["live_macro"] == pytest.approx(0.9083, abs=1e-4)
    assert holdout["macro_delta"] == pytest.approx(-0.075, abs=1e-4)
    assert (holdout["oos_false_accept"], holdout["live_oos_false_accept"]) == (0.16, 0.08)
    worst = holdout["intents"][0]  # worst change first
    assert (worst["intent"], worst["live"], worst["candidate"], worst["support"]) == (
        "check_bill_balance", 0.95, 0.55, 20,
    )  # fmt: skip
    assert worst["delta"] == pytest.approx(-0.4)
    assert holdout["confusions"][0] == {
        "expected": "check_bill_balance", "predicted": "track_order", "count": 7,
    }  # fmt: skip
    assert sets["regression"]["misses"] == [
        {"text": BAD_MISS, "expected": "check_bill_balance", "predicted": "track_order"}
    ]
    assert holdout["misses"] == []
    live = client.get(f"/api/trainer/models/{LIVE}", headers=tokens["adam"]).json()
    assert live["role"] == "live" and live["all_checks"] == []
    live_holdout = live["evaluation"]["sets"][0]
    assert live_holdout["live_macro"] is None and live_holdout["macro_delta"] is None


def test_unknown_and_malformed_ids(
    client: TestClient, tokens: dict[str, dict[str, str]], seeded: Session
) -> None:
    tess = tokens["tess"]
    for kind in ("models", "jobs"):
        answer = client.get(f"/api/trainer/{kind}/20990101-000000-abcdef", headers=tess)
        assert answer.status_code == 404 and "20990101-000000-abcdef" in answer.json()["detail"]
        for bad in ("-starts-with-a-dash", "x" * 65, "a%20b", "semi;colon", "caf%C3%A9"):
            answer = client.get(f"/api/trainer/{kind}/{bad}", headers=tess)
            assert answer.status_code == 422, (kind, bad, answer.text)
        answer = client.get(f"/api/trainer/{kind}/abc%0A", headers=tess)  # a trailing newline
        assert answer.status_code == 422
