"""Rasa dense featurizer: one multilingual sentence vector per message (and FAQ response).

The vector carries the meaning across French and English, so examples in one language help
the other; the sparse word and character n-gram featurizers beside it keep typos, SMS
abbreviations and exact keywords covered.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.encoders import encoder

ATTRIBUTES = (TEXT, RESPONSE)


def for_encoder(text: str) -> str:
    """A message shouted in capitals, in lower case: the encoder learnt from ordinary text."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.7 * len(letters):
        return text.lower()
    return text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a sentence feature from a multilingual encoder (`encoder: use`)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "encoder": "use"}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceFeaturizer:
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("encoder") != "use":
            raise ValueError(f"SentenceFeaturizer: the one encoder known is 'use', not {config!r}")

    def process(self, messages: list[Message]) -> list[Message]:
        encode = encoder(self._config["encoder"])
        for attribute in ATTRIBUTES:
            todo = [m for m in messages if m.get(attribute)]
            if not todo:
                continue
            vectors = encode([for_encoder(m.get(attribute)) for m in todo])
            for message, vector in zip(todo, vectors, strict=True):
                self.add_features_to_message(None, vector[None, :], attribute, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
