"""The model registry: every model the bot may serve, as `<id>.tar.gz` in the settings'
`models_dir`, with a row in `bot_models` (`trainer.tables`): its sha256 (the model server's
ETag), the fingerprint of what trained it, its author and date, its evaluation and verdict.

The `evaluation` column holds one JSON object: the evaluation (`trainer.evaluation`), the
verdict against the live model of its day (`trainer.gates`), and the sha256 of each evaluation
set it was scored on, so that a cached evaluation is used only while its sets are unchanged.
The `verdict` column keeps "pass"/"fail" alone, for queries.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handover.models import utcnow
from trainer.evaluation import Evaluation
from trainer.gates import Verdict
from trainer.settings import TrainerSettings
from trainer.tables import BOT_MODELS, MAX_BY

Source = Literal["trained", "imported"]
SUFFIX = ".tar.gz"
DATA_SUFFIXES = (".yml", ".yaml")
CHUNK = 1 << 20


class RegistryError(ValueError):
    """A model cannot be registered (not a Rasa model file, bad author)."""


@dataclass(frozen=True)
class ModelRecord:
    """A registered model; `evaluated_sets` names the sets of `evaluation` and their sha256."""

    id: str
    file: str
    sha256: str
    data_fingerprint: str
    size_bytes: int
    author: str
    created_at: datetime
    source: Source
    job_id: str | None
    evaluation: Evaluation | None
    verdict: Verdict | None
    summary: str | None
    evaluated_sets: dict[str, str] = field(default_factory=dict)


def new_id(now: datetime | None = None) -> str:
    """A new model or job id: its UTC time and a random suffix, e.g. "20261129-131700-3f2a9c"."""
    return f"{(now or utcnow()):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def file_sha256(path: Path) -> str:
    """The sha256 of the file at `path`, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def data_fingerprint(config: Path, domain: Path, data_dir: Path) -> str:
    """The sha256 of what a training reads: the config, the domain and every YAML file under
    `data_dir`, each named (data files by their path relative to it, sorted) and sized."""
    files = [("config", config), ("domain", domain)]
    found = (p for p in data_dir.rglob("*") if p.suffix in DATA_SUFFIXES and p.is_file())
    files += sorted((f"data/{p.relative_to(data_dir).as_posix()}", p) for p in found)
    digest = hashlib.sha256()
    for name, path in files:
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def register(
    db: Session,
    settings: TrainerSettings,
    *,
    file: Path,
    author: str,
    source: Source,
    data_fingerprint: str,
    job_id: str | None = None,
    evaluation: Evaluation | None = None,
    verdict: Verdict | None = None,
    summary: str | None = None,
    evaluated_sets: Mapping[str, str] | None = None,
    model_id: str | None = None,
) -> ModelRecord:
    """Put the model `file` in the registry (a trained one is moved, an imported one copied;
    the registry's file appears whole or not at all) and add its row to `db`'s transaction."""
    _check_model_file(file)
    _check_author(author)
    model_id = model_id or new_id()
    target = settings.models_dir / f"{model_id}{SUFFIX}"
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    _place(file, target, move=source == "trained")
    try:
        row = {
            "id": model_id,
            "file": target.name,
            "sha256": file_sha256(target),
            "data_fingerprint": data_fingerprint,
            "size_bytes": target.stat().st_size,
            "author": author,
            "created_at": utcnow(),
            "source": source,
            "job_id": job_id,
            "summary": summary,
            **_evaluation_columns(evaluation, verdict, evaluated_sets),
        }
        db.execute(BOT_MODELS.insert().values(**row))
        db.flush()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return _record(row)


def import_model(
    db: Session,
    settings: TrainerSettings,
    path: Path,
    *,
    author: str,
    fingerprint: str | None = None,
) -> ModelRecord:
    """Register a copy of the model file at `path` (e.g. what `make model` trained), or return
    the record of the same file (by sha256) registered already. Its data fingerprint is that of
    the settings' config, domain and data unless given."""
    _check_model_file(path)
    existing = db.execute(select(BOT_MODELS).where(BOT_MODELS.c.sha256 == file_sha256(path)))
    if (found := existing.mappings().first()) is not None:
        return _record(found)
    fingerprint = fingerprint or data_fingerprint(
        settings.config, settings.domain, settings.data_dir
    )
    return register(
        db, settings, file=path, author=author, source="imported", data_fingerprint=fingerprint
    )


def get_model(db: Session, model_id: str) -> ModelRecord | None:
    """The model `model_id`, or None."""
    row = db.execute(select(BOT_MODELS).where(BOT_MODELS.c.id == model_id)).mappings().first()
    return None if row is None else _record(row)


def list_models(db: Session, limit: int = 50) -> list[ModelRecord]:
    """The `limit` newest models, newest first."""
    order = (BOT_MODELS.c.created_at.desc(), BOT_MODELS.c.id.desc())
    query = select(BOT_MODELS).order_by(*order).limit(max(limit, 0))
    return [_record(row) for row in db.execute(query).mappings()]


def model_file(settings: TrainerSettings, record: ModelRecord) -> Path:
    """Where the model's file is."""
    return settings.models_dir / record.file


def set_evaluation(
    db: Session,
    model_id: str,
    evaluation: Evaluation,
    verdict: Verdict | None,
    *,
    evaluated_sets: Mapping[str, str] | None = None,
) -> None:
    """Store a (new) evaluation of the model and its verdict (None: not judged)."""
    columns = _evaluation_columns(evaluation, verdict, evaluated_sets)
    found = db.execute(update(BOT_MODELS).where(BOT_MODELS.c.id == model_id).values(**columns))
    if found.rowcount != 1:
        raise LookupError(f"no model {model_id!r}")


def sets_sha256(paths: Iterable[tuple[str, Path]]) -> dict[str, str]:
    """The sha256 of each named evaluation set's file: what a cached evaluation is keyed by."""
    return {name: file_sha256(path) for name, path in paths}


def _check_model_file(path: Path) -> None:
    if not path.is_file():
        raise RegistryError(f"{path} is not a file")
    try:
        with tarfile.open(path, "r:gz") as archive:
            names = set(archive.getnames())
    except (tarfile.TarError, OSError, EOFError) as error:
        raise RegistryError(f"{path} is not a Rasa model (a .tar.gz): {error}") from None
    if "metadata.json" not in names:
        raise RegistryError(f"{path} is not a Rasa model: it has no metadata.json")


def _check_author(author: str) -> None:
    if not author.strip() or len(author) > MAX_BY:
        raise RegistryError(f"author must be a username of 1 to {MAX_BY} characters")


def _place(source: Path, target: Path, *, move: bool) -> None:
    """`source` at `target`, appearing whole (written beside it, synced, then linked: a file
    already there is never replaced)."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        if move and source.stat().st_dev == target.parent.stat().st_dev:
            os.replace(source, temporary)
        else:
            shutil.copyfile(source, temporary)
        with temporary.open("rb") as stream:
            os.fsync(stream.fileno())
        os.link(temporary, target)
    except FileExistsError:
        raise RegistryError(f"the registry has a model {target.name} already") from None
    finally:
        temporary.unlink(missing_ok=True)
    if move:
        source.unlink(missing_ok=True)


def _evaluation_columns(
    evaluation: Evaluation | None, verdict: Verdict | None, sets: Mapping[str, str] | None
) -> dict[str, str | None]:
    if evaluation is None:
        return {"evaluation": None, "verdict": None}
    stored: dict[str, Any] = {
        "evaluation": json.loads(evaluation.to_json()),
        "verdict": None if verdict is None else json.loads(verdict.to_json()),
        "sets_sha256": dict(sets or {}),
    }
    passed = None if verdict is None else ("pass" if verdict.passed else "fail")
    return {"evaluation": json.dumps(stored), "verdict": passed}


def _record(row: Mapping[str, Any]) -> ModelRecord:
    evaluation, verdict, sets = _parsed(row["evaluation"])
    return ModelRecord(
        id=row["id"],
        file=row["file"],
        sha256=row["sha256"],
        data_fingerprint=row["data_fingerprint"],
        size_bytes=row["size_bytes"],
        author=row["author"],
        created_at=row["created_at"],
        source=row["source"],
        job_id=row["job_id"],
        evaluation=evaluation,
        verdict=verdict,
        summary=row["summary"],
        evaluated_sets=sets,
    )


def _parsed(text: str | None) -> tuple[Evaluation | None, Verdict | None, dict[str, str]]:
    if not text:
        return None, None, {}
    stored = json.loads(text)
    evaluation = Evaluation.from_json(json.dumps(stored["evaluation"]))
    verdict = stored.get("verdict")
    parsed = None if verdict is None else Verdict.from_json(json.dumps(verdict))
    return evaluation, parsed, dict(stored.get("sets_sha256") or {})
