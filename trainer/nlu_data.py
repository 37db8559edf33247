"""The NLU training files and the domain's intents, read and changed as a person would edit them.

Examples live in `data/nlu/<language>/*.yml` (Rasa 3.x YAML, `examples: |` literal blocks of
`- text` lines). Changes go through ruamel.yaml's round trip, so comments, key order and the
literal blocks stay; then each new file is checked before it is written: its lines against the
old ones (only lines added, none changed) and its examples as Rasa itself reads them (exactly the
new ones added). The domain is edited by inserting one line where ruamel.yaml says the intents
list ends, because ruamel 0.17 would rewrite other parts of it (`[{type: custom}]` becomes
`[type: custom]`, long flow lists lose their line break); the result is checked the same way.
Writes are atomic: a temporary file in the same folder (ending in `.tmp`, which Rasa does not
read), then `os.replace`.
"""

from __future__ import annotations

import difflib
import io
import os
import stat
import tempfile
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.entities_parser import ENTITY_REGEX, replace_entities
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

LANGUAGES = ("en", "fr")
TRAINER_FILE = "trainer.yml"  # where examples of intents without a block in a language go
MAX_TEXT = 500
NEW_FILE_MODE = 0o644


class NluDataError(ValueError):
    """A text or a file the training data cannot take; the message says why, for a person."""


@dataclass(frozen=True)
class Example:
    """One training example: its intent (`faq/<topic>` for retrieval intents), its text as Rasa
    reads it (entity annotations replaced by their text), its language and its file."""

    intent: str
    text: str
    language: str
    file: Path


def clean_text(text: str) -> str:
    """`text` as one example line: surrounding whitespace removed, line breaks and tabs folded
    into single spaces (the tokenizer splits on any whitespace, so nothing is lost).

    Raises:
        NluDataError: empty, over `MAX_TEXT` characters, or holding something a literal block
            or Rasa's reader cannot keep as typed.
    """
    if len(text) > 20 * MAX_TEXT:  # before looking at each character of a huge one
        raise NluDataError(f"too long: {len(text)} characters, at most {MAX_TEXT}")
    for position, character in enumerate(text):
        problem = _unholdable(character)
        if problem:
            raise NluDataError(f"{problem} (U+{ord(character):04X}) at position {position}")
    folded = " ".join(text.split())
    if not folded:
        raise NluDataError("empty text")
    if len(folded) > MAX_TEXT:
        raise NluDataError(f"too long: {len(folded)} characters, at most {MAX_TEXT}")
    if "\\u" in folded.casefold():
        # Rasa decodes \uXXXX escapes in files that are all ASCII (rasa.shared.utils.io.read_yaml)
        raise NluDataError("contains a \\u escape, which Rasa would read as another character")
    if folded.startswith("/"):
        raise NluDataError("starts with /, Rasa's syntax for a button's intent, not words")
    if ENTITY_REGEX.search(folded):
        raise NluDataError("contains [text](name), which Rasa reads as an entity annotation")
    return folded


def _unholdable(character: str) -> str:
    """Why a YAML literal block, or Rasa splitting it into lines, cannot hold `character`."""
    code = ord(character)
    if character in "\t\n\r":
        return ""  # folded into spaces
    if 0xD800 <= code <= 0xDFFF:
        return "invalid Unicode: a lone surrogate"
    if character in "\u2028\u2029":
        return "a line separator, which Rasa would read as a new example"
    if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
        return "a Unicode noncharacter"
    if unicodedata.category(character) == "Cc":
        return "a control character"
    if character == "\ufeff":
        return "a byte order mark"
    return ""


def examples(data_dir: Path, languages: Sequence[str] = LANGUAGES) -> list[Example]:
    """Every intent example of `data_dir/<language>/*.yml`, in file order."""
    found: list[Example] = []
    for language in languages:
        for path in sorted((data_dir / language).glob("*.yml")):
            for intent, text in _file_examples(path):
                found.append(Example(intent, text, language, path))
    return found


def _file_examples(path: Path) -> list[tuple[str, str]]:
    data = _read(path) or {}
    pairs = []
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block:
            for line in str(block.get("examples") or "").splitlines():
                if line.startswith("-"):  # as Rasa's reader: other lines are skipped
                    pairs.append((block["intent"], replace_entities(line[1:].strip())))
    return pairs


def home_file(known: Sequence[Example], language: str, intent: str) -> Path | None:
    """The file holding most `language` examples of `intent` in `known`, None if none does."""
    counts = Counter(e.file for e in known if e.intent == intent and e.language == language)
    return max(sorted(counts), key=counts.__getitem__) if counts else None


def with_examples(path: Path, intent: str, texts: Sequence[str]) -> str:
    """The content of `path` with `texts` (already `clean_text`) appended to the last block of
    `intent`; with a new block at the end when it has none, in a new file when there is none.

    Raises:
        NluDataError: the file cannot be changed that way (not `examples: |`, or the result
            would change more than the added lines).
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    yaml = _yaml()
    data = yaml.load(old) if old.strip() else None
    if data is None:
        data = CommentedMap([("version", DoubleQuotedScalarString("3.1")), ("nlu", None)])
    if not isinstance(data, CommentedMap):
        raise NluDataError(f"{path} is not a Rasa training data file")
    if texts:
        _append(data, intent, "".join(f"- {text}\n" for text in texts), path)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    new = buffer.getvalue()
    _check_only_added(old, new, path)
    before, after = _rasa_examples(old), _rasa_examples(new)
    wanted = Counter((intent, text) for text in texts)
    if len(after) != len(before) + len(texts) or Counter(after) - Counter(before) != wanted:
        raise NluDataError(f"Rasa would not read the new examples of {path} as written")
    return new


def _append(data: CommentedMap, intent: str, lines: str, path: Path) -> None:
    if data.get("nlu") is None:
        data["nlu"] = CommentedSeq()
    if not isinstance(data["nlu"], CommentedSeq):
        raise NluDataError(f"the `nlu:` of {path} is not a list")
    blocks = [b for b in data["nlu"] if isinstance(b, dict) and b.get("intent") == intent]
    if not blocks:
        block = CommentedMap([("intent", intent), ("examples", LiteralScalarString(lines))])
        data["nlu"].append(block)
        return
    current = blocks[-1].get("examples")
    if not isinstance(current, LiteralScalarString):
        raise NluDataError(f"the examples of {intent} in {path} are not an `examples: |` block")
    body = current.rstrip("\n")
    joined = f"{body}\n{lines.rstrip()}" if body else lines.rstrip()
    blocks[-1]["examples"] = LiteralScalarString(joined + current[len(body) :])


def _rasa_examples(content: str) -> list[tuple[str, str]]:
    if not content.strip():
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the comparison below is the check
        data = RasaYAMLReader().reads(content)
    return [
        (m.get(INTENT_RESPONSE_KEY) or m.get(INTENT), m.get(TEXT)) for m in data.intent_examples
    ]


def domain_facts(domain_path: Path) -> tuple[list[str], set[str]]:
    """The intents of the domain, and the names of its responses."""
    data = _read(domain_path) or {}
    intents = [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []]
    return intents, set(data.get("responses") or {})


def with_intent(domain_path: Path, intent: str) -> str:
    """The content of `domain_path` with `intent` added at the end of its `intents:` list, each
    other byte as it was.

    Raises:
        NluDataError: the list is not a block list the line can be added to.
    """
    old = domain_path.read_text(encoding="utf-8")
    data = _yaml().load(old)
    intents = data.get("intents") if isinstance(data, dict) else None
    if not isinstance(intents, CommentedSeq) or not intents or intents.fa.flow_style():
        raise NluDataError(f"{domain_path} has no `intents:` block list to add {intent} to")
    line, column = intents.lc.item(len(intents) - 1)
    lines = old.splitlines(keepends=True)
    prefix = lines[line][:column]
    if prefix.strip() != "-":
        raise NluDataError(f"the last intent of {domain_path} is not on a `- name` line")
    new = "".join(lines[: line + 1] + [f"{prefix}{intent}\n"] + lines[line + 1 :])
    before, after = _yaml("safe").load(old), _yaml("safe").load(new)
    expected = {**before, "intents": [*before["intents"], intent]}
    if after != expected:
        raise NluDataError(f"adding {intent} to {domain_path} would change more than its list")
    return new


def _check_only_added(old: str, new: str, path: Path) -> None:
    matcher = difflib.SequenceMatcher(
        None, old.splitlines(keepends=True), new.splitlines(keepends=True), autojunk=False
    )
    if any(tag not in ("equal", "insert") for tag, *_ in matcher.get_opcodes()):
        raise NluDataError(f"writing {path} would reformat it, not only add lines: edit by hand")


def write_atomic(path: Path, content: str) -> None:
    """Replace `path` with `content` (UTF-8) in one step, keeping the file's permissions."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else NEW_FILE_MODE
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> Any:
    return _yaml("safe").load(path.read_text(encoding="utf-8")) if path.exists() else None


def _yaml(typ: str = "rt") -> YAML:
    yaml = YAML(typ=typ)
    if typ == "rt":
        yaml.preserve_quotes = True
        yaml.width = 4096  # never fold a long line
        yaml.indent(mapping=2, sequence=2, offset=0)  # Rasa's own layout, as data/nlu is written
    return yaml
