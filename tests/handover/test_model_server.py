"""`GET /api/bot/models/{server}`, the model server the Rasa servers poll (SQLite and
PostgreSQL): only with the Rasa token, the model the roll-out gave each server, 304 for the one
the server holds, 404 before there is a roll-out or when the file is gone."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from tests.handover.conftest import BACKENDS, empty_database
from trainer import registry, rollout
from trainer.settings import TrainerSettings

TOKEN = "rasa-token-for-the-model-server-test"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def fake_model(path: Path, marker: str) -> Path:
    """A .tar.gz with a metadata.json: what the registry takes for a Rasa model."""
    body = json.dumps({"marker": marker}).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return path


@pytest.fixture(params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TrainerSettings, str]]:
    with empty_database(request.param, tmp_path) as url:
        monkeypatch.setenv("TRAINER_MODELS_DIR", str(tmp_path / "registry"))
        monkeypatch.setenv("DATABASE_URL", url)
        settings = HandoverSettings(
            database_url=url, rasa_url="http://127.0.0.1:9", rasa_token=TOKEN
        )
        with TestClient(create_app(settings)) as client:
            yield client, TrainerSettings(), url


def start_rollout(settings: TrainerSettings, url: str, model: Path) -> str:
    engine = make_engine(url)
    with session_scope(session_factory(engine)) as session:
        record = registry.import_model(session, settings, model, author="test")
        rollout.ensure_initial(session, record.id, by="test")
    engine.dispose()
    return record.id


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic x"}],
)
def test_only_the_rasa_servers_download_models(
    gateway: tuple[TestClient, TrainerSettings, str], headers: dict[str, str], tmp_path: Path
) -> None:
    client, settings, url = gateway
    start_rollout(settings, url, fake_model(tmp_path / "m.tar.gz", "live"))
    answer = client.get("/api/bot/models/a", headers=headers)
    assert answer.status_code == 401
    assert b"marker" not in answer.content


def test_no_rollout_yet_is_404(gateway: tuple[TestClient, TrainerSettings, str]) -> None:
    client, _, _ = gateway
    assert client.get("/api/bot/models/a", headers=BEARER).status_code == 404


@pytest.mark.parametrize("server", ["c", "A", "a/../b", "", "%00"])
def test_unknown_servers_are_refused(
    gateway: tuple[TestClient, TrainerSettings, str], server: str
) -> None:
    client, _, _ = gateway
    assert client.get(f"/api/bot/models/{server}", headers=BEARER).status_code in (404, 422)


def test_each_server_gets_its_model_once(
    gateway: tuple[TestClient, TrainerSettings, str], tmp_path: Path
) -> None:
    client, settings, url = gateway
    live = start_rollout(settings, url, fake_model(tmp_path / "m.tar.gz", "live"))

    first = client.get("/api/bot/models/b", headers=BEARER)
    assert first.status_code == 200
    assert first.headers["etag"] == live
    assert first.headers["filename"] == f"{live}.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(first.content), mode="r:gz") as archive:
        assert b"live" in archive.extractfile("metadata.json").read()  # type: ignore[union-attr]
    again = client.get("/api/bot/models/b", headers={**BEARER, "If-None-Match": live})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/bot/models/b", headers={**BEARER, "If-None-Match": "older"})
    assert other.status_code == 200


def test_a_published_candidate_goes_to_the_standby_server_only(
    gateway: tuple[TestClient, TrainerSettings, str], tmp_path: Path
) -> None:
    client, settings, url = gateway
    live = start_rollout(settings, url, fake_model(tmp_path / "m.tar.gz", "live"))
    engine = make_engine(url)
    with session_scope(session_factory(engine)) as session:
        candidate = registry.import_model(
            session, settings, fake_model(tmp_path / "c.tar.gz", "candidate"), author="test"
        ).id
        rollout.publish(session, candidate, share=0.5, by="test", force=True)
    engine.dispose()

    assert client.get("/api/bot/models/a", headers=BEARER).headers["etag"] == live
    assert client.get("/api/bot/models/b", headers=BEARER).headers["etag"] == candidate


def test_a_missing_file_is_404_not_500(
    gateway: tuple[TestClient, TrainerSettings, str], tmp_path: Path
) -> None:
    client, settings, url = gateway
    live = start_rollout(settings, url, fake_model(tmp_path / "m.tar.gz", "live"))
    (settings.models_dir / f"{live}.tar.gz").unlink()
    assert client.get("/api/bot/models/a", headers=BEARER).status_code == 404
