"""Changes to Rasa's own code in the Rasa process, each for a cost measured there.

Applied by `apply()` when Rasa builds the tracker store (`privacy.tracker_store`), the one class
of ours that every deployment's endpoints.yml makes Rasa load at start.

- **The action server's answers checked against a schema checked once.** Rasa 3.6 checks every
  answer of the action server with `jsonschema.validate`, which first checks Rasa's constant
  schema against JSON Schema's own meta-schema: on this assistant, whose every message calls the
  action server at least once (`action_validate_slot_mappings`), a quarter of the Rasa process's
  time (py-spy, docs/benchmarks.md). Here a valid answer is checked by one validator built once;
  an invalid one still goes through Rasa's check, which raises its own error as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_RASA_VALIDATE: Callable[[RemoteAction, dict[str, Any]], bool] = (
    RemoteAction._validate_action_result
)


@functools.cache
def answer_validator(action_class: type[RemoteAction]) -> Validator:
    """The validator of the action server's answers, its schema checked once."""
    schema = action_class.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's `RemoteAction._validate_action_result`, without checking the schema each time."""
    if answer_validator(type(self)).is_valid(result):
        return True
    return _RASA_VALIDATE(self, result)  # raises Rasa's ValidationError, with its message


def apply() -> None:
    """Install the changes above (again is harmless)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
