"""`python -m handover`: create-agent on a fresh database, migrate, serve."""

import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from handover import crud
from handover.__main__ import main
from handover.config import settings
from handover.db import make_engine, session_factory

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "handover", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def fresh_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A SQLite file in a folder that does not exist yet, also seen by in-process commands."""
    url = f"sqlite:///{tmp_path / 'var' / 'handover.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    settings.cache_clear()
    yield url
    settings.cache_clear()


def test_create_agent_on_a_fresh_database(fresh_url: str) -> None:
    args = ["create-agent", "alice", "--password", "s3cret-pass", "--skills", "billing,orders"]

    created = cli(*args, "--capacity", "4", "--display-name", "Alice B.", database_url=fresh_url)
    again = cli(*args, database_url=fresh_url)

    assert (created.returncode, created.stdout.strip()) == (0, "created agent alice"), (
        created.stderr
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr
    engine = make_engine(fresh_url)
    with session_factory(engine)() as session:
        agent = crud.authenticate(session, username="alice", password="s3cret-pass")
        assert (agent.display_name, agent.capacity) == ("Alice B.", 4)
        assert crud.agent_skills(agent) == ["billing", "orders"]
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad name", "--password", "s3cret-pass"], "username"),
        (["bob", "--password", "short"], "password"),
        (["bob", "--password", "s3cret-pass", "--capacity", "0"], "capacity"),
    ],
)
def test_invalid_input_exits_2(
    fresh_url: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-agent", *args]) == 2
    assert message in capsys.readouterr().err


def test_migrate(fresh_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert Path(fresh_url.removeprefix("sqlite:///")).is_file()


@pytest.mark.parametrize("args", [[], ["serve"]])
def test_serve_is_the_default(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    fake = types.ModuleType("handover.main")
    fake.run = lambda: calls.append("run")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "handover.main", fake)

    assert main(args) == 0
    assert calls == ["run"]


def test_demo_agent_only_on_a_development_database_without_agents(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-agent"]) == 0
    said = capsys.readouterr().out
    assert "sign in to the console as demo / demo-agent-password" in said
    assert "sign in to the console as lead / demo-supervisor-password" in said
    assert "sign in to the dashboard as boss / demo-manager-password" in said
    assert "sign in to the trainer page as tess / demo-trainer-password" in said
    assert main(["demo-agent"]) == 0  # already there: nothing to do, nothing said
    assert capsys.readouterr().out == ""
    engine = make_engine(fresh_url)
    with session_factory(engine)() as session:
        roles = {a.username: a.role for a in crud.list_agents(session)}
        assert roles == {
            "demo": "agent", "lead": "supervisor", "boss": "manager", "tess": "trainer",
        }  # fmt: skip
        assert crud.authenticate(session, username="demo", password="demo-agent-password")
        assert crud.authenticate(session, username="lead", password="demo-supervisor-password")
        assert crud.authenticate(session, username="boss", password="demo-manager-password")
        assert crud.authenticate(session, username="tess", password="demo-trainer-password")
    engine.dispose()

    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")
    monkeypatch.setenv("HANDOVER_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("HANDOVER_BOT_TOKEN", "y" * 40)
    monkeypatch.setenv("HANDOVER_RASA_TOKEN", "z" * 40)
    settings.cache_clear()
    assert main(["demo-agent"]) == 2
    assert "development only" in capsys.readouterr().err
