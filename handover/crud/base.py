"""What every part of `handover.crud` shares: its errors and two small checks."""

from typing import TypeVar

from sqlalchemy.orm import Session

Row = TypeVar("Row")


class AgentExistsError(ValueError):
    """The username is already taken."""


class NotFoundError(LookupError):
    """A row that the operation needs does not exist."""


class StateChangedError(LookupError):
    """The conversation is not (or no longer) in the state a transition expects."""


def one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """Raise ValueError unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def save(session: Session, row: Row) -> Row:
    """Add the row and flush: ids and defaults assigned, constraint errors raised here."""
    session.add(row)
    session.flush()
    return row
