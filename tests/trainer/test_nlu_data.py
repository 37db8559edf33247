"""The training files as `trainer.nlu_data` reads and changes them: on copies of the real data."""

from __future__ import annotations

import difflib
import re
import shutil
import stat
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.loading import load_data
from ruamel.yaml import YAML

from trainer import nlu_data
from trainer.nlu_data import NluDataError

ROOT = Path(__file__).resolve().parents[2]
NEW_FR = ["ma facture est passée à 45 € 😡 pourquoi ?", "c'est quoi ce prélèvement de trop là"]


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data" / "nlu", tmp_path / "nlu")
    return tmp_path / "nlu"


def _added_lines(old: str, new: str) -> list[str]:
    """The lines `new` adds to `old`; fails when it removes or changes any."""
    changes = [
        line
        for line in difflib.ndiff(old.splitlines(), new.splitlines())
        if line[:2] in ("- ", "+ ", "? ")
    ]
    assert all(line.startswith("+ ") for line in changes), changes
    return [line[2:] for line in changes]


def _intent_texts(path: Path, intent: str) -> list[str]:
    return [
        m.get("text") for m in load_data(str(path)).intent_examples if m.get("intent") == intent
    ]


def test_nothing_added_keeps_every_file_byte_identical(data_dir: Path) -> None:
    files = sorted(data_dir.glob("*/*.yml"))
    assert len(files) >= 18
    for path in files:
        intent = next(e.intent for e in nlu_data.examples(data_dir) if e.file == path)
        assert nlu_data.with_examples(path, intent, []) == path.read_text(encoding="utf-8")


def test_added_examples_keep_comments_and_order_and_rasa_reads_them(data_dir: Path) -> None:
    path = data_dir / "fr" / "billing.yml"
    old = path.read_text(encoding="utf-8")
    before = _intent_texts(path, "check_bill_balance")
    assert not set(NEW_FR) & set(before)

    nlu_data.write_atomic(path, nlu_data.with_examples(path, "check_bill_balance", NEW_FR))

    new = path.read_text(encoding="utf-8")
    assert _added_lines(old, new) == [f"    - {text}" for text in NEW_FR]
    assert "😡" in new and "prélèvement" in new  # as typed, not escaped
    after = _intent_texts(path, "check_bill_balance")
    assert sorted(after) == sorted(before + NEW_FR)  # accents and emoji as written
    assert [line for line in new.splitlines() if line.lstrip().startswith("#")] == [
        line for line in old.splitlines() if line.lstrip().startswith("#")
    ]


def test_the_last_block_of_the_intent_takes_the_examples(data_dir: Path) -> None:
    path = data_dir / "fr" / "core.yml"
    old = path.read_text(encoding="utf-8")
    new = nlu_data.with_examples(path, "greet", ["coucou la compagnie"])
    position = new.splitlines().index("    - coucou la compagnie")
    blocks = [n for n, line in enumerate(new.splitlines()) if line == "- intent: greet"]
    assert len(blocks) > 1 and blocks[-1] < position
    assert len(new.splitlines()) == len(old.splitlines()) + 1


def test_an_intent_without_a_file_gets_a_new_trainer_file(data_dir: Path) -> None:
    path = data_dir / "en" / nlu_data.TRAINER_FILE
    nlu_data.write_atomic(path, nlu_data.with_examples(path, "move_house", ["i am moving house"]))
    assert path.read_text(encoding="utf-8").startswith('version: "3.1"\nnlu:\n- intent: move_house')
    nlu_data.write_atomic(path, nlu_data.with_examples(path, "pause_line", ["pause my line 🙏"]))
    assert _intent_texts(path, "move_house") == ["i am moving house"]
    assert _intent_texts(path, "pause_line") == ["pause my line 🙏"]
    assert stat.S_IMODE(path.stat().st_mode) == nlu_data.NEW_FILE_MODE


def test_examples_of_both_languages_are_listed_as_rasa_reads_them(data_dir: Path) -> None:
    found = nlu_data.examples(data_dir)
    assert {e.language for e in found} == {"en", "fr"}
    assert all(e.file.parent.name == e.language for e in found)
    annotated = [e for e in found if "SW1A 1AA" in e.text]
    assert annotated and all("](" not in e.text for e in annotated)  # [SW1A 1AA](postcode)
    home = nlu_data.home_file(found, "fr", "request_human")
    assert home == data_dir / "fr" / "human.yml"
    assert nlu_data.home_file(found, "fr", "no_such_intent") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (" \n\t ", "empty"),
        ("a" * 10_000, "too long: 10000 characters"),
        ("bonjour \ud83d", "lone surrogate"),
        ("nul\x00byte", "control character (U+0000)"),
        ("\x1b[2Jcleared", "control character (U+001B)"),
        ("\x85- intent: greet", "control character (U+0085)"),
        ("one\u2028- two", "line separator"),
        ("\ufeffhello", "byte order mark"),
        ("odd \ufffe", "noncharacter"),
        ("caf\\u00e9", "\\u escape"),
        ("my [bill](account_number) please", "entity annotation"),
        ("/restart", "starts with /"),
    ],
)
def test_texts_an_example_cannot_hold_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(NluDataError, match=re.escape(message)):
        nlu_data.clean_text(text)


def test_line_breaks_fold_so_an_injection_stays_one_example(data_dir: Path) -> None:
    injection = 'ok\n- intent: greet\n  examples: |\n    - pwned\nversion: "9"\r\n\tnlu: []'
    text = nlu_data.clean_text(injection)
    assert text == 'ok - intent: greet examples: | - pwned version: "9" nlu: []'
    path = data_dir / "en" / "core.yml"
    old = path.read_text(encoding="utf-8")
    nlu_data.write_atomic(path, nlu_data.with_examples(path, "affirm", [text]))
    assert _added_lines(old, path.read_text(encoding="utf-8")) == [f"    - {text}"]
    assert set(YAML(typ="safe").load(path)) == {"version", "nlu"}
    assert text in _intent_texts(path, "affirm")


def test_a_file_in_another_layout_is_refused_not_reformatted(tmp_path: Path) -> None:
    path = tmp_path / "indented.yml"
    path.write_text('version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - hi\n')
    with pytest.raises(NluDataError, match="reformat"):
        nlu_data.with_examples(path, "greet", ["hello"])


def test_a_block_that_is_not_literal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "quoted.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: "- hi\\n"\n')
    with pytest.raises(NluDataError, match="not an `examples: |` block"):
        nlu_data.with_examples(path, "greet", ["hello"])


def test_a_new_intent_is_one_line_more_in_the_domain(tmp_path: Path) -> None:
    path = tmp_path / "domain.yml"
    shutil.copy(ROOT / "domain.yml", path)
    old = path.read_text(encoding="utf-8")
    nlu_data.write_atomic(path, nlu_data.with_intent(path, "move_house"))
    assert _added_lines(old, path.read_text(encoding="utf-8")) == ["  - move_house"]
    intents, responses = nlu_data.domain_facts(path)
    assert intents[-1] == "move_house" and "utter_faq/roaming" in responses
    assert "move_house" in Domain.load(str(path)).intents


def test_a_flow_list_of_intents_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "domain.yml"
    path.write_text('version: "3.1"\nintents: [greet, goodbye]\n')
    with pytest.raises(NluDataError, match="no `intents:` block list"):
        nlu_data.with_intent(path, "move_house")


def test_atomic_writes_keep_the_mode_and_leave_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "file.yml"
    path.write_text("old\n")
    path.chmod(0o640)
    nlu_data.write_atomic(path, "new é\n")
    assert path.read_text(encoding="utf-8") == "new é\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["file.yml"]
