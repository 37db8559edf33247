"""TED's predictions kept by dialogue state: the same probabilities as TED computes, fewer runs.

On the trained model (`make test` trains it first), in-process as `rasa run` loads it; the
custom actions have no server here, which changes nothing for the policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from bot.settings import BotSettings
from dialogue.ted import CACHE_SIZE, CachedTEDPolicy
from tests.e2e.conftest import ROOT

CONVERSATIONS = [
    ["hi", "track my order", "ORD-100001", "thanks", "bye"],
    ["hello", "how much do I owe", "I want to talk to a human"],
    ["bonjour", "quels sont vos horaires d'ouverture", "merci"],
    ["hi", "is there an outage in Bristol", "bye"],
]


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[Agent, CachedTEDPolicy, dict[str, Any]]]:
    model = ROOT / BotSettings().model
    if not model.exists():
        pytest.fail("no trained model: `make test` trains it before running the tests")
    agent = Agent.load(str(model))
    nodes = agent.processor.graph_runner._instantiated_nodes  # type: ignore[union-attr]
    components = [node._component for node in nodes.values()]
    ted = next(c for c in components if isinstance(c, CachedTEDPolicy))
    rule_only = nodes["rule_only_data_provider"]._component.provide()
    yield agent, ted, rule_only


def trackers_before_each_prediction(agent: Agent) -> list[DialogueStateTracker]:
    """Each conversation cut after each action, as it went and with an offer pending (the one
    slot TED reads: the states differ in it alone)."""
    domain = agent.domain
    assert domain is not None

    async def talk() -> list[DialogueStateTracker]:
        cut = []
        for n, messages in enumerate(CONVERSATIONS):
            sender = f"ted-cache-{n}"
            for text in messages:
                await agent.handle_text(text, sender_id=sender)
            tracker = await agent.tracker_store.retrieve(sender)  # type: ignore[union-attr]
            assert tracker is not None
            events = list(tracker.events)
            for end, event in enumerate(events, start=1):
                if isinstance(event, ActionExecuted):
                    cut.append(DialogueStateTracker.from_events(sender, events[:end], domain.slots))
                    offered = [*events[: end - 1], SlotSet("pending_offer", "human"), event]
                    cut.append(DialogueStateTracker.from_events(sender, offered, domain.slots))
        return cut

    return asyncio.run(talk())


def test_a_kept_prediction_is_what_ted_computes(
    loaded: tuple[Agent, CachedTEDPolicy, dict[str, Any]],
) -> None:
    agent, ted, rule_only = loaded
    trackers = trackers_before_each_prediction(agent)
    assert len(trackers) > 20
    hits = ted.hits

    for tracker in trackers:
        computed = TEDPolicy.predict_action_probabilities(ted, tracker, agent.domain, rule_only)
        first = ted.predict_action_probabilities(tracker, agent.domain, rule_only)
        again = ted.predict_action_probabilities(tracker, agent.domain, rule_only)
        for prediction in (first, again):
            np.testing.assert_allclose(prediction.probabilities, computed.probabilities, atol=1e-6)
            assert prediction.is_end_to_end_prediction is computed.is_end_to_end_prediction
            assert prediction.optional_events == computed.optional_events

    # Every second call was a hit; the conversations themselves already met repeated states.
    assert ted.hits - hits >= len(trackers)
    assert len(ted._predictions) <= CACHE_SIZE


def test_a_kept_prediction_cannot_be_changed_by_its_reader(
    loaded: tuple[Agent, CachedTEDPolicy, dict[str, Any]],
) -> None:
    agent, ted, rule_only = loaded
    tracker = trackers_before_each_prediction(agent)[1]
    first = ted.predict_action_probabilities(tracker, agent.domain, rule_only)
    best = int(np.argmax(first.probabilities))
    first.probabilities[best] = 0.0  # as Rasa's ensemble does to an action it rejected

    again = ted.predict_action_probabilities(tracker, agent.domain, rule_only)
    assert again.probabilities[best] > 0.0


def test_a_ted_trained_on_text_is_not_kept(
    loaded: tuple[Agent, CachedTEDPolicy, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    agent, ted, rule_only = loaded
    tracker = trackers_before_each_prediction(agent)[1]
    assert ted._state_key(tracker, agent.domain, rule_only) is not None

    monkeypatch.setitem(ted.fake_features, TEXT, [])
    assert ted._state_key(tracker, agent.domain, rule_only) is None
