"""`/api/trainer` refuses bad input with a 422 that says why, before any query or write
(SQLite and PostgreSQL; the gateway and fixtures are `test_api_trainer`'s)."""

# Fixtures come from test_api_trainer and reports_gateway: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.handover.reports_gateway import events_engine  # noqa: F401
from tests.handover.test_api_trainer import (  # noqa: F401
    NEW_TEXT,
    WEEK,
    client,
    fingerprint,
    project,
    tokens,
    url,
)

LONG = "x" * 130
BAD_INBOX = [
    ({"start": "2026-11-01T00:00:00"}, "start", "needs a UTC offset"),
    ({"start": "yesterday"}, "start", "datetime"),
    ({"end": WEEK["start"]}, "end", "end must be after start"),
    ({"language": "de"}, "language", "permitted"),
    ({"channel": "web"}, "channel", "permitted"),
    ({"state": "old"}, "state", "permitted: 'new', 'done', 'ignored', 'all'"),
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"limit": 201}, "limit", "less than or equal to 200"),
]
ITEM = {"key": "my bill", "language": "en"}
BAD_STATE = [
    ({"items": [], "state": "done"}, ["items"], "at least 1 items"),
    ({"items": [ITEM] * 501, "state": "done"}, ["items"], "at most 500 items"),
    ({"items": "my bill", "state": "done"}, ["items"], "not a valid list"),
    ({"items": [ITEM], "state": "maybe"}, ["state"], "permitted: 'new', 'done', 'ignored'"),
    ({"items": [ITEM]}, ["state"], "field required"),
    ({"items": [{**ITEM, "language": "de"}], "state": "done"}, ["items", 0, "language"],
     "permitted: 'en', 'fr', ''"),
    ({"items": [{**ITEM, "key": ""}], "state": "done"}, ["items", 0, "key"], "at least 1 char"),
    ({"items": [{**ITEM, "key": "k" * 513}], "state": "done"}, ["items", 0, "key"],
     "at most 512 characters"),
    ({"items": [{**ITEM, "key": 5}], "state": "done"}, ["items", 0, "key"], "str type expected"),
    ({"items": [{**ITEM, "key": "bill\ud800"}], "state": "done"}, ["items", 0, "key"],
     "valid Unicode"),
    ({"items": [{**ITEM, "key": "bill\x00"}], "state": "done"}, ["items", 0, "key"],
     "control characters (found U+0000)"),
]  # fmt: skip
LABEL = {"intent": "check_bill_balance", "language": "en", "texts": [NEW_TEXT]}
BAD_LABEL = [
    ({**LABEL, "texts": []}, ["texts"], "at least 1 items"),
    ({**LABEL, "texts": [NEW_TEXT] * 201}, ["texts"], "at most 200 items"),
    ({**LABEL, "texts": NEW_TEXT}, ["texts"], "not a valid list"),
    ({**LABEL, "texts": ["é" * 501]}, ["texts", 0], "at most 500 characters"),
    ({**LABEL, "texts": [""]}, ["texts", 0], "at least 1 char"),
    ({**LABEL, "texts": ["ma facture \udfff"]}, ["texts", 0], "valid Unicode"),
    ({**LABEL, "language": "de"}, ["language"], "permitted: 'en', 'fr'"),
    ({**LABEL, "language": ""}, ["language"], "permitted: 'en', 'fr'"),
    ({**LABEL, "intent": "../../etc/passwd"}, ["intent"], "not an intent name: a-z, 0-9 and _"),
    ({**LABEL, "intent": "check_bill_balance; rm -rf /"}, ["intent"], "not an intent name"),
    ({**LABEL, "intent": "greet\n"}, ["intent"], "not an intent name"),
    ({**LABEL, "intent": LONG}, ["intent"], "at most 129 characters"),
    ({**LABEL, "new_intent": "yes"}, ["new_intent"], "not a valid boolean"),
]  # fmt: skip


# Each list in one test (one gateway per database): the cases are checked before any query.
def test_bad_inbox_filters_get_422_saying_why(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    for query, where, says in BAD_INBOX:
        answer = client.get("/api/trainer/inbox", params={**WEEK, **query}, headers=tokens["tess"])
        assert answer.status_code == 422, query
        (problem,) = answer.json()["detail"]
        assert problem["loc"] == ["query", where] and says in problem["msg"], (query, problem)


@pytest.mark.parametrize(("path", "cases"), [("inbox/state", BAD_STATE), ("labels", BAD_LABEL)])
def test_bad_bodies_get_422_saying_why(
    client: TestClient, tokens: dict[str, dict[str, str]], project: Path,
    path: str, cases: list[tuple[dict, list, str]],
) -> None:  # fmt: skip
    before = fingerprint([project])
    headers = {**tokens["tess"], "Content-Type": "application/json"}
    for body, where, says in cases:
        # ASCII JSON: a lone surrogate travels as \ud800, as a browser's JSON.stringify sends it.
        answer = client.post(f"/api/trainer/{path}", content=json.dumps(body), headers=headers)
        assert answer.status_code == 422, (where, answer.text)
        (problem, *_) = answer.json()["detail"]
        assert problem["loc"] == ["body", *where] and says in problem["msg"], (where, problem)
    assert fingerprint([project]) == before


def test_bodies_that_are_not_json_get_422(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    headers = {**tokens["tess"], "Content-Type": "application/json"}
    for content in (b'{"items": [', b'{"state": "\xff"}', b"[]", b"null"):
        for path in ("/api/trainer/inbox/state", "/api/trainer/labels"):
            answer = client.post(path, content=content, headers=headers)
            assert answer.status_code == 422, (path, content, answer.text)
