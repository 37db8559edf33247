"""`python -m trainer bootstrap --model models/nimbus.tar.gz`: the model a stack starts with.

Run by `python -m bot.run` (`bot.stack.Stack`) before the Rasa servers start, when they take
their models from the gateway's model server: the gateway's database is migrated, the file is
registered (once: by its sha256) and becomes the live model on first start
(`trainer.rollout.ensure_initial`). A later start with another file (a `make model` since) makes
that one live when no canary runs; the audit log says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from handover.db import make_engine, migrate, session_factory, session_scope
from trainer import registry, rollout
from trainer.settings import TrainerSettings

AUTHOR = "make model"


def bootstrap(settings: TrainerSettings, model: Path, *, author: str = AUTHOR) -> str:
    """Register `model` and make sure a roll-out exists; the live model's id."""
    if not model.is_file():
        raise FileNotFoundError(f"no model file at {model}: run `make model`")
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            record = registry.import_model(session, settings, model, author=author)
            state = rollout.ensure_initial(session, record.id, by=author)
            return state.live_model
    finally:
        engine.dispose()


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "bootstrap",
        help="register a model file and make it live on first start (run by `make run`)",
    )
    parser.add_argument("--model", type=Path, required=True, help="e.g. models/nimbus.tar.gz")


def run(args: argparse.Namespace) -> int:
    try:
        live = bootstrap(TrainerSettings(), args.model)
    except (FileNotFoundError, rollout.RolloutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"live model: {live}")
    return 0
