"""Rasa's TEDPolicy, its predictions kept by dialogue state: the same state, the same answer.

TED was the largest cost of a customer's message (35-42 % in `python -m bot.profile`): it runs
after each action until the bot listens, and each run is a TensorFlow call of about 10 ms on
this machine, most of it Rasa's model embedding every action again. What it predicts from
depends only on the last `max_history` dialogue states (intent, entity types, featurised slots,
the previous action, the active form) once TED was trained without user text, as here (no
end-to-end stories): inference is deterministic, so two conversations in the same state get the
same probabilities. Conversations repeat states all the time (every greeting, every first step
of a flow), so the prediction is looked up by those states, and TED runs only for a state it has
not met in this process. A model trained with text (end-to-end stories) is not cached: its
prediction would depend on the words.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

CACHE_SIZE = 4096  # dialogue states; a prediction is a list of a few hundred floats


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class CachedTEDPolicy(TEDPolicy):
    """A `TEDPolicy` (same settings, same training) that remembers its predictions by state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._predictions: OrderedDict[str, PolicyPrediction] = OrderedDict()
        # Rasa may predict from more than one thread (its server's executor).
        self._lock = threading.Lock()
        self.hits = 0  # predictions answered from the kept ones (read by the tests)

    def _state_key(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict[str, Any] | None
    ) -> str | None:
        """The states TED predicts from, as text; None when its input is more than the states."""
        if self.only_e2e or TEXT in self.fake_features:
            return None
        ml_only = self.supported_data() == SupportedData.ML_DATA
        states = self.featurizer.prediction_states(
            [tracker], domain, use_text_for_last_user_input=False,
            ignore_rule_only_turns=ml_only, rule_only_data=rule_only_data,
            ignore_action_unlikely_intent=ml_only,
        )  # fmt: skip
        return json.dumps(states, sort_keys=True, default=list)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self.model is None:
            return super().predict_action_probabilities(tracker, domain, rule_only_data, **kwargs)
        key = self._state_key(tracker, domain, rule_only_data)
        if key is not None:
            with self._lock:
                found = self._predictions.get(key)
                if found is not None:
                    self._predictions.move_to_end(key)
                    self.hits += 1
                    return _copy(found)
        prediction = super().predict_action_probabilities(tracker, domain, rule_only_data, **kwargs)
        if key is not None and not prediction.optional_events:
            with self._lock:
                self._predictions[key] = _copy(prediction)
                while len(self._predictions) > CACHE_SIZE:
                    self._predictions.popitem(last=False)
        return prediction


def _copy(prediction: PolicyPrediction) -> PolicyPrediction:
    """A prediction of its own: the ensemble zeroes a rejected action in place."""
    return PolicyPrediction(
        list(prediction.probabilities),
        prediction.policy_name,
        prediction.policy_priority,
        list(prediction.events),
        list(prediction.optional_events),
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.diagnostic_data,
        prediction.hide_rule_turn,
        prediction.action_metadata,
    )
