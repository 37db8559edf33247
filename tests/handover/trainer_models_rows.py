"""A registry and a roll-out to show, for the trainer's model API and page tests: the live
model (imported, evaluated), a candidate that passes its gates and one that fails them (its
bill intent confused with order tracking), judged by the real `trainer.gates.compare`; the
roll-out started with the live model; and, once a canary runs, conversations in both arms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from handover.models import RecordedEvent
from reporting.session_tables import SESSION_FACTS
from tests.trainer.training_fakes import model_file
from trainer import registry, rollout
from trainer.evaluation import Evaluation, Miss, SetScore
from trainer.gates import Gates, compare
from trainer.rollout import Rollout
from trainer.settings import TrainerSettings
from trainer.tables import BOT_MODELS, MODEL_ASSIGNMENTS
from trainer.training import summarize

# The seeded sets are small: the limits alone judge them, without a retrain's noise allowance.
FIXED_LIMITS = Gates(noise_sigmas=0)
LIVE, GOOD, BAD = "20261128-101500-4c1d9e", "20261201-141200-a7f3b2", "20261201-163000-e9024d"
CREATED = {
    LIVE: datetime(2026, 11, 28, 10, 15, tzinfo=timezone.utc),
    BAD: datetime(2026, 12, 1, 14, 12, tzinfo=timezone.utc),
    GOOD: datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc),
}
AUTHORS = {LIVE: "make model", GOOD: "tess", BAD: "tess"}
# The regression set: what trainers labelled (redacted then), and the intent each must get.
REGRESSION = {
    "ma facture a doublé ce mois-ci": "check_bill_balance",
    "what is the outstanding amount on my last invoice": "check_bill_balance",
    "my fibre box keeps blinking red": "check_outage",
    "le voyant de mon routeur clignote rouge": "check_outage",
}
SUPPORT = 20
BASE = {
    "check_bill_balance": 0.95, "check_outage": 0.85, "faq/opening_hours": 0.85, "greet": 1.0,
    "reset_password": 0.9, "track_order": 0.9,
}  # fmt: skip
LIVE_MISSES = ("ma facture a doublé ce mois-ci", "le voyant de mon routeur clignote rouge")
BAD_MISS = "what is the outstanding amount on my last invoice"


def scored(
    name: str, recall: dict[str, float], oos_false_accept: float, **extra: object
) -> SetScore:
    """A hold-out's scores: `SUPPORT` messages an intent, 25 out-of-scope ones."""
    errors = {
        intent: {"nlu_fallback": round((1 - value) * SUPPORT)}
        for intent, value in recall.items()
        if value < 1
    }
    errors.update(extra.pop("confusions", {}))  # type: ignore[arg-type]
    return SetScore(
        name=name, n=SUPPORT * len(recall) + 25, macro=sum(recall.values()) / len(recall),
        recall=recall, support=dict.fromkeys(recall, SUPPORT), oos_n=25,
        oos_false_accept=oos_false_accept, oos_handled=1 - oos_false_accept,
        confusions=errors, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def regression(misses: tuple[str, ...], predicted: str = "nlu_fallback") -> SetScore:
    texts = tuple(REGRESSION)
    return SetScore(
        name="regression", n=len(texts), macro=None, recall={}, support={}, oos_n=0,
        oos_false_accept=None, oos_handled=None,
        confusions={}, misses=tuple(Miss(t, REGRESSION[t], predicted) for t in misses),
        texts=texts,
    )  # fmt: skip


def evaluations() -> dict[str, Evaluation]:
    good = {**BASE, "check_outage": 0.9, "faq/opening_hours": 0.9, "reset_password": 0.95}
    bad = {**BASE, "check_bill_balance": 0.55, "track_order": 0.85}
    bad_confusions = {"check_bill_balance": {"track_order": 7, "nlu_fallback": 2}}
    return {
        LIVE: Evaluation(f"{LIVE}.tar.gz", {
            "holdout": scored("holdout", BASE, 0.08),
            "holdout_fr": scored("holdout_fr", {**BASE, "greet": 0.95}, 0.12),
            "regression": regression(LIVE_MISSES),
        }, 41.2),
        GOOD: Evaluation(f"{GOOD}.tar.gz", {
            "holdout": scored("holdout", good, 0.04),
            "holdout_fr": scored("holdout_fr", {**good, "greet": 0.95}, 0.12),
            "regression": regression(()),
        }, 39.8),
        BAD: Evaluation(f"{BAD}.tar.gz", {
            "holdout": scored("holdout", bad, 0.16, confusions=bad_confusions),
            "holdout_fr": scored("holdout_fr", {**bad, "greet": 0.95}, 0.12),
            "regression": regression((BAD_MISS,), "track_order"),
        }, 40.5),
    }  # fmt: skip


def seed_registry(db: Session, settings: TrainerSettings, files: Path) -> Rollout:
    """The three models registered (files in `settings.models_dir`) and the roll-out started
    with the live one, on "a", as the gateway's first start does."""
    found = evaluations()
    for model_id in (LIVE, BAD, GOOD):
        evaluation = found[model_id]
        live = None if model_id == LIVE else found[LIVE]
        verdict = None if live is None else compare(evaluation, live, FIXED_LIMITS)
        registry.register(
            db, settings, file=model_file(files / f"{model_id}.tar.gz", model_id),
            author=AUTHORS[model_id], source="imported" if model_id == LIVE else "trained",
            data_fingerprint=f"{len(model_id):064x}", evaluation=evaluation, verdict=verdict,
            summary=None if verdict is None else summarize(evaluation, live, verdict),
            model_id=model_id,
        )  # fmt: skip
        when = CREATED[model_id]
        db.execute(update(BOT_MODELS).where(BOT_MODELS.c.id == model_id).values(created_at=when))
    return rollout.ensure_initial(db, LIVE, by="make model", now=CREATED[LIVE])


def seed_arms(db: Session, state: Rollout, live: int = 24, candidate: int = 22) -> None:
    """Conversations in both arms of the running canary, each with its session's facts: the
    candidate's a little better (fewer fallbacks and hand-overs), ratings on both."""
    assert state.started_at is not None and state.candidate_model is not None
    arms = (("live", state.live_model, live, 5, 3), ("candidate", state.candidate_model,
                                                     candidate, 3, 2))  # fmt: skip
    for arm, model_id, count, fallbacks, handovers in arms:
        for n in range(count):
            conversation = f"arm-{arm}-{n:03d}"
            at = state.started_at + timedelta(minutes=1 + n)
            db.execute(
                MODEL_ASSIGNMENTS.insert().values(
                    conversation_id=conversation,
                    arm=arm,
                    model_id=model_id,
                    server=state.live_server if arm == "live" else state.candidate_server,
                    assigned_at=at,
                    last_seen_at=at,
                    messages=4,
                    latency_ms=4 * (620 + 37 * (n % 9) + (90 if arm == "candidate" else 0)),
                )  # fmt: skip
            )
            start = at.timestamp()
            db.execute(
                SESSION_FACTS.insert().values(
                    sender_id=conversation,
                    started=start,
                    quarter=int(start // 900),
                    first_message=start,
                    ended=start + 120,
                    channel="socketio",
                    requests="check_bill_balance",
                    user_messages=4,
                    fallbacks=int(n < fallbacks),
                    asked_for_person=n < handovers,
                    bot_ticket=False,
                    verified=True,
                    unanswered=False,
                    gateway_queued=False,
                    gateway_expired=False,
                )  # fmt: skip
            )
            if n % 3 == 0:
                db.execute(
                    RecordedEvent.__table__.insert().values(
                        conversation_id=conversation,
                        episode=1,
                        kind="rated",
                        at=at + timedelta(minutes=2),
                        score=4 + (n % 2),
                    )  # fmt: skip
                )
