"""The roll-out from the command line, on the gateway's database (`DATABASE_URL`):

- `python -m trainer publish MODEL_ID [--share 0.5] [--force]`: try a registered model on a
  share of new conversations (a canary on the standby Rasa server);
- `python -m trainer promote [--reason TEXT]`, `rollback [--reason TEXT]`: end the canary;
- `python -m trainer status [--json]`: the roll-out, the model each server holds, the arms'
  figures, the decision the gates would take now, and the last audit lines.

Actions are audited under `--as NAME` (default: "cli:" and the login name). Exit status: 0
done, 1 refused (the reason is printed) or the database could not be used, 2 bad input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import sys
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from handover.db import make_engine, session_factory, session_scope
from trainer import audit, rollout
from trainer.arms import ArmFigures, arm_figures
from trainer.audit import AuditEntry
from trainer.canary import CanaryGates, decide
from trainer.cli_args import inert, iso
from trainer.rollout import Rollout, RolloutError
from trainer.settings import TrainerSettings
from trainer.tables import MAX_BY

COMMANDS = ("publish", "promote", "rollback", "status")
AUDIT_LINES = 10


def add_parser(commands: Any) -> None:
    """Add `COMMANDS` to the subparsers of `python -m trainer`."""
    publish = commands.add_parser(
        "publish",
        help="try a model on a share of new conversations (a canary)",
        description="The model goes on the standby Rasa server and takes --share of the new"
        " conversations; the gateway promotes or rolls it back by the canary's gates. A model"
        " whose evaluation failed, or that has none, needs --force (audited).",
    )
    publish.add_argument("model_id", metavar="MODEL_ID", help="as `python -m trainer models`")
    publish.add_argument("--share", type=_share, help="over 0, at most 1 (default: 0.5)")
    publish.add_argument("--force", action="store_true", help="publish without a passed verdict")
    for name, what in (("promote", "make the candidate live"), ("rollback", "end the canary")):
        command = commands.add_parser(name, help=what, description=f"{what.capitalize()}.")
        command.add_argument("--reason", type=_reason, default="", help="kept in the audit log")
    for command in (publish, commands.choices["promote"], commands.choices["rollback"]):
        command.add_argument("--as", dest="actor", help="who acts (default: cli:LOGIN)")
    status = commands.add_parser(
        "status",
        help="the roll-out, the arms' figures and the last audit lines",
        description="Reads the facts as the gateway last folded them (it folds Rasa's events"
        " at each canary check): this command writes nothing.",
    )
    status.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace) -> int:
    """Run one of `COMMANDS`; returns the exit status."""
    try:
        settings = TrainerSettings()
    except ValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    actor = None
    if args.command != "status":
        actor = _login() if args.actor is None else args.actor
        if problem := _actor_problem(actor):
            print(f"error: {problem}", file=sys.stderr)
            return 2
    engine = make_engine(settings.database_url)
    try:
        if args.command == "status":
            return _status(engine, settings, as_json=args.json)
        assert actor is not None
        with session_scope(session_factory(engine)) as db:
            state = _act(db, args, actor, settings)
    except RolloutError as error:
        print(f"refused ({error.code}): {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        # The driver's first line ("no such table: ..."), never the statement or its values.
        reason = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
        print(f"error: cannot use the gateway's database: {reason}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print("\n".join(_describe(state)))
    return 0


def _act(db: Any, args: argparse.Namespace, actor: str, settings: TrainerSettings) -> Rollout:
    if args.command == "publish":
        share = settings.canary_share if args.share is None else args.share
        return rollout.publish(db, args.model_id, share=share, by=actor, force=args.force)
    end = rollout.promote if args.command == "promote" else rollout.rollback
    return end(db, by=actor, reason=args.reason)


def _status(engine: Engine, settings: TrainerSettings, *, as_json: bool) -> int:
    with session_factory(engine)() as db:
        state = rollout.current(db)
        if state is None:
            print("no roll-out yet: the gateway starts one at its first start", file=sys.stderr)
            return 1
        servers = rollout.server_models(db)
        figures = arm_figures(db, state)
        lines = audit.recent(db, AUDIT_LINES)
    decision = decide(figures, CanaryGates.from_settings(settings)) if figures else None
    if as_json:
        shown = {
            "rollout": asdict(state),
            "servers": servers,
            "figures": {arm: asdict(f) for arm, f in figures.items()},
            "decision": None if decision is None else {
                "action": decision.action, "reasons": list(decision.reasons)
            },
            "audit": [asdict(line) for line in lines],
        }  # fmt: skip
        # ASCII JSON: what staff typed comes out escaped, control characters included.
        print(json.dumps(shown, indent=2, default=iso))
        return 0
    text = _describe(state)
    text.append("servers:    " + ", ".join(f"{n} holds {m}" for n, m in sorted(servers.items())))
    if figures:
        text += ["", *_figures_table(figures)]
    if decision is not None:
        text += ["", f"the gates would {decision.action} now:"]
        text += [f"  - {reason}" for reason in decision.reasons]
    text += ["", f"last {len(lines)} audit lines:", *(_audit_line(line) for line in lines)]
    print("\n".join(text))
    return 0


def _describe(state: Rollout) -> list[str]:
    lines = [
        f"mode:       {state.mode} (last change {_when(state.updated_at)}"
        f" by {inert(state.updated_by)})",
        f"live:       {state.live_model} on server {state.live_server}",
    ]
    if state.mode == "canary":
        lines.append(
            f"candidate:  {state.candidate_model} on server {state.candidate_server}, taking"
            f" {state.share:.0%} of new conversations since {_when(state.started_at)}"
        )
    return lines


def _figures_table(figures: dict[str, ArmFigures]) -> list[str]:
    arms = [figures[name] for name in ("live", "candidate") if name in figures]
    rows: list[tuple[str, ...]] = [
        ("", *(f"{a.arm} ({a.model_id})" for a in arms)),
        ("conversations", *(str(a.conversations) for a in arms)),
        ("messages", *(str(a.messages) for a in arms)),
        ("fallback rate", *(_rate(a.fallback_rate, a.fallbacks, a.measured) for a in arms)),
        ("hand-over rate", *(_rate(a.handover_rate, a.handovers, a.conversations) for a in arms)),
        ("containment", *(_rate(a.containment, a.contained, a.requests) for a in arms)),
        ("CSAT", *(f"{_number(a.csat, '.2f')} ({a.ratings})" for a in arms)),
        ("latency p50/p95 ms", *(_latency(a) for a in arms)),
    ]
    return [
        "  ".join(f"{cell:<28}" if i else f"{cell:<20}" for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def _audit_line(line: AuditEntry) -> str:
    details = dict(line.details)
    details.pop("figures", None)  # whole in --json
    details.pop("gates", None)
    reason = details.pop("reason", "") or ""
    said = reason or ", ".join(f"{k}={v}" for k, v in sorted(details.items()))
    return (
        f"  {_when(line.at)}  {inert(line.actor)}  {line.action}  {line.model_id or '-'}"
        f"  {inert(said)}"
    ).rstrip()


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 1:
        raise argparse.ArgumentTypeError("must be over 0 and at most 1, e.g. 0.5")
    return value


def _reason(text: str) -> str:
    if len(text) > rollout.MAX_REASON:
        raise argparse.ArgumentTypeError(f"at most {rollout.MAX_REASON} characters")
    return text


def _actor_problem(actor: str | None) -> str:
    if actor is None:
        return "no login name here: give --as NAME"
    if not actor.strip() or len(actor) > MAX_BY or not actor.isprintable():
        return f"--as must be 1 to {MAX_BY} printable characters"
    if actor == audit.SYSTEM:
        return f"{audit.SYSTEM!r} is the canary's own name"
    return ""


def _login() -> str | None:
    try:
        return f"cli:{getpass.getuser()}"[:MAX_BY]
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (some containers)
        return None


def _rate(rate: float | None, part: int, whole: int) -> str:
    return "-" if rate is None else f"{rate:.0%} ({part}/{whole})"


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _latency(figures: ArmFigures) -> str:
    latency = figures.latency_ms
    return f"{_number(latency.p50, '.0f')} / {_number(latency.p95, '.0f')}"


def _when(at: datetime | None) -> str:
    return "-" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"
