"""How well a model understands: scored on the dev sets, the hold-outs and the regression set.

Scores are `../shared/eval/nlu_eval.py`'s, so that figures here and there agree: in-scope macro
accuracy (mean per-label recall), OOS false-accept (an out-of-scope message taken as a business
intent) and OOS handled (predicted `nlu_fallback` or `out_of_scope`). A trainer's `out_of_scope`
label means what the sets' "OOS" means, and a retrieval intent is judged on its topic
(`faq/roaming`) when the label names one, on `faq` otherwise.

The model is loaded in-process as Rasa's `Agent` loads it, and each distinct text is parsed once
by Rasa's `MessageProcessor.parse_message`, which `POST /model/parse` calls: the whole NLU
pipeline, FallbackClassifier and `nlu.guard.MeaningCheck` included, as customers get it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_REGRESSION = ROOT / "data" / "regression.jsonl"
REGRESSION = "regression"  # the name of the regression set
OOS = "OOS"
OUT_OF_SCOPE_LABELS = frozenset({OOS, "out_of_scope"})
# As nlu_eval.py: the intents that start a flow, which an out-of-scope message must not get.
BUSINESS = frozenset({"check_bill_balance", "reset_password", "track_order", "check_outage"})
HANDLED = frozenset({"nlu_fallback", "out_of_scope"})


class EvaluationError(ValueError):
    """A set cannot be read (missing, not UTF-8, a malformed line) or the model cannot be loaded."""


@dataclass(frozen=True)
class EvalSet:
    """A labelled set: JSON lines of {"text", "intent"}, "OOS" for out of scope."""

    name: str
    path: Path


@dataclass(frozen=True)
class Labelled:
    text: str
    intent: str


@dataclass(frozen=True)
class Miss:
    """A regression message the model got wrong."""

    text: str
    expected: str
    predicted: str


@dataclass(frozen=True)
class SetScore:
    """One set's scores; recalls are over in-scope labels, the OOS rates over OOS messages."""

    name: str
    n: int
    macro: float | None
    recall: dict[str, float]
    support: dict[str, int]
    oos_n: int
    oos_false_accept: float | None
    oos_handled: float | None
    confusions: dict[str, dict[str, int]]  # true label -> predicted -> count (errors only)
    misses: tuple[Miss, ...] = ()  # only for the regression set
    # Only for the regression set: which messages were scored, so that a later comparison can
    # tell the ones this model got right from those labelled after it was evaluated.
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """A model's scores on every set, and the seconds the whole took (load and parse)."""

    model: str
    sets: dict[str, SetScore]
    seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Evaluation:
        """The evaluation `to_json` wrote. Raises ValueError on anything else."""
        try:
            data = json.loads(text)
            sets = {name: _set_score(raw) for name, raw in data["sets"].items()}
            return cls(model=str(data["model"]), sets=sets, seconds=float(data["seconds"]))
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"not an evaluation: {error!r}") from error


def _set_score(raw: dict[str, Any]) -> SetScore:
    misses = tuple(Miss(**miss) for miss in raw.get("misses", ()))
    return SetScore(**{**raw, "misses": misses, "texts": tuple(raw.get("texts", ()))})


def default_sets(regression: Path = DEFAULT_REGRESSION) -> list[EvalSet]:
    """The dev sets (when `../shared/eval` is there), the hold-outs, and the regression set
    (once a trainer has labelled something)."""
    candidates = [
        EvalSet("dev", SHARED_EVAL / "dev.jsonl"),
        EvalSet("dev_fr", SHARED_EVAL / "dev_fr.jsonl"),
        EvalSet("holdout", ROOT / "tests" / "data" / "holdout.jsonl"),
        EvalSet("holdout_fr", ROOT / "tests" / "data" / "holdout_fr.jsonl"),
        EvalSet(REGRESSION, regression),
    ]
    required = {"holdout", "holdout_fr"}  # in the repository: their absence should be loud
    return [s for s in candidates if s.name in required or s.path.is_file()]


def configured_sets(named: Mapping[str, Path] | None, regression: Path) -> list[EvalSet]:
    """The sets a settings' `evaluation_sets` names, plus the regression set once there;
    `default_sets` when it names none."""
    if not named:
        return default_sets(regression)
    sets = [EvalSet(name, Path(path)) for name, path in named.items()]
    if REGRESSION not in named and regression.is_file():
        sets.append(EvalSet(REGRESSION, regression))
    return sets


def read_set(path: Path) -> list[Labelled]:
    """The labelled lines of a set; empty lines are skipped, anything malformed is an error."""
    try:
        raw_lines = path.read_bytes().splitlines()
    except OSError as error:
        raise EvaluationError(f"cannot read the set {path}: {error.strerror}") from error
    rows = []
    for number, raw in enumerate(raw_lines, start=1):
        if raw.strip():
            rows.append(_labelled(raw, f"{path}:{number}"))
    return rows


def _labelled(raw: bytes, where: str) -> Labelled:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise EvaluationError(f"{where}: not UTF-8 text") from error
    except json.JSONDecodeError as error:
        raise EvaluationError(f"{where}: not a JSON line ({error.msg})") from error
    if not isinstance(data, dict):
        raise EvaluationError(f'{where}: not a JSON object with "text" and "intent"')
    text, intent = data.get("text"), data.get("intent")
    for key, value in (("text", text), ("intent", intent)):
        if not isinstance(value, str) or not value.strip():
            raise EvaluationError(f'{where}: "{key}" must be a non-empty string')
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate escaped in the JSON
            raise EvaluationError(f'{where}: "{key}" is not valid Unicode') from error
    assert isinstance(text, str) and isinstance(intent, str)
    return Labelled(text, intent)


def is_right(expected: str, predicted: str) -> bool:
    """Whether `predicted` (an intent, or `faq/<topic>`) answers the label `expected`."""
    if expected in OUT_OF_SCOPE_LABELS:
        return predicted in HANDLED
    return expected in (predicted, predicted.split("/", 1)[0])


def score_set(
    name: str, rows: Sequence[Labelled], predicted: Mapping[str, str], *, keep_misses: bool = False
) -> SetScore:
    """Score `rows` given each text's predicted label; `keep_misses` for the regression set."""
    hits: Counter[str] = Counter()
    support: Counter[str] = Counter()
    confusions: defaultdict[str, Counter[str]] = defaultdict(Counter)
    oos_n = false_accepts = handled = 0
    misses = []
    for row in rows:
        guess = predicted[row.text]
        right = is_right(row.intent, guess)
        if row.intent in OUT_OF_SCOPE_LABELS:
            oos_n += 1
            false_accepts += guess.split("/", 1)[0] in BUSINESS
            handled += right
        else:
            support[row.intent] += 1
            hits[row.intent] += right
        if not right:
            confusions[row.intent][guess] += 1
            if keep_misses:
                misses.append(Miss(row.text, row.intent, guess))
    recall = {label: hits[label] / support[label] for label in sorted(support)}
    return SetScore(
        name=name,
        n=len(rows),
        macro=sum(recall.values()) / len(recall) if recall else None,
        recall=recall,
        support=dict(sorted(support.items())),
        oos_n=oos_n,
        oos_false_accept=false_accepts / oos_n if oos_n else None,
        oos_handled=handled / oos_n if oos_n else None,
        confusions={label: dict(c.most_common()) for label, c in sorted(confusions.items())},
        misses=tuple(misses),
        texts=tuple(row.text for row in rows) if keep_misses else (),
    )


def predicted_label(parse_data: Mapping[str, Any]) -> str:
    """The label of a `/model/parse` answer: `intent.name`, or its `faq/<topic>` when the
    response selector picked one; "none" for no intent (neither right nor handled)."""
    intent = parse_data.get("intent") or {}
    name = intent.get("full_retrieval_intent_name") or intent.get("name")
    return str(name) if name else "none"


def evaluate_model(model_path: Path, sets: Sequence[EvalSet]) -> Evaluation:
    """Score the model at `model_path` on `sets` (read first: a bad set fails before the slow
    model load). Synchronous; from a coroutine, prefer `asyncio.to_thread(evaluate_model, ...)`,
    as it blocks while it runs (about a minute for the default sets).

    Raises:
        EvaluationError: a set cannot be read, or the model file cannot be loaded.
    """
    if not sets or len({s.name for s in sets}) != len(sets):
        raise EvaluationError("give one set or more, each with a name of its own")
    rows = {s.name: read_set(s.path) for s in sets}
    if not model_path.is_file():
        raise EvaluationError(f"no model file {model_path}")
    texts = list(dict.fromkeys(row.text for set_rows in rows.values() for row in set_rows))
    started = time.perf_counter()
    predicted = predict(model_path, texts)
    seconds = time.perf_counter() - started
    scores = {
        name: score_set(name, set_rows, predicted, keep_misses=name == REGRESSION)
        for name, set_rows in rows.items()
    }
    return Evaluation(model=model_path.name, sets=scores, seconds=seconds)


def predict(model_path: Path, texts: Sequence[str]) -> dict[str, str]:
    """Each text's label from the model, loaded in-process for the call and released after."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: a plain synchronous caller
        return asyncio.run(_predict(model_path, texts))
    # Called from inside an event loop (whose thread this blocks): a loop cannot nest, so the
    # parsing gets a thread and a loop of its own.
    with ThreadPoolExecutor(1, thread_name_prefix="evaluate") as pool:
        return pool.submit(asyncio.run, _predict(model_path, texts)).result()


async def _predict(model_path: Path, texts: Sequence[str]) -> dict[str, str]:
    from rasa.core.channels import UserMessage  # here: importing Rasa takes seconds

    _quiet_rasa()
    try:
        processor = _load_processor(model_path)
    except Exception as error:  # Rasa raises many kinds for a file that is not a model
        raise EvaluationError(f"cannot load the model {model_path}: {error}") from error
    try:
        # What `Agent.parse_message` does, which /model/parse calls.
        return {
            text: predicted_label(await processor.parse_message(UserMessage(text)))
            for text in texts
        }
    finally:
        del processor
        gc.collect()  # the next model loaded in this process (the live one) reuses the memory


def _load_processor(model_path: Path) -> Any:
    """Rasa's `MessageProcessor` for the model, as `Agent.load` builds it, except that the
    prediction graph is cut to the nodes parsing needs (`minimal_graph_schema` of the NLU
    target): the dialogue policies, which no parse runs, are not loaded. TED alone took more
    than half of the load time (68 of 125 s, measured on models/nimbus.tar.gz) and its memory."""
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.shared.core.domain import Domain

    class ParsingProcessor(MessageProcessor):
        @staticmethod
        def _load_model(model_path: str | Path) -> tuple[str, Any, DaskGraphRunner]:
            # As rasa.engine.loader.load_predict_graph_runner, with the schema cut.
            with TemporaryDirectory() as unpacked:  # components are in memory once created
                storage, metadata = LocalModelStorage.from_model_archive(
                    storage_path=Path(unpacked), model_archive_path=Path(model_path)
                )
                schema = metadata.predict_schema.minimal_graph_schema([metadata.nlu_target])
                context = ExecutionContext(graph_schema=schema, model_id=metadata.model_id)
                runner = DaskGraphRunner.create(
                    graph_schema=schema, model_storage=storage, execution_context=context
                )
            return Path(model_path).name, metadata, runner

    return ParsingProcessor(
        model_path,
        tracker_store=InMemoryTrackerStore(Domain.empty()),
        lock_store=InMemoryLockStore(),
        generator=TemplatedNaturalLanguageGenerator({}),
    )


def _quiet_rasa() -> None:
    """Rasa's processor logs every parse, its text included, at debug level through structlog,
    which prints everything on stdout until someone configures it (Rasa's own command line
    does). When no one has, keep warnings and errors only, on stderr."""
    import structlog

    if not structlog.is_configured():
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        )
