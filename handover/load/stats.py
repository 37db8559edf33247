"""What a load run counts: time to first answer, throughput, errors and lost messages.

A message is lost when no answer came within the answer timeout (an answer after it counts
as lost too, and as late); refused when the gateway answered it with an `error` (a rate limit).
At the end of a run no new message is sent and the run waits up to that timeout for the
answers still due, so every message sent is answered, refused or lost.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` in [0, 1]); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(len(ordered) * share)))
    return ordered[rank - 1]


@dataclass
class Recorder:
    """Counts one run's messages; times are `time.monotonic()` seconds."""

    answer_timeout: float = 30.0
    started: float = field(default_factory=time.monotonic)
    sent: int = 0
    lost: int = 0
    late: int = 0
    refused: int = 0
    # (seconds since start at answer, time to first answer in seconds)
    answers: list[tuple[float, float]] = field(default_factory=list)
    handover_waits: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    conversations: int = 0
    open_conversations: int = 0
    _pending: dict[int, float] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def message_sent(self, at: float | None = None) -> int:
        """A customer's message left; the token to pass to `answered`."""
        token = next(self._ids)
        self._pending[token] = time.monotonic() if at is None else at
        self.sent += 1
        return token

    def answered(self, token: int, at: float | None = None) -> float | None:
        """The first answer to `token` arrived; its latency, or None when it counts as lost."""
        sent_at = self._pending.pop(token, None)
        if sent_at is None:  # already expired: lost, and late
            self.late += 1
            return None
        now = time.monotonic() if at is None else at
        latency = now - sent_at
        if latency > self.answer_timeout:
            self.lost += 1
            self.late += 1
            return None
        self.answers.append((now - self.started, latency))
        return latency

    def unanswered(self, token: int) -> None:
        """The customer stopped waiting for `token`'s answer: lost."""
        if self._pending.pop(token, None) is not None:
            self.lost += 1

    def refuse(self, token: int) -> None:
        """The gateway answered `token` with an error: not lost, not answered."""
        if self._pending.pop(token, None) is not None:
            self.refused += 1

    def expire(self, now: float | None = None) -> int:
        """Count as lost every message unanswered for longer than the timeout; how many."""
        now = time.monotonic() if now is None else now
        old = [t for t, sent_at in self._pending.items() if now - sent_at > self.answer_timeout]
        for token in old:
            del self._pending[token]
        self.lost += len(old)
        return len(old)

    def give_up(self) -> None:
        """The run is over: whatever is still unanswered is lost."""
        self.lost += len(self._pending)
        self._pending.clear()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def error(self, kind: str) -> None:
        self.errors[kind] += 1

    def summary(self, elapsed: float) -> dict[str, Any]:
        """The figures a run prints; latencies in milliseconds."""
        latencies = [latency for _, latency in self.answers]
        in_window = sum(1 for at, _ in self.answers if at <= elapsed)
        return {
            "seconds": round(elapsed, 1),
            "conversations": self.conversations,
            "sent": self.sent,
            "answered": len(latencies),
            "lost": self.lost,
            "late": self.late,
            "refused": self.refused,
            # Answers during the wait for the last ones are counted, not in the rate.
            "answered_per_s": round(in_window / elapsed, 2) if elapsed > 0 else 0.0,
            **{
                f"p{round(share * 100)}_ms": round(percentile(latencies, share) * 1000)
                if latencies
                else None
                for share in (0.5, 0.95, 0.99)
            },
            "max_ms": round(max(latencies) * 1000) if latencies else None,
            "handovers": len(self.handover_waits),
            "handover_wait_p50_ms": round(percentile(self.handover_waits, 0.5) * 1000)
            if self.handover_waits
            else None,
            "errors": dict(self.errors),
        }


def over_time(answers: list[tuple[float, float]], window: float = 5.0) -> list[dict[str, float]]:
    """Per window of `window` seconds: its end, answers per second, p50/p95/p99 in ms."""
    if not answers:
        return []
    buckets: dict[int, list[float]] = {}
    for at, latency in answers:
        buckets.setdefault(int(at // window), []).append(latency)
    return [
        {
            "t": (index + 1) * window,
            "per_s": len(values) / window,
            **{f"p{q}": percentile(values, q / 100) * 1000 for q in (50, 95, 99)},
        }
        for index, values in sorted(buckets.items())
    ]
