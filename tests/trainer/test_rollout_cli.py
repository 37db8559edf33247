"""`python -m trainer publish|promote|rollback|status` (`trainer.rollout_cli`) on SQLite and
PostgreSQL: what each prints, what it writes, its exit status, and bad input."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.rollout_rows import BAD, GOOD, LIVE, NOW, canary, lines, started
from trainer import audit, rollout, rollout_cli
from trainer.tables import MODEL_ASSIGNMENTS


@pytest.fixture(autouse=True)
def gateway_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("LOGNAME", "tess")


def _run(*arguments: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer")
    rollout_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return rollout_cli.run(parser.parse_args(arguments))


def test_publish_promote_and_rollback_are_audited_under_the_login(
    session: Session,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Redaction itself is tested with the roll-out (test_rollout.py): here, that it is applied.
    monkeypatch.setattr(rollout, "redact", str.upper)
    started(session)
    session.commit()

    assert _run("publish", GOOD, "--share", "0.25") == 0
    out = capsys.readouterr().out
    assert "candidate:  m-good on server b, taking 25% of new conversations" in out
    assert _run("promote", "--reason", "the gates held", "--as", "ana") == 0
    assert "live:       m-good on server b" in capsys.readouterr().out
    assert _run("publish", LIVE) == 0  # the default share: TRAINER_CANARY_SHARE
    assert _run("rollback") == 0

    session.expire_all()
    assert [(e.actor, e.action, e.model_id) for e in lines(session)] == [
        ("make model", "initial", LIVE),
        ("cli:tess", "published", GOOD),
        ("ana", "promoted", GOOD),
        ("cli:tess", "published", LIVE),
        ("cli:tess", "rolled_back", LIVE),
    ]
    assert lines(session)[2].details["reason"] == "THE GATES HELD"
    assert lines(session)[3].details["share"] == 0.5
    assert rollout.server_models(session) == {"a": LIVE, "b": GOOD}


def test_refusals_exit_1_and_say_why(
    session: Session,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run("status") == 1
    assert "no roll-out yet" in capsys.readouterr().err
    started(session)
    session.commit()

    assert _run("publish", BAD) == 1
    assert "refused (verdict_failed): m-bad failed its evaluation" in capsys.readouterr().err
    assert _run("promote") == 1
    assert "refused (no_candidate)" in capsys.readouterr().err
    assert _run("publish", BAD, "--force") == 0
    session.expire_all()
    assert lines(session)[-1].details["forced"] is True


@pytest.mark.parametrize(
    "arguments",
    [
        ("publish", GOOD, "--share", "0"),
        ("publish", GOOD, "--share", "1.5"),
        ("publish", GOOD, "--share", "nan"),
        ("publish", GOOD, "--share", "half"),
        ("promote", "--reason", "r" * 1001),
    ],
)
def test_bad_arguments_exit_2(arguments: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as stopped:
        _run(*arguments)
    assert stopped.value.code == 2


@pytest.mark.parametrize("actor", ["system", "", "x" * 65, "tess\x1b[2J"])
def test_who_acts_must_be_a_person_named_plainly(
    session: Session,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    actor: str,
) -> None:
    canary(session)
    session.commit()
    assert _run("rollback", "--as", actor) == 2
    assert "error: " in capsys.readouterr().err
    session.expire_all()
    assert rollout.current(session).mode == "canary"  # type: ignore[union-attr]


def test_status_shows_the_arms_the_decision_and_the_audit(
    session: Session,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    canary(session)
    for n, (arm, model_id) in enumerate([("live", LIVE)] * 3 + [("candidate", GOOD)] * 2):
        session.execute(
            MODEL_ASSIGNMENTS.insert().values(
                conversation_id=f"c{n}",
                arm=arm,
                model_id=model_id,
                server="a",
                assigned_at=NOW + timedelta(minutes=5),
                last_seen_at=NOW + timedelta(minutes=5),
                messages=2,
                latency_ms=500.0,
            )  # fmt: skip
        )
    audit.record(session, actor="tess", action="noted", details={"reason": "\x1b[31mred\x1b[0m"})
    session.commit()

    assert _run("status") == 0
    out = capsys.readouterr().out
    assert "servers:    a holds m-live, b holds m-good" in out
    assert "conversations         3" in out and "250 / 250" in out
    assert "the gates would wait now:" in out
    assert "  - the candidate arm has 2 of the 20 conversations needed" in out
    assert "tess  noted  -  \ufffd[31mred\ufffd[0m" in out and "\x1b" not in out

    assert _run("status", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["rollout"]["mode"] == "canary" and shown["servers"] == {"a": LIVE, "b": GOOD}
    assert shown["figures"]["candidate"]["conversations"] == 2
    assert shown["figures"]["live"]["latency_ms"] == {"p50": 250.0, "p95": 250.0}
    assert shown["decision"]["action"] == "wait"
    assert [line["action"] for line in shown["audit"]] == ["noted", "published", "initial"]
    assert shown["audit"][0]["details"] == {"reason": "\x1b[31mred\x1b[0m"}


def test_a_database_without_the_tables_exits_1(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    assert _run("publish", GOOD) == 1
    assert "error: cannot use the gateway's database: no such table" in capsys.readouterr().err
    assert _run("status") == 1
