"""The trainer's workspace: what the bot misunderstood grouped by meaning (the inbox, in
`trainer_inbox`, whose router this one includes), what the trainer made of each text, the
intents to label with, and labelling into the training data.

Trainers and admins (`TRAINING_ROLES`); other roles get 403, callers without a valid token 401.
Labels change the files the settings name (`HANDOVER_TRAINER_*`),
one labeller at a time (`trainer.labels` locks the data folder), and mark the texts labelled or
already examples "done"; the bot knows them once retrained (`make model`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal, Union

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictStr, conlist, constr, validator
from sqlalchemy.orm import Session

from handover.api.deps import CleanJsonBody, CurrentTrainer, HubDep, current_trainer
from handover.api.report_query import Language
from handover.api.responses import AUTHENTICATED, Problem, problem
from handover.api.routes import trainer_inbox
from handover.config import HandoverSettings
from reporting.bot_facts import normalised
from trainer import nlu_data, states
from trainer.labels import INTENT_NAME, MAX_GROUP, LabelError, LabelResult, Status, label

MAX_ITEMS = 500
RETRAIN = "make model"
Key = constr(strict=True, min_length=1, max_length=states.MAX_KEY)
Text = constr(strict=True, min_length=1, max_length=nlu_data.MAX_TEXT)
ItemLanguage = Literal["en", "fr", ""]  # "": Rasa recorded none

router = APIRouter(
    prefix="/api/trainer",
    tags=["trainer"],
    # Who first: a caller without the role learns nothing from how a body is refused.
    dependencies=[Depends(current_trainer), CleanJsonBody],
    responses={**AUTHENTICATED, 403: problem("Trainers and admins only")},
)
router.include_router(trainer_inbox.router)  # GET /inbox


class Item(BaseModel):
    key: Key  # type: ignore[valid-type]
    language: ItemLanguage


class StateChange(BaseModel):
    items: conlist(Item, min_items=1, max_items=MAX_ITEMS)  # type: ignore[valid-type]
    state: states.State


class Updated(BaseModel):
    updated: int = Field(..., description="texts whose state changed")


class Intents(BaseModel):
    intents: list[str] = Field(..., description="the domain's, FAQ topics as faq/<topic>")
    languages: list[str]


class LabelRequest(BaseModel):
    # The pattern is for the schema's readers; the validator checks it, saying why.
    intent: StrictStr = Field(..., max_length=129, pattern=f"^{INTENT_NAME.pattern}$")
    language: Language
    texts: conlist(Text, min_items=1, max_items=MAX_GROUP)  # type: ignore[valid-type]
    new_intent: StrictBool = False

    @validator("intent")
    def _a_name(cls, value: str) -> str:  # noqa: N805
        if not INTENT_NAME.fullmatch(value):
            raise ValueError(
                "not an intent name: a-z, 0-9 and _, starting with a letter, at most 64"
                " characters (faq/<topic> for an FAQ's topic)"
            )
        return value


class Outcome(BaseModel):
    text: str
    status: Status
    reason: str = Field(..., description='why not added ("" when added)')


class Labelled(BaseModel):
    outcomes: list[Outcome] = Field(..., description="one per text, in the request's order")
    file: str | None = Field(..., description="the file the texts went to, null if none did")
    warnings: list[str]
    retrain: str | None = Field(..., description="the command that teaches the bot, if needed")


REFUSED = {
    409: {
        "model": Union[Labelled, Problem],  # noqa: UP007  (a value: pydantic 1 wants Union)
        "description": "Refused, nothing written: a text of the group (its outcome says why,"
        " the others are held), or the request as a whole (`detail`: unknown intent, ...)",
    }
}


@router.post("/inbox/state", response_model=Updated)
async def set_state(body: StateChange, trainer: CurrentTrainer, hub: HubDep) -> dict[str, int]:
    """Mark texts done or ignored, or new again."""
    items = [(item.key, item.language) for item in body.items]
    changed = await hub.db(states.set_states, items=items, state=body.state, by=trainer.username)
    return {"updated": changed}


def labelling_intents(domain: Path, data_dir: Path) -> list[str]:
    """The intents `trainer.labels.label` takes texts for (no new intent): the domain's, those
    answered by topic as their topics (`faq/<topic>`), each with training examples already.
    Rasa's own intents are left out unless the data trains them (`out_of_scope` does); intents
    no one types (`handback`, which the gateway sends) have no examples."""
    intents, responses = nlu_data.domain_facts(domain)
    trained = {example.intent for example in nlu_data.examples(data_dir)}
    found: set[str] = set()
    for intent in intents:
        prefix = f"utter_{intent}/"
        topics = [name.removeprefix(prefix) for name in responses if name.startswith(prefix)]
        names = [f"{intent}/{topic}" for topic in topics] if topics else [intent]
        found.update(names)
    return sorted(found & trained)


@router.get("/intents", response_model=Intents)
async def intents(hub: HubDep) -> dict[str, list[str]]:
    """The intents to label with, and the languages of the training data."""
    settings = hub.settings
    found = await asyncio.to_thread(
        labelling_intents, settings.trainer_domain, settings.trainer_data_dir
    )
    return {"intents": found, "languages": list(nlu_data.LANGUAGES)}


def _label(
    db: Session, *, body: LabelRequest, author: str, settings: HandoverSettings
) -> LabelResult:
    result = label(
        body.texts, body.intent, body.language, data_dir=settings.trainer_data_dir,
        domain_path=settings.trainer_domain, regression_path=settings.trainer_regression_file,
        author=author, new_intent=body.new_intent,
    )  # fmt: skip
    # The outcomes follow the texts: each text's key is the folded form the inbox lists.
    dealt_with = [
        (states.text_key(normalised(text)), body.language)
        for text, outcome in zip(body.texts, result.outcomes, strict=True)
        if outcome.status in ("added", "skipped")
    ]
    states.set_states(db, dealt_with, "done", by=author)
    return result


def _shown(result: LabelResult, data_dir: Path) -> dict[str, Any]:
    file = None
    if result.file is not None:  # as the repository names it: data/nlu/fr/billing.yml
        file = result.file.relative_to(data_dir.parent.parent).as_posix()
    return {
        "outcomes": [
            {"text": o.text, "status": o.status, "reason": o.reason} for o in result.outcomes
        ],
        "file": file,
        "warnings": list(result.warnings),
        "retrain": RETRAIN if file else None,
    }


@router.post("/labels", response_model=Labelled, responses=REFUSED)
async def add_labels(body: LabelRequest, trainer: CurrentTrainer, hub: HubDep) -> Any:
    """Add the texts as training examples of the intent in the language, all or none; the
    texts added, and those already examples, are marked done."""
    settings = hub.settings
    try:
        result = await hub.db(_label, body=body, author=trainer.username, settings=settings)
    except LabelError as error:
        return JSONResponse({"detail": str(error)}, status_code=409)
    shown = _shown(result, settings.trainer_data_dir)
    if result.of("refused"):
        return JSONResponse(jsonable_encoder(Labelled(**shown)), status_code=409)
    return shown
