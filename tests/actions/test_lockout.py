"""The verification guard: locks and rate limits, on SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from pydantic import ValidationError

from actions import lockout
from actions.lockout import (
    AttemptStore,
    LockoutSettings,
    RedisAttemptStore,
    SqlAttemptStore,
    VerificationGuard,
    account_subject,
    conversation_subject,
)
from tests.handover.conftest import empty_database
from tests.redis_server import RedisServer

REDIS_URL = "redis://127.0.0.1:6379/15"
DAY = 24 * 3600


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """Makes stores on one database: two of them are two action servers, or one restarted."""
    if request.param == "redis":
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError as error:
            pytest.skip(f"Redis unavailable: {error}")
        namespace = f"test-actions-{uuid.uuid4().hex}"
        yield lambda: RedisAttemptStore(REDIS_URL, namespace=namespace)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{namespace}:*"):
            client.delete(key)
        return
    made: list[SqlAttemptStore] = []
    with empty_database(request.param, tmp_path) as url:

        def make() -> AttemptStore:
            made.append(SqlAttemptStore(url))
            return made[-1]

        yield make
        for store in made:
            store.dispose()


SETTINGS = LockoutSettings(conversation_check_limit="5/minute", subject_check_limit="10/hour")
CONVERSATION, OTHER_CONVERSATION = conversation_subject("c-1"), conversation_subject("c-2")
ACCOUNT = account_subject("30000001")


def guard(store: AttemptStore, clock: Clock) -> VerificationGuard:
    return VerificationGuard(store, SETTINGS, clock=clock)


def test_three_failures_lock_account_and_conversation_for_a_day(store_factory) -> None:
    clock = Clock()
    first = guard(store_factory(), clock)

    assert [first.record_failure(CONVERSATION, ACCOUNT) for _ in range(3)] == [False, False, True]

    assert first.is_locked(ACCOUNT) and first.is_locked(CONVERSATION)
    assert first.begin_check(OTHER_CONVERSATION, ACCOUNT).locked, "from another conversation"
    restarted = guard(store_factory(), clock)  # a new store on the same database
    assert restarted.is_locked(ACCOUNT)
    clock.now += DAY - 60
    assert restarted.is_locked(ACCOUNT)
    clock.now += 120
    assert not restarted.is_locked(ACCOUNT, CONVERSATION), "the lock lasts 24 h"


def test_account_failures_add_up_across_conversations(store_factory) -> None:
    clock = Clock()
    shared = guard(store_factory(), clock)
    for number in range(3):
        shared.record_failure(conversation_subject(f"new-session-{number}"), ACCOUNT)
    assert shared.is_locked(ACCOUNT)
    assert not shared.is_locked(conversation_subject("new-session-0")), "one failure each"


def test_failures_older_than_the_window_do_not_count(store_factory) -> None:
    clock = Clock()
    shared = guard(store_factory(), clock)
    shared.record_failure(CONVERSATION, ACCOUNT)
    shared.record_failure(CONVERSATION, ACCOUNT)
    clock.now += DAY + 1
    assert not shared.record_failure(CONVERSATION, ACCOUNT)


def test_checks_per_conversation_are_rate_limited_per_minute(store_factory) -> None:
    clock = Clock()
    shared = guard(store_factory(), clock)
    verdicts = []
    for number in range(6):
        verdicts.append(shared.begin_check(CONVERSATION, account_subject(f"3000000{number}")))
        clock.now += 1
    assert [v.allowed for v in verdicts] == [True] * 5 + [False]
    assert not verdicts[-1].locked
    assert 50 <= verdicts[-1].retry_after_seconds <= 60
    clock.now += 60
    assert shared.begin_check(CONVERSATION, ACCOUNT).allowed, "the minute has passed"


def test_checks_per_account_are_rate_limited_per_hour(store_factory) -> None:
    clock = Clock()
    shared = guard(store_factory(), clock)
    verdicts = []
    for number in range(11):
        verdicts.append(shared.begin_check(conversation_subject(f"c-{number}"), ACCOUNT))
        clock.now += 60
    assert [v.allowed for v in verdicts] == [True] * 10 + [False]
    assert 2900 <= verdicts[-1].retry_after_seconds <= 3000


def test_sqlite_file_is_private_and_keeps_no_identifier_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "var" / "actions.db"
    store = SqlAttemptStore(f"sqlite:///{path}")
    guard(store, Clock()).record_failure(conversation_subject("sender-abc"), ACCOUNT)
    store.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert b"30000001" not in content and b"sender-abc" not in content


@pytest.mark.parametrize("setting", [{"conversation_check_limit": "often"}, {"max_failures": 0}])
def test_unreadable_settings_are_refused(setting: dict) -> None:
    with pytest.raises(ValidationError):
        LockoutSettings(**setting)


def test_documented_defaults() -> None:
    settings = LockoutSettings()
    assert (settings.max_failures, settings.failure_window_seconds, settings.lockout_seconds) == (
        3,
        DAY,
        DAY,
    )
    assert (settings.conversation_check_limit, settings.subject_check_limit) == (
        "5/minute",
        "20/hour",
    )
    assert settings.redis_url is None


def at_once(count: int, work: Callable[[], object]) -> list[object]:
    """`work` in `count` threads released together; what each returned or raised."""
    barrier = threading.Barrier(count)

    def run() -> object:
        barrier.wait()
        try:
            return work()
        except Exception as error:  # noqa: BLE001 - the test reports what was raised
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: run(), range(count)))


@pytest.mark.parametrize("trial", range(5))
def test_the_first_messages_together_build_one_guard(attempt_store: Path, trial: int) -> None:
    # The action server's first messages arrive together, each asking for the guard in a
    # worker thread: built at once, they raced to create the tables and some failed.
    guards = at_once(6, lockout.verification_guard)
    assert all(g is guards[0] for g in guards), guards
    assert isinstance(guards[0], VerificationGuard)


@pytest.mark.parametrize("trial", range(5))
def test_action_servers_starting_together_share_the_new_tables(tmp_path: Path, trial: int) -> None:
    url = f"sqlite:///{tmp_path}/actions.db"
    stores = at_once(6, lambda: SqlAttemptStore(url))
    assert all(isinstance(s, SqlAttemptStore) for s in stores), stores
    for store in stores:
        store.dispose()


def test_the_redis_store_carries_on_after_a_redis_restart(tmp_path: Path) -> None:
    own_redis = RedisServer(tmp_path)
    own_redis.start()
    try:
        store = RedisAttemptStore(own_redis.url, namespace="restart")
        clock = Clock()
        for _ in range(2):
            guard(store, clock).record_failure(CONVERSATION, ACCOUNT)
        own_redis.kill()
        own_redis.start()
        # The third failure, counted with the two before the restart, locks the account.
        assert guard(store, clock).record_failure(CONVERSATION, ACCOUNT)
    finally:
        own_redis.kill()
