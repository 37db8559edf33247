"""`/api/trainer` (SQLite and PostgreSQL): who may use it, how bad input is refused, the inbox
folded from Rasa's events with its texts' states, the intents, and labels written into copies
of data/nlu and domain.yml (the repository's own files are checked unchanged at the end)."""

# Fixtures come from reports_gateway and test_api_roles: arguments of those names are them.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from handover import crud
from handover.api.deps import current_agent
from handover.api.routes import trainer_inbox
from handover.config import HandoverSettings
from handover.db import make_engine, session_factory, session_scope
from handover.main import create_app
from nlu.encoders import encoder
from reporting.bot_facts import normalised
from tests.handover.conftest import BACKENDS, empty_database
from tests.handover.reports_gateway import events_engine, said_to_rasa  # noqa: F401
from tests.handover.test_api import login, served
from tests.handover.test_api_roles import routes_needing
from tests.migrated import migrated
from tests.reporting.test_bot_facts import said, session, slot
from trainer import nlu_data

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = {"ann": "agent", "max": "manager", "sue": "supervisor", "adam": "admin", "tess": "trainer"}
WEEK = {"start": "2026-11-01T00:00:00+00:00", "end": "2026-11-08T00:00:00+00:00"}
BILL_EN = ["what is my bill balance", "How much do I owe on my bill this month?"]
BILL_FR = ["quel est le montant de ma facture", "Combien je dois payer sur ma facture ce mois-ci ?"]
PASSWORD = ["I forgot my password", "reset my password please"]
NEW_TEXT = "zorglub frobnicates my invoice"
ONLY = {"detail": "trainers and admins only"}


def fingerprint(paths: list[Path]) -> dict[str, str]:
    files = [
        f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()
    ]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module", autouse=True)
def repository_untouched() -> Iterator[None]:
    encoder("use")  # built once for the module (cached per process), not inside a timed request
    before = fingerprint([ROOT / "data", ROOT / "domain.yml"])
    yield
    assert fingerprint([ROOT / "data", ROOT / "domain.yml"]) == before


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data", tmp_path / "repo" / "data")
    shutil.copy(ROOT / "domain.yml", tmp_path / "repo" / "domain.yml")
    return tmp_path / "repo"


def settings_for(url: str, project: Path) -> HandoverSettings:
    return HandoverSettings(
        database_url=url, rasa_url="http://127.0.0.1:9", trainer_data_dir=project / "data/nlu",
        trainer_domain=project / "domain.yml",
        trainer_regression_file=project / "data/regression.jsonl",
    )  # fmt: skip


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as found:
        migrated(found)
        with session_scope(session_factory(make_engine(found))) as db:
            for name, role in PEOPLE.items():
                crud.create_agent(db, username=name, password="long-enough-1", skills=[],
                                  capacity=2, role=role)  # fmt: skip
        yield found


@pytest.fixture
def client(url: str, events_engine: Engine, project: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(url, project))) as running:
        yield running


@pytest.fixture
def tokens(client: TestClient) -> dict[str, dict[str, str]]:
    return {name: login(client, name) for name in PEOPLE}


def missed(engine: Engine, **conversations: tuple[str, list[str]]) -> None:
    """Rasa's events of sessions on 2 November: (language, texts the NLU missed) each."""
    events = {}
    for number, (sender, (language, texts)) in enumerate(conversations.items()):
        start = 60 + 10 * number
        events[sender] = [*session(start), slot("language", language, start),
                          *(said(t, "nlu_fallback", start + 1 + i) for i, t in enumerate(texts))]  # fmt: skip
    said_to_rasa(engine, events)


def inbox(client: TestClient, token: dict[str, str], **query: Any) -> dict[str, Any]:
    answer = client.get("/api/trainer/inbox", params={**WEEK, **query}, headers=token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def group_with(found: dict[str, Any], text: str) -> dict[str, Any] | None:
    return next((g for g in found["groups"] if text in [t["text"] for t in g["texts"]]), None)


OPERATIONS = [
    ("GET", "/api/trainer/inbox", {"params": WEEK}),
    ("GET", "/api/trainer/inbox/conversations", {"params": {**WEEK, "key": "my bill"}}),
    ("POST", "/api/trainer/inbox/state",
     {"json": {"items": [{"key": "my bill", "language": ""}], "state": "ignored"}}),
    ("GET", "/api/trainer/intents", {}),
    ("POST", "/api/trainer/labels",
     {"json": {"intent": "check_bill_balance", "language": "en", "texts": [NEW_TEXT]}}),
]  # fmt: skip


def test_the_schema_lists_every_trainer_operation(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    # The inbox's and the labels' (the models' and the roll-out's: test_api_trainer_models.py).
    ours = ("/api/trainer/inbox", "/api/trainer/intents", "/api/trainer/labels")
    listed = sorted((m.upper(), p) for p, ops in paths.items() if p.startswith(ours) for m in ops)
    assert listed == sorted((method, path) for method, path, _ in OPERATIONS)
    for method, path, _ in OPERATIONS:
        operation = paths[path][method.lower()]
        assert operation["tags"] == ["trainer"]
        assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert "409" in paths["/api/trainer/labels"]["post"]["responses"]


def test_trainers_and_admins_may_use_it_no_one_else(
    client: TestClient, tokens: dict[str, dict[str, str]], project: Path
) -> None:
    before = fingerprint([project])
    for method, path, request in OPERATIONS:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            answer = client.request(method, path, headers=headers, **request)
            assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
        for name in ("ann", "max", "sue"):
            answer = client.request(method, path, headers=tokens[name], **request)
            assert (answer.status_code, answer.json()) == (403, ONLY), (path, name)
    assert fingerprint([project]) == before, "a refused caller changes nothing"

    for method, path, request in OPERATIONS:
        for name in ("tess", "adam"):
            answer = client.request(method, path, headers=tokens[name], **request)
            assert answer.status_code == 200, (path, name, answer.text)
    assert NEW_TEXT in [e.text for e in nlu_data.examples(project / "data/nlu", ["en"])]


def test_a_trainer_takes_no_chats_and_reads_no_reports(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    tess = tokens["tess"]
    assert client.get("/api/agent/me", headers=tess).json()["status"] == "offline"
    for method, path in routes_needing(client, current_agent):
        answer = client.request(method, path.replace("{conversation_id}", "chat-1"),
                                headers=tess, json={})  # fmt: skip
        assert (answer.status_code, answer.json()) == (403, {"detail": "trainers take no chats"})
    assert client.get("/api/reports/summary", headers=tess).status_code == 403
    assert client.get("/api/supervisor/overview", headers=tess).status_code == 403


def test_the_inbox_folds_rasas_events_then_keeps_what_was_dealt_with(
    client: TestClient, tokens: dict[str, dict[str, str]], events_engine: Engine
) -> None:
    tess = tokens["tess"]
    missed(events_engine, en1=("en", BILL_EN), fr1=("fr", BILL_FR),
           en2=("en", [*PASSWORD, "born 14/03/1985 call me on 07700 900123"]))  # fmt: skip
    found = inbox(client, tess)
    assert found["messages"] == 7 and found["ungrouped"] == 0
    assert not re.search(r"1985|07700|900123", json.dumps(found)), "texts are redacted"
    bill = group_with(found, BILL_FR[0])
    assert bill and bill["state"] == "new" and bill["count"] == 4
    assert {(t["text"], t["language"], t["count"]) for t in bill["texts"]} == {
        (text, language, 1) for language, texts in (("en", BILL_EN), ("fr", BILL_FR))
        for text in texts
    }  # fmt: skip
    assert bill["key"] == normalised(bill["representative"]) and bill["languages"] == ["en", "fr"]
    assert bill["first_at"] == "2026-11-02T01:01:00+00:00"

    items = [{"key": t["key"], "language": t["language"]} for t in bill["texts"]]
    body = {"items": items * 2, "state": "done"}  # repeated items count once
    post = client.post("/api/trainer/inbox/state", json=body, headers=tess)
    assert post.json() == {"updated": 4}
    assert client.post("/api/trainer/inbox/state", json=body, headers=tess).json()["updated"] == 0

    assert group_with(inbox(client, tess), BILL_FR[0]) is None  # new groups only, by default
    assert group_with(inbox(client, tess, state="done"), BILL_FR[0])["state"] == "done"  # type: ignore[index]
    assert group_with(inbox(client, tess, state="ignored"), BILL_FR[0]) is None
    back = {"items": items[:1], "state": "new"}
    assert client.post("/api/trainer/inbox/state", json=back, headers=tess).json()["updated"] == 1
    assert group_with(inbox(client, tess), BILL_FR[0])["state"] == "mixed"  # type: ignore[index]
    # New events are folded at each request; hostile keys are only text.
    missed(events_engine, en3=("en", ["'; DROP TABLE inbox_states; --"]))
    hostile = {"items": [{"key": "'; drop table inbox_states; --", "language": "en"}],
               "state": "ignored"}  # fmt: skip
    assert (
        client.post("/api/trainer/inbox/state", json=hostile, headers=tess).json()["updated"] == 1
    )
    assert group_with(inbox(client, tess, state="all"), "'; DROP TABLE inbox_states; --")


def test_the_intents_are_those_a_text_can_be_labelled_with(
    client: TestClient, tokens: dict[str, dict[str, str]], project: Path
) -> None:
    found = client.get("/api/trainer/intents", headers=tokens["tess"]).json()
    trained = {e.intent for e in nlu_data.examples(project / "data/nlu")}
    assert found["languages"] == ["en", "fr"] and set(found["intents"]) == trained
    assert {"check_bill_balance", "faq/opening_hours", "out_of_scope"} <= set(found["intents"])
    # "faq" is labelled by topic; handback is sent by the gateway, never typed; nlu_fallback
    # is Rasa's: none takes examples.
    assert not {"faq", "handback", "nlu_fallback"} & set(found["intents"])


def test_labels_go_into_the_data_and_mark_the_texts_done(
    client: TestClient, tokens: dict[str, dict[str, str]], events_engine: Engine, project: Path
) -> None:
    tess = tokens["tess"]
    missed(events_engine, en1=("en", PASSWORD), fr1=("fr", BILL_FR))
    body = {"intent": "reset_password", "language": "en", "texts": PASSWORD}

    answer = client.post("/api/trainer/labels", json=body, headers=tess)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "outcomes": [
            {"text": PASSWORD[0], "status": "skipped",
             "reason": "already an example of reset_password (en, password.yml)"},
            {"text": PASSWORD[1], "status": "added", "reason": ""},
        ],
        "file": "data/nlu/en/password.yml", "warnings": [], "retrain": "make model",
    }  # fmt: skip
    english = nlu_data.examples(project / "data/nlu", ["en"])
    assert ("reset_password", PASSWORD[1]) in [(e.intent, e.text) for e in english]
    regression = (project / "data/regression.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["author"] for line in regression] == ["tess"]
    found = inbox(client, tess, state="done")
    (group,) = [g for g in found["groups"] if g["key"] == normalised(PASSWORD[0])]
    assert {t["state"] for t in group["texts"]} == {"done"}
    assert group_with(inbox(client, tess), BILL_FR[0]), "the French bill texts are still new"


def test_a_refused_group_is_409_and_changes_nothing(
    client: TestClient, tokens: dict[str, dict[str, str]], project: Path
) -> None:
    tess = tokens["tess"]
    before = fingerprint([project])
    evaluation = json.loads((ROOT / "tests/data/holdout.jsonl").read_text().splitlines()[0])
    texts = [NEW_TEXT, PASSWORD[0], "line one\u2028line two", evaluation["text"]]
    body = {"intent": "check_bill_balance", "language": "en", "texts": texts}

    answer = client.post("/api/trainer/labels", json=body, headers=tess)

    assert answer.status_code == 409
    found = answer.json()
    assert [o["status"] for o in found["outcomes"]] == ["held", "refused", "refused", "refused"]
    reasons = [o["reason"] for o in found["outcomes"]]
    assert "already an example of reset_password" in reasons[1]
    assert "line separator" in reasons[2] and "evaluation set holdout" in reasons[3]
    assert (found["file"], found["retrain"]) == (None, None)
    for intent, says in [("astrology", "unknown intent astrology"),
                         ("faq", "label with faq/<topic>")]:  # fmt: skip
        answer = client.post("/api/trainer/labels", json={**body, "intent": intent}, headers=tess)
        assert answer.status_code == 409 and says in answer.json()["detail"]
    assert fingerprint([project]) == before
    assert inbox(client, tess, state="done")["groups"] == []


def test_a_new_intent_joins_the_domain(
    client: TestClient, tokens: dict[str, dict[str, str]], project: Path
) -> None:
    body = {"intent": "ask_weather", "language": "fr", "texts": ["quel temps fait-il à Lyon"],
            "new_intent": True}  # fmt: skip
    answer = client.post("/api/trainer/labels", json=body, headers=tokens["adam"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["file"] == "data/nlu/fr/trainer.yml"
    assert "new intent ask_weather: add a rule or story for it" in answer.json()["warnings"]
    assert "ask_weather" in nlu_data.domain_facts(project / "domain.yml")[0]
    intents = client.get("/api/trainer/intents", headers=tokens["tess"]).json()["intents"]
    assert "ask_weather" in intents


def test_labels_at_once_are_written_one_after_the_other(url: str, project: Path) -> None:
    texts = [f"zorglub question {word} about my invoice" for word in ("one", "two", "three")]
    app = create_app(settings_for(url, project))
    with TestClient(app) as app_client:
        token = login(app_client, "tess")
    with served(create_app(settings_for(url, project))) as base, ThreadPoolExecutor(3) as pool:

        def post(text: str) -> int:
            body = {"intent": "check_bill_balance", "language": "en", "texts": [text]}
            answer = requests.post(f"{base}/api/trainer/labels", json=body, headers=token,
                                   timeout=60)  # fmt: skip
            return answer.status_code

        assert list(pool.map(post, texts)) == [200, 200, 200]
    english = [e.text for e in nlu_data.examples(project / "data/nlu", ["en"])]
    assert set(texts) <= set(english)
    assert len((project / "data/regression.jsonl").read_text().splitlines()) == 3


def test_the_encoder_is_built_by_the_first_inbox_with_texts_not_at_start_up(
    url: str, project: Path, events_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def spy(name: str) -> Any:
        calls.append(name)
        return encoder(name)

    monkeypatch.setattr(trainer_inbox, "encoder", spy)
    with TestClient(create_app(settings_for(url, project))) as app_client:
        tess = login(app_client, "tess")
        assert calls == [] and inbox(app_client, tess)["groups"] == []
        assert calls == [], "nothing to group: nothing to encode"
        missed(events_engine, en1=("en", BILL_EN))
        assert inbox(app_client, tess)["groups"]
        assert calls == ["use"]
