"""Labelling: a trainer gives customer messages (already redacted) an intent, and they become
training examples, all of a group or none.

Refused: a text that cannot be an example (`nlu_data.clean_text`), one already an example of
another intent in either language (the model is one for both), one equal or close (`difflib`
ratio >= 0.9, both normalised) to an evaluation message, which training would leak. Skipped: one
already an example of the intent, or repeated in the group. Added texts also go to the
regression set (JSON lines beside the data; `rasa train` does not read them). A new intent needs
`new_intent`: a plain name is added to the domain; a new FAQ topic `faq/<topic>` must already
have its answer `utter_faq/<topic>` in the domain, which is not changed (it lists `faq` once).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from difflib import SequenceMatcher
from pathlib import Path
from typing import Literal

from rasa.shared.core.constants import DEFAULT_INTENTS

from reporting.bot_facts import normalised
from trainer import nlu_data
from trainer.nlu_data import LANGUAGES, Example, NluDataError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT / "data" / "nlu"
DEFAULT_DOMAIN = ROOT / "domain.yml"
DEFAULT_REGRESSION = ROOT / "data" / "regression.jsonl"
DEFAULT_EVALUATION_SETS = (
    ROOT.parent / "shared" / "eval" / "dev.jsonl",
    ROOT.parent / "shared" / "eval" / "dev_fr.jsonl",
    ROOT / "tests" / "data" / "holdout.jsonl",
    ROOT / "tests" / "data" / "holdout_fr.jsonl",
)
MAX_GROUP = 200
SIMILAR = 0.9
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}(/[a-z][a-z0-9_]{0,63})?")
_PUNCTUATION = re.compile(r"[^\w\s]")

Status = Literal["added", "skipped", "refused", "held"]  # held: fine, but the group was refused


class LabelError(ValueError):
    """The whole request is refused (unknown intent, bad name, bad group); nothing written."""


@dataclass(frozen=True)
class Outcome:
    """What became of one text, and why when it was not added."""

    text: str
    status: Status
    reason: str = ""


@dataclass(frozen=True)
class LabelResult:
    """The outcome of each text, where they went, and what the trainer should do next."""

    intent: str
    language: str
    outcomes: tuple[Outcome, ...]
    file: Path | None = None
    domain_changed: bool = False
    warnings: tuple[str, ...] = field(default=())

    def of(self, status: Status) -> list[Outcome]:
        """The outcomes with `status`, in the group's order."""
        return [outcome for outcome in self.outcomes if outcome.status == status]


def normal(text: str) -> str:
    """The form texts are compared in: `reporting.bot_facts.normalised` without punctuation (as
    tests/bot/test_training_data.py compares them, so that whatever it calls equal is)."""
    return normalised(_PUNCTUATION.sub(" ", text))


class EvaluationIndex:
    """The evaluation messages, normalised and sorted by length: a text is compared only with
    those of a length that can reach the ratio (2 * min / (a + b) >= 0.9)."""

    def __init__(self, messages: Iterable[tuple[str, str]]) -> None:
        self._exact: dict[str, str] = {}
        entries = []
        for name, text in messages:
            key = normal(text)
            self._exact.setdefault(key, name)
            entries.append((len(key), key, name))
        entries.sort()
        self._entries = entries
        self._lengths = [size for size, _, _ in entries]

    @classmethod
    def load(cls, paths: Iterable[Path]) -> tuple[EvaluationIndex, list[Path]]:
        """The index of the JSON-lines files of `paths` that exist, and those that do not."""
        found = [path for path in paths if path.exists()]
        messages = [(path.stem, text) for path in found for text in _jsonl_texts(path)]
        return cls(messages), [path for path in paths if not path.exists()]

    def nearest(self, text: str) -> tuple[str, float] | None:
        """(set name, ratio) of an evaluation message equal or similar to `text`, else None."""
        key = normal(text)
        if key in self._exact:
            return self._exact[key], 1.0
        low = bisect_left(self._lengths, -(-9 * len(key) // 11))
        high = bisect_right(self._lengths, 11 * len(key) // 9)
        matcher = SequenceMatcher(None, autojunk=False)  # autojunk would hide long near-copies
        matcher.set_seq2(key)  # the side SequenceMatcher indexes once
        for _, other, name in self._entries[low:high]:
            matcher.set_seq1(other)
            if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILAR:
                return name, ratio
        return None


def _jsonl_texts(path: Path) -> Iterator[str]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)["text"]
        except (ValueError, TypeError, KeyError):
            text = None
        if not isinstance(text, str):  # the line itself is evaluation data: not shown
            raise LabelError(f"{path} line {number} is not a JSON object with a text")
        yield text


def label(
    texts: Sequence[str],
    intent: str,
    language: str,
    *,
    data_dir: Path = DEFAULT_DATA_DIR,
    domain_path: Path = DEFAULT_DOMAIN,
    evaluation_sets: Sequence[Path] = DEFAULT_EVALUATION_SETS,
    regression_path: Path = DEFAULT_REGRESSION,
    author: str,
    new_intent: bool = False,
    now: datetime | None = None,
) -> LabelResult:
    """Add `texts` as `language` examples of `intent`, all or none (see the module's text).

    Raises:
        LabelError: the request as a whole is refused; nothing was written.
    """
    _check_request(texts, language, author)
    with _locked(data_dir):
        known = nlu_data.examples(data_dir)
        add_to_domain = _check_intent(intent, new_intent, domain_path, known)
        index, missing = EvaluationIndex.load(evaluation_sets)
        outcomes = _judge(texts, intent, known, index)
        notes = [f"evaluation set {path} not found: not checked against it" for path in missing]
        if any(outcome.status == "refused" for outcome in outcomes):
            outcomes = [_held(outcome) for outcome in outcomes]
        accepted = [outcome.text for outcome in outcomes if outcome.status == "added"]
        if not accepted:
            return LabelResult(intent, language, tuple(outcomes), warnings=tuple(notes))
        target = nlu_data.home_file(known, language, intent)
        target = target or data_dir / language / nlu_data.TRAINER_FILE
        writes = [(target, _or_refuse(nlu_data.with_examples, target, intent, accepted))]
        if add_to_domain:  # first: examples of an intent the domain lacks break training
            writes.insert(0, (domain_path, _or_refuse(nlu_data.with_intent, domain_path, intent)))
        stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        record = dict(
            intent=intent, language=language, labelled_at=stamp.isoformat(), author=author
        )
        writes.append((regression_path, _with_lines(regression_path, accepted, record)))
        if not all(path.parent.is_dir() for path, _ in writes):  # found now, not half-way
            raise LabelError(f"no folder for one of {', '.join(str(p) for p, _ in writes)}")
        for path, content in writes:
            nlu_data.write_atomic(path, content)
    notes += _advice(intent, language, known, add_to_domain)
    return LabelResult(intent, language, tuple(outcomes), target, add_to_domain, tuple(notes))


def _check_request(texts: Sequence[str], language: str, author: str) -> None:
    if isinstance(texts, str) or not 1 <= len(texts) <= MAX_GROUP:
        raise LabelError(f"give between 1 and {MAX_GROUP} texts (a list, one text each)")
    if language not in LANGUAGES:
        raise LabelError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if not author.strip() or len(author) > 100 or not author.isprintable():
        raise LabelError("the author must be a name of 1 to 100 printable characters")


def _check_intent(intent: str, new_intent: bool, domain_path: Path, known: list[Example]) -> bool:
    """Whether `intent` can take examples; True when it must be added to the domain."""
    if not INTENT_NAME.fullmatch(intent):
        raise LabelError(f"{intent!r} is not a name: a-z, 0-9 and _ (faq/<topic> for FAQs)")
    intents, responses = nlu_data.domain_facts(domain_path)
    base, _, topic = intent.partition("/")
    if any(name.startswith(f"utter_{intent}/") for name in responses):
        raise LabelError(f"{intent} is answered by topic: label with {intent}/<topic>")
    has_examples = any(example.intent == intent for example in known)
    if topic and (base not in intents or f"utter_{intent}" not in responses):
        raise LabelError(f"{intent} has no answer: add utter_{intent} to the domain first")
    if intent in intents or topic:
        if has_examples or new_intent:
            return False
        raise LabelError(f"{intent} has no examples yet: label it as a new intent to start them")
    if not new_intent:
        raise LabelError(f"unknown intent {intent}: label it as a new intent to create it")
    if intent in DEFAULT_INTENTS:
        raise LabelError(f"{intent} is one of Rasa's own intents: choose another name")
    return True


def _judge(
    texts: Sequence[str], intent: str, known: list[Example], index: EvaluationIndex
) -> list[Outcome]:
    owners: dict[str, list[Example]] = {}
    for example in known:
        owners.setdefault(normal(example.text), []).append(example)
    seen: set[str] = set()
    outcomes = []
    for raw in texts:
        try:
            text = nlu_data.clean_text(raw)
        except NluDataError as error:
            outcomes.append(Outcome(raw, "refused", str(error)))
            continue
        key = normal(text)
        found = owners.get(key, [])
        other = next((e for e in found if e.intent != intent), None)
        same = next((e for e in found if e.intent == intent), None)
        near = None if found or key in seen else index.nearest(text)
        if other:
            outcome = Outcome(text, "refused", f"already an example of {_where(other)}")
        elif same:
            outcome = Outcome(text, "skipped", f"already an example of {_where(same)}")
        elif key in seen:
            outcome = Outcome(text, "skipped", "repeated in this group")
        elif near:
            # Not the evaluation message itself: whoever reads this may not see it.
            leak = f"too close to a message of the evaluation set {near[0]} ({near[1]:.2f})"
            outcome = Outcome(text, "refused", leak)
        else:
            outcome = Outcome(text, "added")
            seen.add(key)
        outcomes.append(outcome)
    return outcomes


def _where(example: Example) -> str:
    return f"{example.intent} ({example.language}, {example.file.name})"


def _held(outcome: Outcome) -> Outcome:
    if outcome.status != "added":
        return outcome
    return Outcome(outcome.text, "held", "not added: another text of the group was refused")


def _or_refuse(change: Callable[..., str], path: Path, *args: object) -> str:
    try:
        return change(path, *args)
    except NluDataError as error:
        raise LabelError(str(error)) from error


def _with_lines(path: Path, texts: list[str], record: dict[str, str]) -> str:
    """The regression set with a line for each of `texts`."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = [json.dumps({"text": text, **record}, ensure_ascii=False) + "\n" for text in texts]
    return "".join([old, "\n" if old and not old.endswith("\n") else "", *lines])


def _advice(intent: str, language: str, known: list[Example], added: bool) -> list[str]:
    languages = {example.language for example in known if example.intent == intent} | {language}
    lacking = [other for other in LANGUAGES if other not in languages]
    notes = [f"no {other} examples of {intent} yet: the tests want both" for other in lacking]
    return notes + [f"new intent {intent}: add a rule or story for it"] * added


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """One labeller at a time: each reads the files, then replaces them."""
    if not data_dir.is_dir():
        raise LabelError(f"{data_dir} is not a folder")
    descriptor = os.open(data_dir, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
