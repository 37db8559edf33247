"""Rasa's check of the action server's answers, with its schema checked once (bot/rasa_fixes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_fixes
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


def test_rasa_gets_the_fix_when_it_builds_the_tracker_store(tmp_path: Path) -> None:
    original = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = rasa_fixes._RASA_VALIDATE  # type: ignore[method-assign]
    try:
        store = RedactingTrackerStore(Domain.empty(), f"sqlite:///{tmp_path}/t.db")
        assert RemoteAction._validate_action_result is rasa_fixes.validate_action_result
        store.engine.dispose()
    finally:
        RemoteAction._validate_action_result = original  # type: ignore[method-assign]
