"""The trainer's audit log (`trainer.audit`) on SQLite and PostgreSQL: what a line keeps, the
order lines come back in, and what cannot be stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.handover.conftest import db_url, engine, session  # noqa: F401  (database fixtures)
from tests.trainer.rollout_rows import NOW
from trainer import audit
from trainer.tables import TRAINER_AUDIT


def test_lines_come_back_newest_first_with_their_details(session: Session) -> None:  # noqa: F811
    audit.record(session, actor="tess", action="published", model_id="m1",
                 details={"share": 0.5, "at": NOW, "reasons": ["a", "b"]}, now=NOW)  # fmt: skip
    audit.record(session, actor="system", action="rolled_back", model_id="m1",
                 now=NOW + timedelta(minutes=5))  # fmt: skip
    audit.record(session, actor="make model", action="initial", model_id="m0",
                 details={"text": "caf\u00e9 \x1b[31m"}, now=NOW + timedelta(minutes=9))  # fmt: skip
    session.commit()

    found = audit.recent(session)

    assert [(e.actor, e.action, e.model_id) for e in found] == [
        ("make model", "initial", "m0"), ("system", "rolled_back", "m1"), ("tess", "published", "m1"),
    ]  # fmt: skip
    assert found[2].details == {"share": 0.5, "at": NOW.isoformat(), "reasons": ["a", "b"]}
    assert found[2].at == NOW
    assert found[1].details == {}
    assert found[0].details == {"text": "caf\u00e9 \x1b[31m"}  # kept as given, stored escaped
    assert [e.id for e in audit.recent(session, 2)] == [found[0].id, found[1].id]
    assert [e.action for e in audit.recent(session, model_id="m1")] == ["rolled_back", "published"]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"actor": ""}, "actor must be"),
        ({"actor": "x" * 65}, "actor must be"),
        ({"action": ""}, "action must be"),
        ({"action": "a" * 33}, "action must be"),
        ({"model_id": "m" * 65}, "model_id must be"),
        ({"details": {"rate": float("nan")}}, "details must be JSON"),
        ({"details": {"what": object()}}, "details must be JSON"),
        ({"details": ["not", "an", "object"]}, "details must be a JSON object"),
        ({"details": {"long": "x" * 100_001}}, "at most 100,000 characters"),
    ],
)
def test_what_cannot_be_stored_is_refused(
    session: Session,  # noqa: F811
    fields: dict[str, Any],
    says: str,
) -> None:
    line: dict[str, Any] = {"actor": "tess", "action": "published", **fields}
    with pytest.raises(ValueError, match=says):
        audit.record(session, **line)
    assert audit.recent(session) == []


def test_a_line_written_by_hand_is_shown_not_fatal(session: Session) -> None:  # noqa: F811
    for details in ("{broken", "[1, 2]", None):
        session.execute(
            TRAINER_AUDIT.insert().values(at=NOW, actor="dba", action="fixed", details=details)
        )
    assert [e.details for e in audit.recent(session)] == [
        {},
        {"value": [1, 2]},
        {"unreadable": True},
    ]


@pytest.mark.parametrize("limit", [0, 1001])
def test_limits_out_of_range_are_refused(session: Session, limit: int) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="limit must be from 1 to 1000"):
        audit.recent(session, limit)
