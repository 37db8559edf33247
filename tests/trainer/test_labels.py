"""Labelling (`trainer.labels`): checks before anything is written, then the writes, on copies of
the real data, the real domain and the real evaluation sets."""

from __future__ import annotations

import difflib
import hashlib
import json
import random
import shutil
import time
from datetime import datetime, timezone
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.loading import load_data

from trainer import nlu_data
from trainer.labels import (
    DEFAULT_EVALUATION_SETS,
    EvaluationIndex,
    LabelError,
    label,
    normal,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
SETS = {path.stem: path for path in DEFAULT_EVALUATION_SETS}


@pytest.fixture()
def project(tmp_path: Path) -> dict[str, Any]:
    """`label`'s keyword arguments on a copy of data/ and domain.yml."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    return {
        "data_dir": tmp_path / "data" / "nlu",
        "domain_path": tmp_path / "domain.yml",
        "evaluation_sets": DEFAULT_EVALUATION_SETS,
        "regression_path": tmp_path / "data" / "regression.jsonl",
        "author": "ana",
        "now": NOW,
    }


def _snapshot(project: dict[str, Any]) -> dict[str, str]:
    root = project["domain_path"].parent
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _example(project: dict[str, Any], language: str, intent: str) -> str:
    found = nlu_data.examples(project["data_dir"], [language])
    return next(e.text for e in found if e.intent == intent and len(e.text) > 15)


def _texts(path: Path, intent: str) -> list[str]:
    """The texts of `intent` (`faq/<topic>` included) in `path`, as Rasa reads them."""
    examples = load_data(str(path)).intent_examples
    return [
        m.get("text") for m in examples if intent in (m.get("intent"), m.get("intent_response_key"))
    ]


def test_accepted_texts_join_the_intent_and_the_regression_set(project: dict[str, Any]) -> None:
    texts = ["ma facture de juin me semble fausse 🙁", "pourquoi 2 prélèvements ce mois-ci ?"]
    result = label(texts, "check_bill_balance", "fr", **project)

    assert [o.status for o in result.outcomes] == ["added", "added"]
    assert result.file == project["data_dir"] / "fr" / "billing.yml"
    assert not result.domain_changed and not result.warnings
    assert set(texts) <= set(_texts(result.file, "check_bill_balance"))
    lines = project["regression_path"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "text": text,
            "intent": "check_bill_balance",
            "language": "fr",
            "labelled_at": "2024-05-01T10:00:00+00:00",
            "author": "ana",
        }
        for text in texts
    ]
    label(["la facture de mai aussi était fausse"], "check_bill_balance", "fr", **project)
    assert len(project["regression_path"].read_text(encoding="utf-8").splitlines()) == 3


def test_an_faq_topic_takes_examples_without_changing_the_domain(project: dict[str, Any]) -> None:
    domain = project["domain_path"].read_bytes()
    text = "la boutique de Lille ouvre à quelle heure demain matin"
    result = label([text], "faq/opening_hours", "fr", **project)
    assert result.file == project["data_dir"] / "fr" / "faq.yml"
    assert text in _texts(result.file, "faq/opening_hours")
    assert project["domain_path"].read_bytes() == domain


def test_an_example_of_another_intent_in_the_other_language_is_refused(
    project: dict[str, Any],
) -> None:
    english = _example(project, "en", "track_order")
    before = _snapshot(project)
    result = label([english.upper()], "check_bill_balance", "fr", **project)
    (outcome,) = result.outcomes
    assert outcome.status == "refused"
    assert outcome.reason.startswith("already an example of track_order (en, orders.yml)")
    assert _snapshot(project) == before


def test_an_example_of_the_same_intent_is_skipped_not_doubled(project: dict[str, Any]) -> None:
    french = _example(project, "fr", "reset_password")
    before = _snapshot(project)
    result = label([f"  {french.upper()} "], "reset_password", "fr", **project)
    assert [o.status for o in result.outcomes] == ["skipped"]
    assert "already an example of reset_password (fr" in result.outcomes[0].reason
    assert result.file is None and _snapshot(project) == before


def test_a_text_repeated_in_the_group_is_added_once(project: dict[str, Any]) -> None:
    texts = ["ma box clignote en rouge", "Ma box clignote en rouge !", "ma box clignote en rouge"]
    result = label(texts, "check_outage", "fr", **project)
    assert [o.status for o in result.outcomes] == ["added", "skipped", "skipped"]
    assert _texts(result.file, "check_outage").count(texts[0]) == 1


def _changed(text: str) -> str:
    """`text` with one letter changed near the middle (still a near-duplicate)."""
    middle = next(i for i in range(len(text) // 2, len(text)) if text[i].isalpha())
    return text[:middle] + ("x" if text[middle] != "x" else "y") + text[middle + 1 :]


@pytest.mark.parametrize("name", ["dev_fr", "holdout_fr", "dev", "holdout"])
def test_a_near_copy_of_an_evaluation_message_is_refused(
    project: dict[str, Any], name: str
) -> None:
    if not SETS[name].exists():
        pytest.skip(f"{SETS[name]} is not here")
    lines = SETS[name].read_text(encoding="utf-8").splitlines()
    message = next(
        json.loads(line)["text"] for line in lines if len(normal(json.loads(line)["text"])) >= 40
    )
    text = _changed(message)
    assert normal(text) != normal(message)
    before = _snapshot(project)
    language = "fr" if name.endswith("_fr") else "en"
    result = label([text], "out_of_scope", language, **project)
    (outcome,) = result.outcomes
    assert outcome.status == "refused", outcome.reason
    assert f"a message of the evaluation set {name} (" in outcome.reason
    assert message not in outcome.reason  # the evaluation message is never shown
    assert _snapshot(project) == before


def test_one_refused_text_holds_back_the_whole_group(project: dict[str, Any]) -> None:
    other = _example(project, "fr", "check_outage")
    texts = ["je veux payer ma facture en retard", other, "montant restant sur mon compte svp"]
    before = _snapshot(project)
    result = label(texts, "check_bill_balance", "fr", **project)
    assert [o.status for o in result.outcomes] == ["held", "refused", "held"]
    assert result.of("held")[0].reason == "not added: another text of the group was refused"
    assert _snapshot(project) == before


@pytest.mark.parametrize(
    "text",
    ["", "\t\n ", "x" * 10_000, "mon code \udcff est refusé", "bip\x07", "ok\u2029- intent: greet"],
    ids=["empty", "blank", "10000 characters", "lone surrogate", "bell", "paragraph separator"],
)
def test_hostile_texts_are_refused_and_nothing_changes(project: dict[str, Any], text: str) -> None:
    before = _snapshot(project)
    result = label(["un texte normal pour voir", text], "check_bill_balance", "fr", **project)
    assert [o.status for o in result.outcomes] == ["held", "refused"]
    assert result.outcomes[1].reason
    assert _snapshot(project) == before


def test_a_new_intent_goes_to_the_trainer_file_and_the_domain(project: dict[str, Any]) -> None:
    domain = project["domain_path"].read_text(encoding="utf-8")
    text = "we are moving house next month, can the broadband move with us"
    result = label([text], "move_house", "en", new_intent=True, **project)

    assert result.file == project["data_dir"] / "en" / nlu_data.TRAINER_FILE
    assert result.domain_changed
    now = project["domain_path"].read_text(encoding="utf-8")
    diff = difflib.ndiff(domain.splitlines(), now.splitlines())
    added = [line for line in diff if line[:2] in ("- ", "+ ", "? ")]
    assert added == ["+   - move_house"]
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(project["domain_path"]), training_data_paths=[str(project["data_dir"])]
    )
    assert "move_house" in importer.get_domain().intents
    assert text in [m.get("text") for m in importer.get_nlu_data().intent_examples]
    assert any("no fr examples of move_house" in w for w in result.warnings)
    again = label(["moving to a new flat, keep my line"], "move_house", "en", **project)
    assert again.file == result.file and not again.domain_changed
    french = label(["je déménage le mois prochain"], "move_house", "fr", **project)
    assert not french.domain_changed and not french.warnings


def test_a_new_faq_topic_needs_its_answer_in_the_domain(project: dict[str, Any]) -> None:
    with pytest.raises(LabelError, match="add utter_faq/gift_cards to the domain first"):
        label(["do you sell gift cards"], "faq/gift_cards", "en", new_intent=True, **project)
    with project["domain_path"].open("a", encoding="utf-8") as domain:
        domain.write('\n  utter_faq/gift_cards:\n    - text: "We do not sell gift cards."\n')
    before = project["domain_path"].read_bytes()
    result = label(["do you sell gift cards"], "faq/gift_cards", "en", new_intent=True, **project)
    assert result.file == project["data_dir"] / "en" / nlu_data.TRAINER_FILE
    assert project["domain_path"].read_bytes() == before  # `faq` is listed once


@pytest.mark.parametrize(
    ("intent", "new_intent", "message"),
    [
        ("cancel_everything", False, "unknown intent cancel_everything: label it as a new intent"),
        ("Move-House", True, "'Move-House' is not a name"),
        ("faq", False, "faq is answered by topic"),
        ("handback", False, "handback has no examples"),
        ("nlu_fallback", True, "one of Rasa's own intents"),
        ("faq/unicorns", True, "add utter_faq/unicorns"),
        ("../../etc", True, "is not a name"),
    ],
)
def test_intents_that_cannot_take_examples_are_refused(
    project: dict[str, Any], intent: str, new_intent: bool, message: str
) -> None:
    before = _snapshot(project)
    with pytest.raises(LabelError, match=message.replace("(", r"\(")):
        label(["some words here"], intent, "en", new_intent=new_intent, **project)
    assert _snapshot(project) == before


@pytest.mark.parametrize(
    ("texts", "language", "author", "message"),
    [
        ([], "en", "ana", "between 1 and 200 texts"),
        (["words"] * 201, "en", "ana", "between 1 and 200 texts"),
        ("a string", "en", "ana", "between 1 and 200 texts"),
        (["words"], "de", "ana", "language must be one of en, fr"),
        (["words"], "en", " ", "the author must be"),
        (["words"], "en", "ana\x1b[0m", "the author must be"),
    ],
)
def test_bad_requests_are_refused(
    project: dict[str, Any], texts: Any, language: str, author: str, message: str
) -> None:
    with pytest.raises(LabelError, match=message):
        label(texts, "greet", language, **{**project, "author": author})


def test_the_regression_set_is_not_training_data(project: dict[str, Any]) -> None:
    data = project["domain_path"].parent / "data"

    def count() -> int:
        importer = TrainingDataImporter.load_from_dict(
            domain_path=str(project["domain_path"]), training_data_paths=[str(data)]
        )
        return len(importer.get_nlu_data().intent_examples)

    before = count()
    label(["le site dit erreur 500 quand je paie"], "check_bill_balance", "fr", **project)
    assert project["regression_path"].parent == data
    with_regression = count()
    moved = project["regression_path"].rename(data.parent / "regression.jsonl")
    assert moved.read_text(encoding="utf-8").count("\n") == 1
    assert with_regression == count() == before + 1


def test_missing_and_malformed_evaluation_sets(project: dict[str, Any], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.jsonl"
    result = label(
        ["je veux un rib"], "check_bill_balance", "fr", **{**project, "evaluation_sets": [missing]}
    )
    assert result.of("added") and f"evaluation set {missing} not found" in result.warnings[0]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok"}\n{"words": "a secret evaluation message"}\n')
    with pytest.raises(LabelError, match="broken.jsonl line 2 is not a JSON object") as caught:
        label(
            ["encore un rib"],
            "check_bill_balance",
            "fr",
            **{**project, "evaluation_sets": [broken]},
        )
    assert "secret" not in str(caught.value)


def test_the_length_prefilter_misses_no_near_duplicate() -> None:
    """Against a plain scan of every evaluation message, on texts near and far from them."""
    present = [path for path in DEFAULT_EVALUATION_SETS if path.exists()]
    messages = [
        (p.stem, json.loads(line)["text"])
        for p in present
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    index = EvaluationIndex(messages)
    rng = random.Random(3)
    near = [_changed(text) for _, text in rng.sample(messages, 40) if len(normal(text)) >= 12]
    far = [
        nlu_data.clean_text(e.text)
        for e in rng.sample(nlu_data.examples(ROOT / "data" / "nlu"), 60)
    ]
    keys = [normal(text) for _, text in messages]
    for text in near + far:
        plain = any(
            SequenceMatcher(None, normal(text), key, autojunk=False).ratio() >= 0.9 for key in keys
        )
        assert (index.nearest(text) is not None) == plain, text
    assert sum(index.nearest(text) is not None for text in near) >= len(near) * 0.8


def test_two_hundred_texts_are_searched_in_seconds() -> None:
    index, _ = EvaluationIndex.load(DEFAULT_EVALUATION_SETS)
    known = nlu_data.examples(ROOT / "data" / "nlu")
    texts = [e.text for e in random.Random(5).sample(known, 200)]
    started = time.perf_counter()
    for text in texts:
        index.nearest(text)
    # About 0.5 s here (a plain scan: 30 s); the bound only catches losing the prefilter.
    assert time.perf_counter() - started < 8


def test_a_missing_folder_is_found_before_anything_is_written(project: dict[str, Any]) -> None:
    before = _snapshot(project)
    nowhere = project["domain_path"].parent / "nowhere" / "regression.jsonl"
    with pytest.raises(LabelError, match="no folder for one of"):
        label(
            ["ma facture svp"],
            "check_bill_balance",
            "fr",
            **{**project, "regression_path": nowhere},
        )
    assert _snapshot(project) == before
