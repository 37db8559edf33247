"""`python -m handover privacy erase|export --customer-id ID | --account NUMBER`.

Prints the receipt (erase) or the export as JSON. Exit status: 0 done, 1 a store failed (run it
again), 2 bad input. Without `REDIS_URL` the queue lives in the gateway's own memory, out of
this process's reach: use the supervisors' API (`POST /api/privacy/erase`) for it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from connectors import build_sync_backends
from connectors.settings import ConnectorSettings
from handover.config import settings
from handover.db import make_engine, migrate, session_factory
from handover.state import make_store
from privacy import erasure
from privacy.settings import PrivacySettings
from privacy.trackers import tracker_engine
from reporting.broker_table import events_engine
from reporting.settings import ReportingSettings


def add_parser(commands: Any) -> None:
    """Add the `privacy` command to the subparsers of `python -m handover`."""
    parser = commands.add_parser(
        "privacy", help="erase or export everything held about one customer (JSON)"
    )
    parser.add_argument("action", choices=("erase", "export"))
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer-id", help="the CRM's customer id, e.g. CUS-00001")
    who.add_argument("--account", help="an account number: 8 digits starting with 3")


async def _call(stores: erasure.PrivacyStores, args: argparse.Namespace) -> dict[str, Any]:
    call = erasure.erase if args.action == "erase" else erasure.export
    try:
        return await call(stores, customer_id=args.customer_id, account=args.account)
    finally:
        if stores.state is not None:
            await stores.state.aclose()


def run(args: argparse.Namespace) -> int:
    """Run `privacy erase|export`; returns the exit status."""
    try:
        erasure.check_identifier(customer_id=args.customer_id, account=args.account)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    config = settings()
    migrate(config.database_url)
    engine = make_engine(config.database_url)
    trackers = tracker_engine(PrivacySettings().tracker_store_url)
    rasa_events = events_engine(ReportingSettings().events_url)
    stores = erasure.PrivacyStores(
        sessions=session_factory(engine),
        tracker_store=trackers,
        state=make_store(config.redis_url, namespace=config.redis_namespace)
        if config.redis_url
        else None,
        crm=build_sync_backends(ConnectorSettings()).crm,
        rasa_events=rasa_events,
    )
    try:
        result = asyncio.run(_call(stores, args))
    finally:
        engine.dispose()
        trackers.dispose()
        rasa_events.dispose()
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0 if result.get("complete", True) else 1
