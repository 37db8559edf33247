"""Rasa component: a second opinion, on meaning alone, before a business intent is acted on.

DIET leans on words and character n-grams, which is what keeps typos and SMS spellings
understood; it also makes it sure of itself on messages that share words with a request and
mean something else ("what items are on my amex card this month" → bill, "where would my
phone be" → order). A logistic regression on the multilingual sentence vectors alone has the
opposite bias. When DIET names a guarded intent but this classifier puts `out_of_scope` first
and gives DIET's intent less than `veto_below`, the message becomes `nlu_fallback`: the bot
asks the customer to rephrase instead of starting a flow they did not ask for.

Both conditions matter: the sentence vectors read misspelt French poorly, and on those the
regression's first choice is rarely `out_of_scope` (measured in docs/nlu.md).
The weights are stored as arrays (no pickle) and applied with NumPy.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"
_WEIGHTS = "weights.npz"
_CLASSES = "classes.json"


def sentence_vector(message: Message) -> np.ndarray | None:
    """The message's dense sentence features (the multilingual encoder's), or None."""
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        return None
    return np.asarray(sentence.features, dtype=np.float64).reshape(-1)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores."""
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class MeaningCheck(GraphComponent):
    """Turns a guarded intent into `nlu_fallback` when the meaning says out of scope."""

    @classmethod
    def required_components(cls) -> list[type]:
        # It belongs after FallbackClassifier (config.yml's order is the order of prediction),
        # but Rasa checks required components on the training graph, where that one has no node.
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "guarded_intents": [],
            "veto_below": 0.2,
            # Inverse regularisation of the regression, chosen on the dev sets (docs/nlu.md).
            "C": 4.0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        classes: list[str] | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._weights = weights
        self._bias = bias
        self._classes = classes or []

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        guarded = config.get("guarded_intents")
        if (
            not isinstance(guarded, list)
            or not guarded
            or not all(isinstance(n, str) for n in guarded)
        ):
            raise ValueError("MeaningCheck needs `guarded_intents`: a list of intent names")
        if not 0.0 < float(config.get("veto_below", 0)) < 1.0:
            raise ValueError("MeaningCheck: `veto_below` is a probability between 0 and 1")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MeaningCheck:
        cls.validate_config(config)
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the regression on the intent examples' sentence vectors and store it."""
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for example in training_data.intent_examples:
            vector = sentence_vector(example)
            if vector is not None:
                rows.append(vector)
                # A retrieval intent's examples are labelled `faq/topic`: the intent is `faq`.
                labels.append(str(example.get(INTENT)).split("/")[0])
        if OUT_OF_SCOPE not in labels:
            raise ValueError("MeaningCheck needs examples of the intent `out_of_scope`")
        regression = LogisticRegression(
            C=float(self._config["C"]), max_iter=3000, class_weight="balanced"
        ).fit(np.stack(rows), labels)
        self._weights, self._bias = regression.coef_, regression.intercept_
        self._classes = [str(name) for name in regression.classes_]
        with self._storage.write_to(self._resource) as directory:
            np.savez(directory / _WEIGHTS, weights=self._weights, bias=self._bias)
            (directory / _CLASSES).write_text(json.dumps(self._classes))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MeaningCheck:
        with model_storage.read_from(resource) as directory:
            arrays = np.load(directory / _WEIGHTS, allow_pickle=False)
            classes = json.loads((directory / _CLASSES).read_text())
            return cls(config, model_storage, resource, arrays["weights"], arrays["bias"], classes)

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        """The regression's probability of each intent for one sentence vector."""
        if self._weights is None or self._bias is None:
            return {}
        return dict(
            zip(self._classes, softmax(self._weights @ vector + self._bias).tolist(), strict=True)
        )

    def process(self, messages: list[Message]) -> list[Message]:
        guarded = set(self._config["guarded_intents"])
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            vector = sentence_vector(message) if intent in guarded else None
            if vector is None:
                continue
            probability = self.probabilities(vector)
            if not probability or max(probability, key=probability.__getitem__) != OUT_OF_SCOPE:
                continue
            kept = probability.get(intent, 0.0)
            if kept >= self._config["veto_below"]:
                continue
            logger.debug("meaning check: %s (%.2f) read as out of scope", intent, kept)
            fallback = {
                "name": DEFAULT_NLU_FALLBACK_INTENT_NAME,
                "confidence": probability[OUT_OF_SCOPE],
            }
            ranking = [fallback, *(message.get(INTENT_RANKING_KEY) or [])]
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
