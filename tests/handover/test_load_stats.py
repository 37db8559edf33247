"""The load generator's arithmetic: percentiles, lost messages, throughput, the timeline."""

from __future__ import annotations

import math

import pytest

from handover.load.stats import Recorder, over_time, percentile


@pytest.mark.parametrize(
    ("share", "expected"), [(0.0, 1), (0.5, 50), (0.95, 95), (0.99, 99), (1.0, 100)]
)
def test_nearest_rank_percentiles_of_one_to_a_hundred(share: float, expected: int) -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert percentile(values, share) == expected


def test_percentiles_of_few_values_and_of_none() -> None:
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([1.0, 2.0], 0.5) == 1.0 and percentile([1.0, 2.0], 0.51) == 2.0
    assert math.isnan(percentile([], 0.5))


def test_every_message_is_answered_or_lost() -> None:
    recorder = Recorder(answer_timeout=30, started=0.0)
    quick, slow, late, never = (recorder.message_sent(at=t) for t in (0.0, 1.0, 2.0, 3.0))
    assert recorder.answered(quick, at=0.25) == 0.25
    assert recorder.answered(slow, at=31.0) == 30.0  # on the limit: still in time
    assert recorder.answered(late, at=32.5) is None  # after it: lost, and late
    assert recorder.expire(now=20.0) == 0  # `never` is not due yet
    assert recorder.pending == 1
    assert recorder.expire(now=33.5) == 1
    assert recorder.answered(never, at=40.0) is None  # its answer came after all: late
    assert (recorder.sent, recorder.lost, recorder.late, recorder.pending) == (4, 2, 2, 0)
    assert [latency for _, latency in recorder.answers] == [0.25, 30.0]


def test_a_customer_who_stops_waiting_and_the_end_of_a_run_count_lost() -> None:
    recorder = Recorder(answer_timeout=5, started=0.0)
    first, _second = recorder.message_sent(at=0.0), recorder.message_sent(at=1.0)
    recorder.unanswered(first)
    recorder.unanswered(first)  # once only
    recorder.give_up()
    assert (recorder.sent, recorder.lost, recorder.pending) == (2, 2, 0)


def test_summary_rates_only_the_answers_within_the_run() -> None:
    recorder = Recorder(answer_timeout=30, started=0.0)
    for i in range(10):
        token = recorder.message_sent(at=float(i))
        recorder.answered(token, at=i + 0.1 * (i + 1))  # 100 ms .. 1,000 ms
    drained = recorder.message_sent(at=9.5)
    recorder.answered(drained, at=11.0)  # after the 10 s run: counted, not in the rate
    recorder.error("gateway:rate_limited")
    recorder.handover_waits += [2.0, 4.0, 6.0]
    summary = recorder.summary(elapsed=10.0)
    assert summary["sent"] == summary["answered"] == 11
    assert summary["answered_per_s"] == 1.0
    assert (summary["p50_ms"], summary["p95_ms"], summary["p99_ms"]) == (600, 1500, 1500)
    assert summary["max_ms"] == 1500 and summary["lost"] == 0
    assert summary["handovers"] == 3 and summary["handover_wait_p50_ms"] == 4000
    assert summary["errors"] == {"gateway:rate_limited": 1}


def test_an_empty_run_has_no_percentiles() -> None:
    summary = Recorder(started=0.0).summary(elapsed=0.0)
    assert summary["p50_ms"] is None and summary["answered_per_s"] == 0.0


def test_the_timeline_has_a_rate_and_percentiles_per_window() -> None:
    answers = [(0.5, 0.1), (1.0, 0.3), (4.9, 0.2), (7.0, 1.0)]
    windows = over_time(answers, window=5.0)
    assert [w["t"] for w in windows] == [5.0, 10.0]
    assert windows[0]["per_s"] == pytest.approx(0.6) and windows[1]["per_s"] == pytest.approx(0.2)
    assert windows[0]["p50"] == pytest.approx(200) and windows[0]["p99"] == pytest.approx(300)
    assert over_time([]) == []


def test_a_refused_message_is_neither_answered_nor_lost() -> None:
    recorder = Recorder(answer_timeout=5, started=0.0)
    recorder.refuse(recorder.message_sent(at=0.0))
    summary = recorder.summary(elapsed=1.0)
    assert (summary["sent"], summary["refused"], summary["lost"], summary["answered"]) == (
        1, 1, 0, 0,
    )  # fmt: skip
