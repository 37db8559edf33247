"""The gateway's bound on the bot turns it takes on (`handover.turns.Backlog`)."""

from __future__ import annotations

import pytest

from handover.customer_input import Refused
from handover.turns import FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS, Backlog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_past_the_limit_a_turn_is_refused_and_a_place_comes_back_when_a_turn_ends() -> None:
    backlog = Backlog(2)
    with backlog.admit(), backlog.admit():
        with pytest.raises(Refused) as refused, backlog.admit():
            pass
        assert refused.value.code == "bot_busy"
        assert refused.value.retry_after_seconds == FIRST_RETRY_SECONDS, "nothing timed yet"
        assert backlog.taken == 2
    assert backlog.taken == 0
    with backlog.admit():
        assert backlog.taken == 1


def test_a_turn_that_fails_gives_its_place_back() -> None:
    backlog = Backlog(1)
    with pytest.raises(RuntimeError), backlog.admit():
        raise RuntimeError("Rasa fell over")
    with backlog.admit():
        assert backlog.taken == 1


def test_the_wait_asked_of_a_refused_customer_follows_the_turns_durations() -> None:
    clock = Clock()
    backlog = Backlog(1, clock=clock)

    def turn(seconds: float) -> None:
        with backlog.admit():
            clock.now += seconds

    turn(12.2)
    assert backlog.retry_after_seconds() == 13, "the first timed turn, rounded up"
    turn(2.2)
    assert backlog.retry_after_seconds() == 11, "a running mean: 12.2 + 0.2 * (2.2 - 12.2)"
    for _ in range(40):
        turn(0.01)
    assert backlog.retry_after_seconds() == 1, "never less than a second"
    turn(10_000)
    assert backlog.retry_after_seconds() == MAX_RETRY_SECONDS


@pytest.mark.parametrize("limit", [0, -1])
def test_a_backlog_allows_at_least_one_turn(limit: int) -> None:
    with pytest.raises(ValueError, match="at least one"):
        Backlog(limit)
