"""Rasa's ResponseSelector, run only on the messages it answers: those of its retrieval intent.

Rasa 3.6 runs the selector on every message, FAQ or not, and it was the NLU's largest cost (a
TensorFlow model: 16 % of a message's handling in `python -m bot.profile`, more than DIET). Its
pick is read only for the retrieval intent: Rasa's `utter_faq` (`ActionRetrieveResponse`) and
the agents' suggested replies (`handover/suggest.py`) look at it when the intent is `faq`, and
the rules run `utter_faq` only then. DIET, before it in the pipeline, has named the intent, so
the other messages skip it; their parse result has no `response_selector` key. Training is
Rasa's own.
"""

from __future__ import annotations

import warnings

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message

# Rasa's recipe validator looks for the class `ResponseSelector` itself, not a subclass, and
# warns at every training that the FAQ examples will not be used; they are (tested).
warnings.filterwarnings(
    "ignore", message="You have defined training data with examples for training a response"
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    """A `ResponseSelector` (same settings) that selects only for its `retrieval_intent`."""

    def _selects_for(self, message: Message) -> bool:
        if not self.retrieval_intent:  # one selector for every retrieval intent: Rasa's way
            return True
        intent = message.get(INTENT) or {}
        return intent.get(INTENT_NAME_KEY) == self.retrieval_intent

    def process(self, messages: list[Message]) -> list[Message]:
        chosen = [message for message in messages if self._selects_for(message)]
        if chosen:
            super().process(chosen)  # sets the pick on each message itself
        return messages
