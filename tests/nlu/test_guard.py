"""The meaning check: a business intent DIET is sure of, overruled when the meaning says no."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.guard import MeaningCheck, softmax

CONFIG = {"guarded_intents": ["check_bill_balance"], "veto_below": 0.2, "C": 4.0}
# Three well-separated directions stand for the meanings the encoder would give.
MEANINGS = {"check_bill_balance": 0, "out_of_scope": 1, "faq": 2}


def vector(meaning: str, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.zeros(8)
    base[MEANINGS[meaning]] = 1.0
    return base + noise * rng.normal(size=8)


def message(text: str, meaning: str | None, intent: str | None = None, **data: Any) -> Message:
    made = Message(data={TEXT: text, **data})
    if intent is not None:
        made.set(INTENT, intent)
    if meaning is not None:
        features = vector(meaning, noise=0.1, seed=len(text))[None, :]
        made.add_features(Features(features, FEATURE_TYPE_SENTENCE, TEXT, "encoder"))
    return made


def training_data() -> TrainingData:
    examples = [
        message(f"{intent} example {i}", intent, intent)
        for intent in ("check_bill_balance", "out_of_scope")
        for i in range(12)
    ]
    examples += [message(f"faq example {i}", "faq", "faq/ask_wifi") for i in range(12)]
    return TrainingData(examples)


def predicted(meaning: str | None, intent: str, confidence: float = 0.99) -> Message:
    made = message("a customer's message", meaning)
    made.set(INTENT, {"name": intent, "confidence": confidence}, add_to_output=True)
    made.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}], add_to_output=True)
    return made


@pytest.fixture
def trained(tmp_path: Path) -> MeaningCheck:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("meaning_check")
    context = ExecutionContext(graph_schema=None, model_id="1")  # type: ignore[arg-type]
    check = MeaningCheck.create(CONFIG, storage, resource, context)
    check.train(training_data())
    return MeaningCheck.load(CONFIG, storage, resource, context)


def test_a_guarded_intent_that_means_something_else_becomes_a_fallback(
    trained: MeaningCheck,
) -> None:
    (result,) = trained.process([predicted("out_of_scope", "check_bill_balance")])

    assert result.get(INTENT)["name"] == "nlu_fallback"
    ranking = [entry["name"] for entry in result.get(INTENT_RANKING_KEY)]
    assert ranking == ["nlu_fallback", "check_bill_balance"]


def test_a_guarded_intent_whose_meaning_agrees_is_kept(trained: MeaningCheck) -> None:
    (result,) = trained.process([predicted("check_bill_balance", "check_bill_balance")])

    assert result.get(INTENT)["name"] == "check_bill_balance"


def test_only_an_out_of_scope_meaning_overrules(trained: MeaningCheck) -> None:
    # Misspelt messages read poorly as vectors: a meaning that only points elsewhere in scope
    # (here an FAQ) must not drop the intent DIET read from the words.
    (result,) = trained.process([predicted("faq", "check_bill_balance")])

    assert result.get(INTENT)["name"] == "check_bill_balance"


def test_intents_that_are_not_guarded_are_left_alone(trained: MeaningCheck) -> None:
    (result,) = trained.process([predicted("out_of_scope", "greet")])

    assert result.get(INTENT)["name"] == "greet"


def test_a_message_without_a_sentence_vector_is_left_alone(trained: MeaningCheck) -> None:
    (result,) = trained.process([predicted(None, "check_bill_balance")])

    assert result.get(INTENT)["name"] == "check_bill_balance"


def test_the_stored_regression_gives_the_probabilities_it_was_trained_to(
    trained: MeaningCheck,
) -> None:
    probabilities = trained.probabilities(vector("out_of_scope"))

    assert set(probabilities) == {"check_bill_balance", "out_of_scope", "faq"}
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert max(probabilities, key=probabilities.__getitem__) == "out_of_scope"


def test_softmax_is_stable_for_large_scores() -> None:
    assert softmax(np.array([1000.0, 1000.0])).tolist() == [0.5, 0.5]


@pytest.mark.parametrize(
    "config",
    [
        {"guarded_intents": [], "veto_below": 0.2},
        {"guarded_intents": "check_bill_balance", "veto_below": 0.2},
        {"guarded_intents": ["check_bill_balance"], "veto_below": 1.5},
    ],
)
def test_a_config_that_guards_nothing_or_cannot_veto_is_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="MeaningCheck"):
        MeaningCheck.validate_config(config)


def test_training_without_out_of_scope_examples_is_refused(tmp_path: Path) -> None:
    check = MeaningCheck(CONFIG, LocalModelStorage(tmp_path), Resource("meaning_check"))
    data = TrainingData(
        [message(f"bill {i}", "check_bill_balance", "check_bill_balance") for i in range(3)]
    )

    with pytest.raises(ValueError, match="out_of_scope"):
        check.train(data)
