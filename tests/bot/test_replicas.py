"""Several Rasa and action processes per stack: their settings and ports, the processes and the
endpoints the stack writes for them, and the lock store they share through Redis."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

from bot import run
from bot.settings import BotSettings, auto_rasa_workers
from bot.stack import Process, Stack, lock_store_endpoint
from handover.bot_router import TIMEOUT

PASSWORD = "s3cret-redis-password"


@pytest.fixture(autouse=True)
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in BotSettings.__fields__:
        monkeypatch.delenv(f"BOT_{name.upper()}", raising=False)
    for name in ("REDIS_URL", "HANDOVER_REDIS_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "development")


@pytest.fixture
def stacks() -> Iterator[list[Stack]]:
    made: list[Stack] = []
    yield made
    for stack in made:
        stack.stop()  # removes its endpoints files


def stack_of(made: list[Stack], bot: BotSettings, **kwargs: Any) -> Stack:
    made.append(Stack(bot, **kwargs))
    return made[-1]


def named(stack: Stack, prefix: str) -> list[Process]:
    return [p for p in stack.processes if p.name.split("-")[0] == prefix]


def endpoints_of(process: Process) -> dict[str, Any]:
    path = process.argv[process.argv.index("--endpoints") + 1]
    return yaml.safe_load(Path(path).read_text())


# -- settings --------------------------------------------------------------------------------


def test_one_process_of_each_by_default() -> None:
    bot = BotSettings()

    assert (bot.rasa_workers, bot.action_workers) == (1, 1)
    assert bot.rasa_urls == ["http://127.0.0.1:5005"] and bot.rasa_url == "http://127.0.0.1:5005"


def test_extra_processes_listen_a_hundred_ports_above_their_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOT_RASA_WORKERS", "3")
    monkeypatch.setenv("BOT_ACTION_WORKERS", "2")
    monkeypatch.setenv("BOT_CANARY", "true")

    bot = BotSettings()

    assert bot.rasa_urls == [f"http://127.0.0.1:{p}" for p in (5005, 5105, 5205)]
    assert bot.canary_urls == [f"http://127.0.0.1:{p}" for p in (5006, 5106, 5206)]
    assert bot.action_urls == ["http://127.0.0.1:5055", "http://127.0.0.1:5155"]


def test_listed_ports_replace_the_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_RASA_WORKERS", "2")
    monkeypatch.setenv("BOT_RASA_PORTS", "[7001, 7002]")

    bot = BotSettings()

    assert bot.rasa_urls == ["http://127.0.0.1:7001", "http://127.0.0.1:7002"]
    assert bot.rasa_port == 7001


def test_auto_takes_cores_and_memory_into_account(monkeypatch: pytest.MonkeyPatch) -> None:
    gigabytes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 12 * 2**30 // 4096}
    monkeypatch.setattr("os.sysconf", lambda name: gigabytes[name])
    monkeypatch.setattr("os.cpu_count", lambda: 8)

    assert auto_rasa_workers(arms=1) == 3  # half of 12 GiB: 3 processes of 2.1 GB
    assert auto_rasa_workers(arms=2) == 1
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert auto_rasa_workers(arms=1) == 2
    assert BotSettings(rasa_workers="auto").rasa_workers == 2


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"BOT_RASA_WORKERS": "0"}, "BOT_RASA_WORKERS must be from 1 to 16"),
        ({"BOT_RASA_WORKERS": "17"}, "BOT_RASA_WORKERS must be from 1 to 16"),
        ({"BOT_RASA_WORKERS": "many"}, "permitted: 'auto'"),
        ({"BOT_ACTION_WORKERS": "0"}, "greater than or equal to 1"),
        ({"BOT_RASA_WORKERS": "2", "BOT_RASA_PORTS": "[7001]"}, "lists 1 ports for BOT_RASA_WORKERS=2"),
        ({"BOT_ACTION_PORTS": "[6001, 6002]"}, "lists 2 ports for BOT_ACTION_WORKERS=1"),
        ({"BOT_RASA_WORKERS": "2", "BOT_CANARY": "true", "BOT_CANARY_PORT": "5105"},
         "two processes would listen on port 5105"),
        ({"BOT_RASA_PORTS": "[8000]"}, "two processes would listen on port 8000"),
        ({"BOT_RASA_WORKERS": "2", "BOT_RASA_PORT": "65500"}, "port 65600 is out of range"),
    ],
)  # fmt: skip
def test_bad_workers_or_ports_are_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    message: str,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=message):
        BotSettings()
    assert run.main() == 2  # `make run` says what to fix, and starts nothing
    assert message in capsys.readouterr().err


# -- the stack -------------------------------------------------------------------------------


def test_each_arm_runs_its_processes_and_the_gateway_knows_them_all(
    stacks: list[Stack],
) -> None:
    bot = BotSettings(rasa_workers=2, action_workers=2, canary=True)

    stack = stack_of(stacks, bot)

    names = [p.name for p in stack.processes]
    assert [n for n in names if n.startswith(("rasa", "actions"))] == [
        "actions", "actions-2", "rasa", "rasa-2", "rasa-b", "rasa-b-2",
    ]  # fmt: skip
    ports = {p.name: p.argv[p.argv.index("--port") + 1] for p in named(stack, "rasa")}
    assert ports == {"rasa": "5005", "rasa-2": "5105", "rasa-b": "5006", "rasa-b-2": "5106"}
    assert [p.env["BOT_ACTION_PORT"] for p in named(stack, "actions")] == ["5055", "5155"]
    gateway = named(stack, "gateway")[0].env
    assert gateway["HANDOVER_RASA_URL"] == "http://127.0.0.1:5005,http://127.0.0.1:5105"
    assert gateway["HANDOVER_RASA_CANARY_URL"] == "http://127.0.0.1:5006,http://127.0.0.1:5106"


def test_each_rasa_process_has_its_own_endpoints_with_an_action_server_in_turn(
    stacks: list[Stack],
) -> None:
    bot = BotSettings(rasa_workers=2, action_workers=2, canary=True)

    rasa = named(stack_of(stacks, bot), "rasa")

    files = {p.argv[p.argv.index("--endpoints") + 1] for p in rasa}
    assert len(files) == 4
    actions = [endpoints_of(p)["action_endpoint"]["url"] for p in rasa]
    assert actions == [
        "http://127.0.0.1:5055/webhook", "http://127.0.0.1:5155/webhook",
        "http://127.0.0.1:5055/webhook", "http://127.0.0.1:5155/webhook",
    ]  # fmt: skip
    models = [endpoints_of(p)["models"]["url"].rsplit("/", 1)[1] for p in rasa]
    assert models == ["a", "a", "b", "b"]  # each arm's processes take the arm's model


def test_without_redis_each_rasa_process_locks_in_memory(stacks: list[Stack]) -> None:
    rasa = named(stack_of(stacks, BotSettings(rasa_workers=2)), "rasa")

    assert all("lock_store" not in endpoints_of(p) for p in rasa)
    assert all("TICKET_LOCK_LIFETIME" not in p.env for p in rasa)


def test_with_redis_every_rasa_process_shares_its_locks_there(
    stacks: list[Stack], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://switchboard:{PASSWORD}@redis.internal:6380/3")
    log = io.StringIO()

    stack = stack_of(
        stacks, BotSettings(rasa_workers=2, canary=True), out=log,
        gateway_env={"HANDOVER_REDIS_NAMESPACE": "e2e-replicas-42"},
    )  # fmt: skip

    for process in named(stack, "rasa"):
        path = process.argv[process.argv.index("--endpoints") + 1]
        config = read_endpoint_config(path, "lock_store")  # as Rasa reads it
        store = LockStore.create(config)  # connects only when used
        assert isinstance(store, RedisLockStore)
        assert store.key_prefix == "e2ereplicas42:lock:"
        connection = store.red.connection_pool.connection_kwargs
        assert (connection["host"], connection["port"], connection["db"]) == (
            "redis.internal", 6380, 3,
        )  # fmt: skip
        assert (connection["username"], connection["password"]) == ("switchboard", PASSWORD)
        assert PASSWORD not in " ".join(process.argv) and PASSWORD not in process.env.values()
        # A killed process's hold on a conversation ends before the gateway stops waiting.
        assert int(process.env["TICKET_LOCK_LIFETIME"]) < TIMEOUT
    assert PASSWORD not in log.getvalue()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", {"url": "127.0.0.1", "port": 6379, "db": 0, "use_ssl": False}),
        ("redis://localhost", {"url": "localhost", "port": 6379, "db": 0, "use_ssl": False}),
        ("rediss://:p%40ss@cache:6390/2",
         {"url": "cache", "port": 6390, "db": 2, "use_ssl": True, "password": "p@ss"}),
    ],
)  # fmt: skip
def test_the_lock_store_comes_from_redis_url(url: str, expected: dict[str, Any]) -> None:
    assert lock_store_endpoint(url, "handover") == {
        "type": "redis", "key_prefix": "handover", **expected,
    }  # fmt: skip


def test_a_redis_url_rasa_cannot_use_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "unix:///run/redis.sock")

    assert run.main() == 2
    assert "REDIS_URL must be redis://" in capsys.readouterr().err


@pytest.mark.parametrize("threads", [1, 2])
def test_each_rasa_process_gets_the_tensorflow_threads_set(
    stacks: list[Stack], threads: int
) -> None:
    stack = stack_of(stacks, BotSettings(rasa_workers=2, rasa_tf_threads=threads))

    for process in named(stack, "rasa"):
        assert process.env["TF_INTRA_OP_PARALLELISM_THREADS"] == str(threads)
        assert process.env["TF_INTER_OP_PARALLELISM_THREADS"] == str(threads)
    # Trainings are not run by these processes, and nothing else runs TensorFlow.
    others = [p for p in stack.processes if not p.name.startswith("rasa")]
    assert others and all("TF_INTRA_OP_PARALLELISM_THREADS" not in p.env for p in others)
