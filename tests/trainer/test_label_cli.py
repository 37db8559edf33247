"""`python -m trainer label` (`trainer.label_cli`): what it prints and its exit status, on copies
of the real data."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from trainer import label_cli, nlu_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def paths(tmp_path: Path) -> list[str]:
    """The path options of a copy of data/ and domain.yml."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    return [
        f"--data-dir={tmp_path / 'data' / 'nlu'}",
        f"--domain={tmp_path / 'domain.yml'}",
        f"--regression-file={tmp_path / 'data' / 'regression.jsonl'}",
    ]


def _run(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer")
    label_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return label_cli.run(parser.parse_args(arguments))


def _label(paths: list[str], *arguments: str) -> list[str]:
    return ["label", *paths, "--author=ana", *arguments]


def test_added_texts_exit_0_and_are_listed(
    paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = ["mon prélèvement a échoué, je dois combien ?", "j'ai reçu une relance 😬"]
    code = _run(_label(paths, "--language=fr", "--intent=check_bill_balance", *texts))
    out = capsys.readouterr().out
    assert code == 0
    assert [line.split(None, 1)[0] for line in out.splitlines()[:2]] == ["added", "added"]
    assert f"2 added to {tmp_path / 'data' / 'nlu' / 'fr' / 'billing.yml'}" in out
    regression = (tmp_path / "data" / "regression.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["text"] for line in regression.splitlines()] == texts


def test_texts_from_a_file_and_all_skipped_exit_0(
    paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = [
        e.text for e in nlu_data.examples(ROOT / "data" / "nlu", ["en"]) if e.intent == "thank"
    ]
    listed = tmp_path / "texts.txt"
    listed.write_text(f"{known[0]}\n\n{known[1]}\n", encoding="utf-8")
    code = _run(_label(paths, "--language=en", "--intent=thank", f"--file={listed}"))
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("skipped") == 2 and "every text is an example already" in out
    assert not (tmp_path / "data" / "regression.jsonl").exists()


def test_a_refused_text_exits_1_and_writes_nothing(
    paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    greeting = next(
        e.text for e in nlu_data.examples(ROOT / "data" / "nlu", ["fr"]) if e.intent == "greet"
    )
    billing = tmp_path / "data" / "nlu" / "fr" / "billing.yml"
    before = billing.read_bytes()
    code = _run(
        _label(paths, "--language=fr", "--intent=check_bill_balance", "ma facture", greeting)
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "already an example of greet (fr" in out
    assert "nothing written" in out and billing.read_bytes() == before


def test_an_unknown_intent_exits_1_and_a_new_one_exits_0(
    paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--language=en", "--intent=move_house", "i'm moving house, what about my line"]
    assert _run(_label(paths, *arguments)) == 1
    assert "unknown intent move_house: label it as a new intent" in capsys.readouterr().err
    assert _run(_label(paths, *arguments, "--new-intent")) == 0
    out = capsys.readouterr().out
    assert "move_house added to the domain's intents" in out
    assert "note: no fr examples of move_house yet" in out
    assert "  - move_house\n" in (tmp_path / "domain.yml").read_text(encoding="utf-8")


def test_hostile_text_is_printed_escaped(
    paths: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(_label(paths, "--language=en", "--intent=greet", "hi\x1b[2J\udcff"))
    out = capsys.readouterr().out
    assert code == 1
    assert '"hi\\u001b[2J\\udcff": a control character (U+001B) at position 2' in out
    assert "\x1b" not in out


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--file=/nonexistent/texts.txt"],
        ["--file={latin1}"],
        ["--file={latin1}", "and a text"],
        ["--file={empty}"],
    ],
    ids=["no text", "missing file", "not UTF-8", "file and texts", "empty file"],
)
def test_bad_arguments_exit_2(
    paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    (tmp_path / "latin1.txt").write_bytes("facture réglée\n".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("\n  \n")
    names = {"latin1": tmp_path / "latin1.txt", "empty": tmp_path / "empty.txt"}
    filled = [argument.format(**names) for argument in arguments]
    assert _run(_label(paths, "--language=fr", "--intent=check_bill_balance", *filled)) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_missing_data_folder_and_argparse_errors_exit_2(
    paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = [f"--data-dir={tmp_path / 'nowhere'}", *paths[1:]]
    assert _run(_label(elsewhere, "--language=fr", "--intent=greet", "salut")) == 2
    with pytest.raises(SystemExit) as exit_:
        _run(_label(paths, "--language=de", "--intent=greet", "hallo"))
    assert exit_.value.code == 2
