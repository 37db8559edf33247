"""Rasa's check of the action server's answers, with its schema checked once (bot/rasa_fixes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rasa.shared.utils.common
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered, deserialise_events
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_fixes
from dialogue import language
from privacy.tracker_store import RedactingTrackerStore

VALID = {
    "events": [{"event": "slot", "name": "language", "value": "fr", "timestamp": None}],
    "responses": [{"text": "Bonjour"}],
}


@pytest.fixture
def action() -> Iterator[RemoteAction]:
    original = RemoteAction._validate_action_result
    rasa_fixes.apply()
    yield RemoteAction("action_validate_slot_mappings", EndpointConfig("http://127.0.0.1:9"))
    RemoteAction._validate_action_result = original  # type: ignore[method-assign]


def test_valid_answers_pass_and_the_schema_is_checked_once(
    action: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    rasa_fixes.answer_validator.cache_clear()
    checker = validator_for(RemoteAction.action_response_format_spec())
    checks: list[object] = []
    original = checker.check_schema
    monkeypatch.setattr(checker, "check_schema", lambda s: (checks.append(s), original(s)))

    for _ in range(5):
        assert action._validate_action_result(VALID) is True
    assert action._validate_action_result({}) is True

    assert len(checks) == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"events": [{"event": "no-such-event"}]},
        {"events": "not a list"},
        {"responses": [1]},
        [],
    ],
)
def test_an_invalid_answer_raises_rasas_own_error(action: RemoteAction, answer: object) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(answer)  # type: ignore[arg-type]


def test_rasa_gets_the_fixes_when_it_builds_the_tracker_store(tmp_path: Path) -> None:
    original = RemoteAction._validate_action_result
    rasas_validation = ActionExtractSlots._execute_validation_action
    RemoteAction._validate_action_result = rasa_fixes._RASA_VALIDATE  # type: ignore[method-assign]
    try:
        store = RedactingTrackerStore(Domain.empty(), f"sqlite:///{tmp_path}/t.db")
        assert RemoteAction._validate_action_result is rasa_fixes.validate_action_result
        assert ActionExtractSlots._execute_validation_action is language._execute_validation_action
        store.engine.dispose()
    finally:
        RemoteAction._validate_action_result = original  # type: ignore[method-assign]
        ActionExtractSlots._execute_validation_action = rasas_validation  # type: ignore[method-assign]


@pytest.fixture
def rasas_lookup() -> Iterator[None]:
    original = Event.__dict__["resolve_by_type"]
    rasa_fixes._EVENT_CLASSES.clear()
    rasa_fixes.apply()
    yield
    Event.resolve_by_type = original  # type: ignore[method-assign]


def test_event_classes_are_those_rasa_finds_and_found_once(
    rasas_lookup: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = sorted({c.type_name for c in all_subclasses(Event)})
    assert len(names) > 20
    for name in names:
        assert Event.resolve_by_type(name) is rasa_fixes._RASA_RESOLVE(name)

    walks: list[object] = []
    monkeypatch.setattr(rasa.shared.utils.common, "all_subclasses", lambda c: walks.append(c))
    events = [UserUttered("hi").as_dict(), SlotSet("x", 1).as_dict()]
    assert [type(e) for e in deserialise_events(events)] == [UserUttered, SlotSet]
    assert walks == []


def test_unknown_event_names_behave_as_in_rasa(rasas_lookup: None) -> None:
    with pytest.raises(ValueError, match="Unknown event name 'no-such-event'"):
        Event.resolve_by_type("no-such-event")
    assert Event.resolve_by_type("no-such-event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    assert "no-such-event" not in rasa_fixes._EVENT_CLASSES
