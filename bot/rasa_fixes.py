"""Changes to Rasa's own code in the Rasa process, each for a cost measured there.

Applied by `apply()` when Rasa builds the tracker store (`privacy.tracker_store`), the one class
of ours that every deployment's endpoints.yml makes Rasa load at start.

- **The action server's answers checked against a schema checked once.** Rasa 3.6 checks every
  answer of the action server with `jsonschema.validate`, which first checks Rasa's constant
  schema against JSON Schema's own meta-schema: on this assistant, which then called the action
  server after every message (`action_validate_slot_mappings`), a quarter of the Rasa process's
  time (py-spy, docs/benchmarks.md). Here a valid answer is checked by one validator built once;
  an invalid one still goes through Rasa's check, which raises its own error as before.
- **Event classes found by name once.** Rasa turns each stored event back into an object by
  walking every subclass of `Event` (checking each for abstract methods) until one has the
  event's name: on each message, for each event of the conversation read back from the tracker
  store, 3 % of the Rasa process's time under load. Here each name's class is kept once found;
  an unknown name still goes through Rasa's lookup, which raises or gives the default as before.
- **The language slots decided in the Rasa process** (`dialogue/language.py`), not by a call to
  the action server after every customer message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

from dialogue import language

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


_RASA_RESOLVE: Callable[..., type[Event] | None] = Event.resolve_by_type
_EVENT_CLASSES: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's `Event.resolve_by_type`, each name's class kept once found."""
    found = _EVENT_CLASSES.get(type_name)
    if found is None:
        found = _RASA_RESOLVE(type_name, default)
        if found is not None and found.type_name == type_name:  # not the default
            _EVENT_CLASSES[type_name] = found
    return found


def apply() -> None:
    """Install the changes above (again is harmless)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
    language.install()
