"""`/api/trainer/jobs` (SQLite and PostgreSQL): a training at a time from the settings'
data, its progress and its log cleaned of terminal escapes, and bad requests refused (422)
without starting anything. The test plays the runner: no training runs (`dispatched`)."""

# Fixtures come from trainer_models_api: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.handover.trainer_models_api import (  # noqa: F401  (fixtures: the gateway and what it needs)
    client,
    db,
    dispatched,
    events_engine,
    settings,
    tokens,
    url,
)
from trainer import jobs
from trainer.settings import TrainerSettings


def test_a_training_at_a_time_with_its_progress_and_clean_log(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    db: Session,
    settings: TrainerSettings,
    dispatched: list[str],
) -> None:
    tess, adam = tokens["tess"], tokens["adam"]
    body = {"finetune": True, "epoch_fraction": 0.5, "note": "bills; call 07700 900123"}
    answer = client.post("/api/trainer/jobs", json=body, headers=tess)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert dispatched == [job["id"]]
    assert (job["state"], job["active"], job["stage"], job["progress"]) == (
        "queued",
        True,
        "queued",
        0,
    )
    assert (job["author"], job["finetune"], job["epoch_fraction"]) == ("tess", True, 0.5)
    assert "07700" not in job["note"] and job["note"].startswith("bills; call ")  # redacted
    stored = jobs.get_job(db, job["id"])
    assert stored is not None and stored.options.data_dir is None  # the settings' data

    busy = client.post("/api/trainer/jobs", json={}, headers=adam)
    assert busy.status_code == 409
    assert busy.json() == {
        "detail": f"a training is queued already (job {job['id']}): one at a time"
    }
    assert dispatched == [job["id"]]

    # The runner's part: it takes the job, trains, writes its log.
    jobs.claim(db, job["id"], now=stored.created_at)
    jobs.set_progress(db, job["id"], "training", 0.42)
    db.commit()
    Path(stored.log_file or "").write_text(
        "\x1b[93mUserWarning: an utterance\x1b[0m\n"
        "Epochs:  10%|#| 10/100\rEpochs:  50%|##| 50/100\rEpochs: 100%|###| 100/100\n"
        "\x1b]0;title\x07done\x00\n",
        encoding="utf-8",
    )
    found = client.get(f"/api/trainer/jobs/{job['id']}", headers=tess).json()
    assert (found["state"], found["stage"], found["progress"]) == ("running", "training", 0.42)
    assert found["log"] == "UserWarning: an utterance\nEpochs: 100%|###| 100/100\ndone\n"
    assert [j["id"] for j in client.get("/api/trainer/jobs", headers=adam).json()] == [job["id"]]

    jobs.finish(db, job["id"], model_id="20261201-170000-000001")
    db.commit()
    done = client.get(f"/api/trainer/jobs/{job['id']}", headers=tess).json()
    assert (done["state"], done["active"], done["progress"]) == ("succeeded", False, 1.0)
    assert done["model_id"] == "20261201-170000-000001"
    # Over: the next one may start (a full training: no fraction).
    again = client.post("/api/trainer/jobs", json={"note": ""}, headers=adam)
    assert again.status_code == 202 and again.json()["finetune"] is False
    assert len(dispatched) == 2


BAD_TRAININGS: list[Any] = [
    {"data_dir": "/etc"},  # never a folder from the web
    {"epoch_fraction": 0.5},  # a fraction is for fine-tuning
    {"finetune": "yes"},
    {"finetune": 1},
    {"finetune": True, "epoch_fraction": 0},
    {"finetune": True, "epoch_fraction": 1.5},
    {"finetune": True, "epoch_fraction": True},
    {"finetune": True, "epoch_fraction": "0.5"},
    {"finetune": True, "epoch_fraction": 10**400},
    {"note": "x" * 501},
    {"note": "nul \u0000 here"},
    {"note": 5},
    [],
    [["note", "a list of pairs"]],
    "train",
]


def test_a_bad_training_request_is_422_and_starts_nothing(
    client: TestClient, tokens: dict[str, dict[str, str]], dispatched: list[str]
) -> None:
    for body in BAD_TRAININGS:
        answer = client.post("/api/trainer/jobs", json=body, headers=tokens["tess"])
        assert answer.status_code == 422, (body, answer.text)
        assert isinstance(answer.json()["detail"], list)
    assert dispatched == []
    assert client.get("/api/trainer/jobs", headers=tokens["tess"]).json() == []


def test_bodies_that_are_not_json_are_422(
    client: TestClient, tokens: dict[str, dict[str, str]], dispatched: list[str]
) -> None:
    headers = {**tokens["tess"], "Content-Type": "application/json"}
    lone_surrogates = (b'{"note": "\\ud800"}', b'{"reason": "\\udfff"}')
    for raw in (b"{", b"\xff\xfe", b'{"reason": "NaN"', b"", *lone_surrogates):
        for path in ("/api/trainer/jobs", "/api/trainer/rollout/promote"):
            answer = client.post(path, content=raw, headers=headers)
            assert answer.status_code == 422, (path, raw, answer.text)
    assert dispatched == []
