"""Rasa dense featurizer: all-MiniLM-L6-v2 vectors for each token and for the whole message.

Sentence embeddings let the classifiers recognise paraphrases that share no word with the
training examples ("you have my gratitude" / "thanks a lot"); the sparse n-gram featurizers
beside it keep typos and exact keywords covered.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.minilm import Encoded, shared_encoder

ATTRIBUTES = (TEXT, RESPONSE)


def token_vectors(encoded: Encoded, spans: list[tuple[int, int]]) -> np.ndarray:
    """One vector per (whitespace) token: the mean of the wordpieces inside its span."""
    out = np.zeros((len(spans), encoded.vectors.shape[1]), dtype=np.float32)
    for row, (start, end) in enumerate(spans):
        inside = [k for k, (s, e) in enumerate(encoded.spans) if s < end and e > start]
        if inside:
            out[row] = encoded.vectors[inside].mean(axis=0)
    return out


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLmFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds MiniLM sequence and sentence features to the text (and FAQ responses)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLmFeaturizer:
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to configure."""

    def process(self, messages: list[Message]) -> list[Message]:
        for attribute in ATTRIBUTES:
            todo = [m for m in messages if m.get(attribute) and m.get(TOKENS_NAMES[attribute])]
            if not todo:
                continue
            encoded = shared_encoder().encode([m.get(attribute) for m in todo])
            for message, enc in zip(todo, encoded, strict=True):
                spans = [(t.start, t.end) for t in message.get(TOKENS_NAMES[attribute])]
                self.add_features_to_message(
                    token_vectors(enc, spans), enc.sentence[None, :], attribute, message
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
