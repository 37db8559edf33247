"""The trainer's loop on the running stack (issue 12), through the public interfaces only:

customers send messages the live model misses; they reach the trainer's inbox as one group; the
trainer labels the group; a training runs in the RQ worker, passes the gates and is published
to half of the new conversations; scripted customers, who ask for a person when the bot does
not answer what they asked, make its arm better than the live one: it is promoted on its own
and then understands the message. Then a deliberately bad model (the examples of two intents
swapped) is trained from the command line: its evaluation fails; forced into the canary, its
arm hands customers over, and it is rolled back on its own. Throughout, no conversation changes
model (Rasa's events carry the model's id), and every message a customer sent is in Rasa's
tracker and was answered.

The trainings use `rollout_stack.QUICK_CONFIG` (fewer epochs) and the live model is the
repository's: the gates are the product's but for a wider macro tolerance (rollout_stack's
docstring). Timings of each step are printed (`-s`).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from tests.e2e.rollout_stack import (
    MIN_CONVERSATIONS,
    Rollout,
    rollout_stack,  # noqa: F401  (the module's stack)
    wait_for,
)
from tests.e2e.test_handover import Customer
from trainer.tables import MODEL_ASSIGNMENTS

pytestmark = pytest.mark.e2e

# Paraphrases of "what do I owe" that the repository's model does not understand.
MISSED = (
    "tell me the figure i need to settle",
    "what figure do i have to settle",
    "the figure i need to settle please",
)
BILL = "what is my bill balance"
ORDER = "where is my order"
UNHAPPY = "let me talk to a person"
SWAPPED = ("track_order", "check_outage")  # the bad model's examples: each other's
MAX_CONVERSATIONS = 60  # per canary: the gates decide long before
TRAINING_MINUTES = 20


class Traffic:
    """Scripted customers: each conversation's messages sent and answers received, by id."""

    def __init__(self, rollout: Rollout) -> None:
        self.rollout = rollout
        self.sent: dict[str, int] = {}
        self.answered: dict[str, int] = {}

    def talk(self, first: str, expected: str) -> tuple[str, str]:
        """A customer asks `first`; told something other than `expected`, asks for a person.
        (conversation id, the bot's first answer)."""
        customer = Customer(self.rollout.url)
        try:
            self.sent[customer.session_id] = 1
            reply = customer.ask(first, "")
            self.answered[customer.session_id] = 1
            if reply != expected:
                self.sent[customer.session_id] = 2
                customer.ask_once_stored(UNHAPPY)
                self.answered[customer.session_id] = 2
            return customer.session_id, reply
        finally:
            customer.close()

    def until_decided(self, questions: tuple[tuple[str, str], ...]) -> dict[str, Any]:
        """Conversations two at a time, taking `questions` (text, expected) in turn, until the
        canary has decided; the roll-out's state then."""
        started = len(self.sent)
        turn = 0
        with ThreadPoolExecutor(2) as pool:
            while len(self.sent) - started < MAX_CONVERSATIONS:
                state = self.rollout.api("GET", "/rollout").json()
                if state["rollout"]["mode"] == "idle":
                    return state
                pair = [questions[(turn + i) % len(questions)] for i in range(2)]
                turn += 2
                list(pool.map(lambda question: self.talk(*question), pair))
        raise AssertionError(f"no decision after {MAX_CONVERSATIONS}: {state['decision']}")


def servers_of(rollout: Rollout) -> dict[str, str]:
    engine = create_engine(rollout.env["DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            select(MODEL_ASSIGNMENTS.c.conversation_id, MODEL_ASSIGNMENTS.c.server)
        )
        found = {cid: server for cid, server in rows}
    engine.dispose()
    return found


def rasa_events(rollout: Rollout) -> dict[str, list[dict[str, Any]]]:
    """Every conversation's events in Rasa's tracker store (both servers write there)."""
    engine = create_engine(rollout.env["PRIVACY_TRACKER_STORE_URL"])
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with engine.connect() as connection:
        for sender, data in connection.execute(
            text("SELECT sender_id, data FROM events ORDER BY id")
        ):
            found[sender].append(json.loads(data))
    engine.dispose()
    return found


def swapped_data(project: Path, folder: Path) -> Path:
    """A copy of the project's data where the two `SWAPPED` intents trade examples."""
    shutil.copytree(project / "data", folder)
    one, other = SWAPPED
    pattern = re.compile(rf"^(- intent: )({one}|{other})\s*$", re.MULTILINE)
    for path in (folder / "nlu").rglob("*.yml"):
        content = path.read_text(encoding="utf-8")
        swapped = pattern.sub(lambda m: m[1] + (other if m[2] == one else one), content)
        path.write_text(swapped, encoding="utf-8")
    return folder


def finished_job(rollout: Rollout, job_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = rollout.api("GET", f"/jobs/{job_id}").json()
        return job if not job["active"] else None

    job = wait_for(f"training job {job_id}", done, timeout=TRAINING_MINUTES * 60, every=3)
    assert job["state"] == "succeeded", job["error"] or job["log"][-3000:]
    return job


@pytest.mark.timeout(TRAINING_MINUTES * 60 * 2 + 600)  # two trainings and the stack's start
def test_a_missed_message_is_labelled_trained_tried_promoted_and_a_bad_model_rolled_back(
    rollout_stack: Rollout,  # noqa: F811
    tmp_path: Path,
) -> None:
    rollout, clock = rollout_stack, Clock()
    traffic = Traffic(rollout)
    live = rollout.api("GET", "/rollout").json()["rollout"]["live_model"]
    wait_for("both servers hold the live model", lambda: all(
        rollout.server_holds(s, live) for s in "ab"), timeout=180)  # fmt: skip
    assert {rollout.parse("a", missed) for missed in MISSED} <= {"nlu_fallback", "out_of_scope"}
    _, bill = traffic.talk(BILL, "")
    _, order = traffic.talk(ORDER, "")
    early = Customer(rollout.url)  # begun before any canary: stays on the live server
    assert early.ask(BILL, "") == bill
    for missed in MISSED:
        traffic.talk(missed, bill)

    # The inbox groups the three; the trainer labels the group.
    def missed_group() -> dict[str, Any] | None:
        inbox = rollout.api("GET", "/inbox", params={"state": "new"}).json()
        for group in inbox["groups"]:
            if set(MISSED) <= {each["text"] for each in group["texts"]}:
                return group
        return None

    group = wait_for("the missed messages grouped in the inbox", missed_group, timeout=60)
    clock.lap("in the inbox")
    labelled = rollout.api("POST", "/labels", json={
        "intent": "check_bill_balance", "language": "en",
        "texts": [each["text"] for each in group["texts"]],
    })  # fmt: skip
    assert labelled.status_code == 200, labelled.text
    assert {o["status"] for o in labelled.json()["outcomes"]} == {"added"}, labelled.text
    clock.lap("labelled")

    # Trained in the worker, judged, published to half of the new conversations.
    submitted = rollout.api("POST", "/jobs", json={"note": "the figure to settle"})
    assert submitted.status_code == 202, submitted.text
    good = finished_job(rollout, submitted.json()["id"])["model_id"]
    clock.lap("trained and evaluated")
    judged = rollout.api("GET", f"/models/{good}").json()
    assert judged["verdict"] == "pass", judged["failed_checks"]
    published = rollout.api("POST", "/rollout/publish", json={"model_id": good, "share": 0.5})
    assert published.status_code == 200, published.text
    assert published.json()["rollout"]["candidate_server"] == "b"
    wait_for("the candidate on server b", lambda: rollout.server_holds("b", good), 180)
    clock.lap("loaded by the canary server")

    asked = tuple((missed, bill) for missed in MISSED) + ((BILL, bill),)
    state = traffic.until_decided(asked)
    clock.lap("promoted")
    assert (state["rollout"]["live_model"], state["rollout"]["live_server"]) == (good, "b")
    assert (state["audit"][0]["action"], state["audit"][0]["actor"]) == ("promoted", "system")
    decisions = {"promoted": state["audit"][0].get("details")}
    placed = servers_of(rollout)
    counted = {server: sum(placed.get(cid) == server for cid in traffic.sent) for server in "ab"}
    assert min(counted.values()) >= MIN_CONVERSATIONS, (counted, state["audit"][0])

    # Understood now, by everyone new; the early conversation still on the old model.
    newcomer, reply = traffic.talk(MISSED[0], bill)
    assert reply == bill and servers_of(rollout)[newcomer] == "b"
    assert rollout.parse("b", "i need the figure to settle") == "check_bill_balance"
    assert early.ask("thanks", "")
    assert servers_of(rollout)[early.session_id] == "a"
    early.close()
    clock.lap("understood")

    # A bad model, from the command line: flagged by its evaluation.
    bad_data = swapped_data(rollout.project, tmp_path / "swapped")
    trained = rollout.cli("train", "--data", str(bad_data), "--wait", "--author", "tess",
                          timeout=TRAINING_MINUTES * 60)  # fmt: skip
    assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-3000:]
    bad = re.fullmatch(r"model (\S+): .*", trained.stdout.splitlines()[-1])[1]  # type: ignore[index]
    clock.lap("bad model trained")
    flagged = rollout.api("GET", f"/models/{bad}").json()
    assert flagged["verdict"] == "fail"
    failed = json.dumps(flagged["failed_checks"])
    assert all(intent in failed for intent in SWAPPED), flagged["failed_checks"]
    refused = rollout.cli("publish", bad, "--share", "0.5", "--as", "tess")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    forced = rollout.cli("publish", bad, "--share", "0.5", "--force", "--as", "tess")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert rollout.api("GET", "/rollout").json()["rollout"]["candidate_server"] == "a"
    wait_for("the bad model on server a", lambda: rollout.server_holds("a", bad), 180)

    state = traffic.until_decided(((ORDER, order), (BILL, bill)))
    clock.lap("bad model rolled back")
    assert (state["rollout"]["live_model"], state["rollout"]["mode"]) == (good, "idle")
    assert (state["audit"][0]["action"], state["audit"][0]["actor"]) == ("rolled_back", "system")
    decisions["rolled back"] = state["audit"][0].get("details")
    newcomer, reply = traffic.talk(ORDER, order)
    assert reply == order and servers_of(rollout)[newcomer] == "b"

    # No conversation changed model; no message went missing.
    events = rasa_events(rollout)
    for conversation, sent in traffic.sent.items():
        said = [e for e in events[conversation] if e.get("event") == "user"]
        models = {e["metadata"]["model_id"] for e in events[conversation] if
                  e.get("metadata", {}).get("model_id")}  # fmt: skip
        assert len(models) == 1, (conversation, models)
        assert len(said) == sent == traffic.answered[conversation], (conversation, said)
    print(clock.report(conversations=len(traffic.sent)))
    for decision, details in decisions.items():  # the canary's figures behind each decision
        print(f"{decision}: {json.dumps(details, sort_keys=True)}")


class Clock:
    """Seconds from the start to each step, for the closing note's timings."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()
        self.laps: list[tuple[str, float, float]] = []

    def lap(self, what: str) -> None:
        now = time.monotonic()
        self.laps.append((what, now - self.last, now - self.start))
        self.last = now

    def report(self, **counts: int) -> str:
        lines = [f"{what:32} {step:7.1f} s  (at {total:7.1f} s)" for what, step, total in self.laps]
        return "\n".join(["roll-out timings:", *lines, f"counts: {counts}"])
