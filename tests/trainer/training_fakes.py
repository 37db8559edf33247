"""Stand-ins for the training tests: a tiny Rasa-shaped model file, a fake `rasa` command, and
evaluation steps that score nothing. The real `rasa train` takes minutes: the lead's end-to-end
test runs it; these tests run everything around it."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from trainer.evaluation import EvalSet, Evaluation, SetScore
from trainer.gates import Check, Verdict
from trainer.settings import TrainerSettings
from trainer.training import Steps

# A `rasa` that prints what Rasa prints while training and writes a model at
# --out/--fixed-model-name.tar.gz. FAKE_RASA_MODE: "fail" (the finetune refusal), "sleep".
FAKE_RASA = """#!{python}
import io, json, os, sys, tarfile, time
args = sys.argv[1:]
mode = os.environ.get("FAKE_RASA_MODE", "")
record = os.environ.get("FAKE_RASA_RECORD")
if record:
    with open(record, "a") as stream:
        stream.write(json.dumps(args) + "\\n")
print("\\x1b[93mUserWarning: an utterance is not used\\x1b[0m")
print("2026-12-01 10:00:00 INFO rasa.engine.training.hooks - Restored component 'RegexFeaturizer' from cache.")
for n in range(0, 101, 25):
    print(f"Epochs: {{n}}%|###| {{n}}/100 [00:01<00:00, t_loss=1.0]", end="\\r", flush=True)
print()
print("2026-12-01 10:00:01 INFO rasa.engine.training.hooks - Finished training component 'DIETClassifier'.")
if mode == "sleep":
    time.sleep(60)
if mode == "fail":
    print("rasa.shared.exceptions.InvalidConfigException: Cannot finetune because keys that affect the training of core components have changed.")
    sys.exit(1)
out, name = args[args.index("--out") + 1], args[args.index("--fixed-model-name") + 1]
os.makedirs(out, exist_ok=True)
with tarfile.open(os.path.join(out, name + ".tar.gz"), "w:gz") as archive:
    data = json.dumps({{"trained": name}}).encode()
    info = tarfile.TarInfo("metadata.json")
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))
print("Your Rasa model is trained and saved at '" + out + "'.")
"""


def fake_rasa(folder: Path) -> Path:
    """An executable fake `rasa` in `folder`."""
    path = folder / "fake-rasa"
    path.write_text(FAKE_RASA.format(python=sys.executable), encoding="utf-8")
    path.chmod(0o755)
    return path


def model_file(path: Path, content: str = "a model") -> Path:
    """A file shaped like a Rasa model (a .tar.gz with metadata.json); `content` changes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        data = json.dumps({"content": content}).encode()
        info = tarfile.TarInfo("metadata.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def project(folder: Path) -> tuple[Path, Path, Path]:
    """A config, a domain and a data folder with one NLU file, in `folder`."""
    config, domain, data = folder / "config.yml", folder / "domain.yml", folder / "data"
    (data / "nlu").mkdir(parents=True)
    config.write_text(
        "pipeline:\n  - name: WhitespaceTokenizer\n  - name: A\n  - name: B\n"
        "  - name: FallbackClassifier\npolicies:\n  - name: C\n"
    )
    domain.write_text('version: "3.1"\nintents:\n  - greet\n')
    (data / "nlu" / "en.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    return config, domain, data


def settings_for(folder: Path, database_url: str, **changes: object) -> TrainerSettings:
    """Settings on `database_url` whose files, folders and `rasa` are all under `folder`."""
    config, domain, data = project(folder)
    regression = folder / "regression.jsonl"
    regression.write_text('{"text": "hi", "intent": "greet"}\n')
    values: dict[str, object] = {
        "database_url": database_url,
        "redis_url": None,
        "models_dir": folder / "registry",
        "work_dir": folder / "work",
        "config": config,
        "domain": domain,
        "data_dir": data,
        "regression_file": regression,
        "rasa": fake_rasa(folder),
    }
    return TrainerSettings(**{**values, **changes})


def score(name: str, macro: float | None, n: int = 10) -> SetScore:
    recall = {} if macro is None else {"greet": macro}
    return SetScore(name, n, macro, recall, {"greet": n}, 0, None, None, {})


def evaluation(model: str, macro: float, sets: Sequence[str] = ("holdout",)) -> Evaluation:
    return Evaluation(model, {name: score(name, macro) for name in sets}, 1.5)


def verdict(passed: bool) -> Verdict:
    check = Check("macro", "holdout", passed, 0.9, 0.8, ">= live - 0.005", "")
    return Verdict(passed, (check,), {})


@dataclass
class FakeSteps:
    """Evaluation steps that record their calls: each model scores `macros[its file name]`
    (0.5 when not given); the audit lines go to `audited`."""

    macros: dict[str, float] = field(default_factory=dict)
    live: str | None = None
    evaluated: list[str] = field(default_factory=list)
    audited: list[tuple[str, str | None]] = field(default_factory=list)
    fail_evaluation: bool = False

    def steps(self) -> Steps:
        return Steps(
            evaluation_sets=self.sets,
            evaluate=self.evaluate,
            judge=self.judge,
            audit=self.audit,
            live_model_id=self.live_model_id,
        )

    def sets(self, settings: TrainerSettings) -> list[EvalSet]:
        regression = settings.regression_file
        return [EvalSet("holdout", regression), EvalSet("regression", regression)]

    def evaluate(self, model: Path, sets: Sequence[EvalSet]) -> Evaluation:
        if self.fail_evaluation:
            raise ValueError("cannot load the model\nsecond line")
        self.evaluated.append(model.name)
        macro = self.macros.get(model.name, 0.5)
        return evaluation(model.name, macro, [each.name for each in sets])

    def judge(
        self, candidate: Evaluation, live: Evaluation | None, settings: TrainerSettings
    ) -> Verdict:
        before = live.sets["holdout"].macro if live else 0.0
        return verdict((candidate.sets["holdout"].macro or 0) >= (before or 0))

    def audit(self, db: Session, *, actor: str, action: str, **entry: object) -> None:
        json.dumps(entry.get("details"), allow_nan=False)  # as the real one: JSON or refused
        self.audited.append((action, entry.get("model_id")))  # type: ignore[arg-type]

    def live_model_id(self, db: Session) -> str | None:
        return self.live
