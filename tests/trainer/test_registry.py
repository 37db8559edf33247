"""The model registry (`trainer.registry`) on SQLite and PostgreSQL: files placed whole, records
with their evaluation read back, imports by sha256, and the data fingerprint."""

from __future__ import annotations

import hashlib
import re
import tarfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.training_fakes import evaluation, model_file, project, settings_for, verdict
from trainer import registry
from trainer.registry import RegistryError
from trainer.settings import TrainerSettings


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> TrainerSettings:  # noqa: F811
    return settings_for(tmp_path, db_url)


def test_a_trained_model_is_moved_in_and_recorded(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    tmp_path: Path,
) -> None:
    trained = model_file(tmp_path / "out" / "m.tar.gz")
    digest = hashlib.sha256(trained.read_bytes()).hexdigest()
    size = trained.stat().st_size

    record = registry.register(
        session, settings, file=trained, author="tess", source="trained",
        data_fingerprint="f" * 64, job_id="job-1", summary="macro 0.9",
    )  # fmt: skip

    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", record.id)
    assert not trained.exists()  # moved, not copied
    placed = registry.model_file(settings, record)
    assert placed == settings.models_dir / f"{record.id}.tar.gz"
    assert hashlib.sha256(placed.read_bytes()).hexdigest() == digest == record.sha256
    assert (record.size_bytes, record.author, record.source, record.job_id) == (
        size, "tess", "trained", "job-1",
    )  # fmt: skip
    assert [p.name for p in settings.models_dir.iterdir()] == [placed.name]  # no temp file left
    assert registry.get_model(session, record.id) == record
    assert registry.get_model(session, "nope") is None


def test_evaluation_and_verdict_are_read_back(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    tmp_path: Path,
) -> None:
    scored, judged = evaluation("m.tar.gz", 0.91), verdict(False)
    record = registry.register(
        session, settings, file=model_file(tmp_path / "m.tar.gz"), author="tess",
        source="trained", data_fingerprint="f" * 64, evaluation=scored, verdict=judged,
        evaluated_sets={"holdout": "abc"},
    )  # fmt: skip
    session.commit()

    found = registry.get_model(session, record.id)

    assert found is not None
    assert (found.evaluation, found.verdict) == (scored, judged)
    assert found.evaluated_sets == {"holdout": "abc"}
    # Judged later (the live model's evaluation, cached): a new evaluation, no verdict.
    rescored = evaluation("m.tar.gz", 0.7, ["holdout", "regression"])
    registry.set_evaluation(session, record.id, rescored, None, evaluated_sets={"x": "1"})
    again = registry.get_model(session, record.id)
    assert again is not None
    assert (again.evaluation, again.verdict, again.evaluated_sets) == (rescored, None, {"x": "1"})
    with pytest.raises(LookupError):
        registry.set_evaluation(session, "nope", rescored, None)


def test_models_are_listed_newest_first(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    tmp_path: Path,
) -> None:
    ids = []
    for n in range(3):
        path = model_file(tmp_path / f"{n}.tar.gz", content=str(n))
        ids.append(
            registry.register(
                session, settings, file=path, author="tess", source="imported",
                data_fingerprint="f" * 64, model_id=f"2026120{n}-000000-abcdef",
            ).id
        )  # fmt: skip
    assert [m.id for m in registry.list_models(session)] == ids[::-1]
    assert [m.id for m in registry.list_models(session, limit=2)] == ids[:0:-1]
    assert all(m.evaluation is None and m.verdict is None for m in registry.list_models(session))


def test_an_import_is_a_copy_registered_once(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    tmp_path: Path,
) -> None:
    original = model_file(tmp_path / "nimbus.tar.gz")

    first = registry.import_model(session, settings, original, author="make model")
    again = registry.import_model(session, settings, original, author="someone else")

    assert original.is_file()  # copied
    assert again == first and first.source == "imported"
    assert len(registry.list_models(session)) == 1
    fingerprint = registry.data_fingerprint(settings.config, settings.domain, settings.data_dir)
    assert first.data_fingerprint == fingerprint
    other = registry.import_model(
        session,
        settings,
        model_file(tmp_path / "b.tar.gz", "b"),
        author="ana",
        fingerprint="e" * 64,
    )
    assert other.id != first.id and other.data_fingerprint == "e" * 64


def test_what_is_not_a_model_is_refused(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    tmp_path: Path,
) -> None:
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"\x00not a gzip file")
    no_metadata = tmp_path / "empty.tar.gz"
    with tarfile.open(no_metadata, "w:gz"):
        pass
    for path, says in [
        (tmp_path / "missing.tar.gz", "is not a file"),
        (tmp_path, "is not a file"),
        (garbage, "is not a Rasa model"),
        (no_metadata, "has no metadata.json"),
    ]:
        with pytest.raises(RegistryError, match=says):
            registry.import_model(session, settings, path, author="tess")
    with pytest.raises(RegistryError, match="author"):
        registry.import_model(session, settings, model_file(tmp_path / "m.tar.gz"), author=" ")
    assert registry.list_models(session) == []
    assert not settings.models_dir.exists() or not any(settings.models_dir.iterdir())


def test_a_taken_id_keeps_the_first_file(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    tmp_path: Path,
) -> None:
    model_id = "20261201-000000-abcdef"
    first = model_file(tmp_path / "a.tar.gz", "a")
    registry.register(
        session, settings, file=first, author="tess", source="imported",
        data_fingerprint="f" * 64, model_id=model_id,
    )  # fmt: skip
    kept = (settings.models_dir / f"{model_id}.tar.gz").read_bytes()

    with pytest.raises(RegistryError, match="has a model 20261201-000000-abcdef.tar.gz already"):
        registry.register(
            session, settings, file=model_file(tmp_path / "b.tar.gz", "b"), author="tess",
            source="trained", data_fingerprint="f" * 64, model_id=model_id,
        )  # fmt: skip

    assert [p.name for p in settings.models_dir.iterdir()] == [f"{model_id}.tar.gz"]
    assert (settings.models_dir / f"{model_id}.tar.gz").read_bytes() == kept


def test_a_failed_insert_leaves_no_file(
    session: Session,  # noqa: F811
    settings: TrainerSettings,
    tmp_path: Path,
) -> None:
    with pytest.raises(RegistryError, match="author"):
        registry.register(
            session, settings, file=model_file(tmp_path / "m.tar.gz"), author="t" * 65,
            source="trained", data_fingerprint="f" * 64,
        )  # fmt: skip
    # The database refuses it (a source the table does not allow): the file goes again.
    with pytest.raises(Exception):  # noqa: B017  (the driver's own error)
        registry.register(
            session, settings, file=model_file(tmp_path / "m.tar.gz"), author="tess",
            source="borrowed",  # type: ignore[arg-type]
            data_fingerprint="f" * 64,
        )  # fmt: skip
    session.rollback()
    assert list(settings.models_dir.iterdir()) == []


def test_the_data_fingerprint_follows_what_training_reads(tmp_path: Path) -> None:
    config, domain, data = project(tmp_path)
    first = registry.data_fingerprint(config, domain, data)

    assert registry.data_fingerprint(config, domain, data) == first
    (data / "notes.txt").write_text("not training data")
    (data / "regression.jsonl").write_text("{}\n")
    assert registry.data_fingerprint(config, domain, data) == first
    # A copy elsewhere is the same data.
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in (config, domain):
        (copy / path.name).write_bytes(path.read_bytes())
    (copy / "data" / "nlu").mkdir(parents=True)
    (copy / "data" / "nlu" / "en.yml").write_bytes((data / "nlu" / "en.yml").read_bytes())
    assert (
        registry.data_fingerprint(copy / "config.yml", copy / "domain.yml", copy / "data") == first
    )

    changes = []
    (data / "nlu" / "en.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    - hello\n")
    changes.append(registry.data_fingerprint(config, domain, data))
    (data / "nlu" / "en.yml").rename(data / "nlu" / "fr.yml")  # same content, other name
    changes.append(registry.data_fingerprint(config, domain, data))
    (data / "rules.yaml").write_text("rules: []\n")
    changes.append(registry.data_fingerprint(config, domain, data))
    domain.write_text('version: "3.1"\nintents:\n  - greet\n  - bye\n')
    changes.append(registry.data_fingerprint(config, domain, data))
    # Content moved between files is another fingerprint: each file is named and sized.
    assert len({first, *changes}) == 5
