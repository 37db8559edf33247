"""The gateway: FastAPI for REST, python-socketio for customers and agents, on one ASGI app."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any, Literal

import socketio
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException

from connectors import build_sync_backends as build_backends
from connectors.crm import TicketRequest
from connectors.settings import ConnectorSettings
from handover import crud, recovery, watchers
from handover.api.errors import undecodable_body
from handover.api.routes import agents, bot, conversations, flags, history, model_server, notes
from handover.api.routes import privacy as privacy_routes
from handover.api.routes import reports as report_routes
from handover.api.routes import supervisor as supervisor_routes
from handover.api.routes import trainer as trainer_routes
from handover.api.routes import trainer_models as trainer_model_routes
from handover.bot_router import BotRouter, bot_servers, watch_rollout
from handover.canned import load_canned_responses
from handover.config import HandoverSettings
from handover.db import make_engine, migrate, session_factory
from handover.docs import add_docs, fastapi_docs_options
from handover.headers import SecurityHeaders
from handover.lifecycle import TransitionRefused
from handover.ratelimit import RateLimiter
from handover.service import Hub
from handover.sockets.agent import AgentNamespace
from handover.sockets.customer import CustomerNamespace
from handover.state import MemoryStateStore, Owner, Ownership, make_store
from handover.suggest import Suggester
from privacy.erasure import PrivacyStores
from privacy.logging import install_log_redaction
from privacy.redaction import pseudonym, redact, redactor
from privacy.retention import keep_purging
from privacy.settings import PrivacySettings
from privacy.trackers import tracker_engine
from reporting.broker_table import events_engine
from reporting.settings import ReportingSettings
from trainer.canary import CanaryGates
from trainer.settings import TrainerSettings

logger = logging.getLogger(__name__)
# How often a gateway looks for customer messages a stopped gateway left unanswered.
RECOVERY_CHECK_SECONDS = 15.0
# How long a stopping gateway lets the bot's answers on their way finish (stored, they are read
# on reconnect); those still waiting are answered after the restart.
FINISH_TURNS_SECONDS = 10.0
STATIC = Path(__file__).resolve().parent / "static"
# Third-party browser code (the socket.io client) that `make install` fetches from npm.
VENDOR = Path(__file__).resolve().parent.parent / "build" / "vendor"


def crm_ticket_opener(settings: ConnectorSettings) -> Any:
    """Open a CRM ticket with the transcript, personal data redacted; returns its reference."""

    def open_ticket(
        conversation_id: str,
        reason: str,
        transcript: list[dict[str, Any]],
        *,
        customer_id: str | None = None,
    ) -> str:
        lines = [
            {
                "sender": line["sender"] if line["sender"] in ("user", "agent") else "bot",
                "text": redact(line["text"]),
                "timestamp": line["timestamp"],
            }
            for line in transcript
        ]
        request = TicketRequest(
            customer_id=customer_id,
            # Not the session id: whoever reads tickets must not be able to join the chat.
            subject=f"Chat {pseudonym(conversation_id)}: nobody free to take it ({reason})",
            description="The customer asked for a person; nobody could take the chat in time.",
            reason=reason,
            priority="normal",
            transcript=lines,
        )
        return build_backends(settings).crm.create_ticket(request).ticket_id

    return open_ticket


DEMO_TITLES = {"en": "Nimbus Telecom help", "fr": "Aide Nimbus Telecom"}


def demo_page(lang: str) -> str:
    """The demo site with the widget in `lang` (the widget marks its own element's language)."""
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    page = page.replace(f'data-title="{DEMO_TITLES["en"]}"', f'data-title="{DEMO_TITLES[lang]}"')
    return page.replace('data-lang="en"', f'data-lang="{lang}"')


def ownership_from_row(row: Any) -> Ownership:
    """A queued or assigned conversation as recorded in the database, for the state store."""

    def epoch(value: Any) -> float | None:
        return value.timestamp() if value is not None else None

    state = Owner(row.state)
    return Ownership(
        conversation_id=row.id,
        state=state,
        agent=row.agent_username if state == Owner.ASSIGNED else None,
        skill=row.skill or "general",
        vulnerable=bool(row.vulnerable),
        queued_at=epoch(row.queued_at) or 0.0,
        assigned_at=epoch(row.assigned_at) if state == Owner.ASSIGNED else None,
    )


def create_app(settings: HandoverSettings | None = None) -> socketio.ASGIApp:
    """The whole gateway as one ASGI application."""
    settings = settings or HandoverSettings()
    manager = (
        socketio.AsyncRedisManager(settings.redis_url, channel=f"{settings.redis_namespace}-sio")
        if settings.redis_url
        else None
    )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=settings.socket_origins(),
        client_manager=manager,
        logger=False,
    )
    engine = make_engine(settings.database_url)
    backends = ConnectorSettings()
    # The gateway's database and Redis, whatever the environment says: the trainings it starts
    # and the roll-out it serves live where its own rows do.
    trainer_settings = TrainerSettings(
        database_url=settings.database_url, redis_url=settings.redis_url
    )
    hub = Hub(
        settings=settings,
        store=make_store(settings.redis_url, namespace=settings.redis_namespace),
        sessions=session_factory(engine),
        rasa=bot_servers(settings, engine, trainer_settings),
        sio=sio,
        open_ticket=crm_ticket_opener(backends),
        limiter=RateLimiter(settings.redis_url, namespace=f"{settings.redis_namespace}-limits"),
    )
    sio.register_namespace(CustomerNamespace(hub))
    sio.register_namespace(AgentNamespace(hub))
    privacy = PrivacySettings()
    privacy_stores = PrivacyStores(
        sessions=hub.sessions,
        tracker_store=tracker_engine(privacy.tracker_store_url),
        state=hub.store,
        crm=build_backends(backends).crm,
        # Rasa's events as published for reports (reporting/): purged and erased here too.
        rasa_events=events_engine(ReportingSettings().events_url),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        await asyncio.to_thread(migrate, settings.database_url)
        if isinstance(hub.store, MemoryStateStore):
            rows = await hub.db(crud.list_unfinished_conversations)
            await hub.store.restore([ownership_from_row(row) for row in rows])
        await asyncio.to_thread(redactor)  # builds Presidio's engine now, not at the 1st message
        watcher = asyncio.create_task(
            watchers.expire_long_waits(hub.lifecycle, max_wait_seconds=settings.max_wait_seconds)
        )
        unanswered = partial(
            recovery.answer_unanswered, hub, older_than_seconds=settings.recover_after_seconds
        )
        looking = watchers.answer_unanswered(unanswered, every_seconds=RECOVERY_CHECK_SECONDS)
        tasks = [watcher, asyncio.create_task(looking)]
        if isinstance(hub.rasa, BotRouter):  # two Rasa servers: the canary is watched here
            gates = CanaryGates.from_settings(trainer_settings)
            every = trainer_settings.canary_check_seconds
            check = watch_rollout(hub.rasa, hub.db, gates, every, privacy_stores.rasa_events)
            tasks.append(asyncio.create_task(check))
        retention = asyncio.create_task(
            keep_purging(
                hub.sessions,
                privacy_stores.tracker_store,
                days=privacy.retention_days,
                every_seconds=privacy.retention_check_seconds,
                rasa_events=privacy_stores.rasa_events,
            )
        )
        yield
        for task in (*tasks, retention):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await hub.finish_turns(FINISH_TURNS_SECONDS)
        await hub.presence.stop()
        await hub.rasa.close()

    api = FastAPI(
        title="Switchboard handover gateway",
        version="0.1.0",
        lifespan=lifespan,
        **fastapi_docs_options(settings),  # /docs and /openapi.json: handover/docs.py
    )
    api.add_middleware(SecurityHeaders)  # CSP, no framing, nosniff: handover/headers.py
    api.state.hub = hub
    api.state.trainer_settings = trainer_settings  # models, trainings, roll-out (trainer/)
    api.state.privacy_stores = privacy_stores  # erase and export: handover/api/routes/privacy.py
    api.state.crm = privacy_stores.crm  # customers' past tickets: api/routes/history.py
    # Rasa's events for the bot's KPIs (REPORTING_EVENTS_URL): api/routes/reports.py.
    api.state.reporting_events = privacy_stores.rasa_events
    api.state.limiter = hub.limiter  # one limiter: agents' logins and customers' sockets
    api.state.canned_responses = load_canned_responses(settings.canned_responses_file)
    # Agent assist reads the bot's answers from its domain, once (handover/suggest.py).
    api.state.suggester = Suggester.from_domain(min_confidence=settings.suggestion_min_confidence)

    @api.exception_handler(TransitionRefused)
    async def refused(request: Request, error: TransitionRefused) -> JSONResponse:
        """The conversation's state does not allow it, someone else was first, or the
        conversation is not the caller's: 409."""
        return JSONResponse({"detail": str(error)}, status_code=409)

    api.add_exception_handler(HTTPException, undecodable_body)  # non-UTF-8 bodies: 422

    for router in (agents.router, conversations.router, bot.router, privacy_routes.router):
        api.include_router(router)
    api.include_router(notes.router)
    api.include_router(flags.router)  # agents flag messages for the trainer
    api.include_router(history.router)
    api.include_router(supervisor_routes.router)
    api.include_router(report_routes.router)
    api.include_router(trainer_routes.router)
    api.include_router(trainer_model_routes.router)  # models, trainings, roll-out
    api.include_router(model_server.router)

    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    if VENDOR.is_dir():
        api.mount("/vendor", StaticFiles(directory=VENDOR), name="vendor")
    add_docs(api, VENDOR)

    demo = {lang: demo_page(lang) for lang in ("en", "fr")}

    @api.get("/", include_in_schema=False)
    async def demo_site(lang: Literal["en", "fr"] = "en") -> HTMLResponse:
        """A fictional telecom site with the chat widget on it (`?lang=fr` for French)."""
        return HTMLResponse(demo[lang])

    @api.get("/privacy", include_in_schema=False)
    async def privacy_notice(lang: Literal["en", "fr"] = "en") -> FileResponse:
        """How the chat uses personal data: the widget links here unless the site has its own."""
        return FileResponse(STATIC / f"privacy.{lang}.html")

    @api.get("/console", include_in_schema=False)
    async def console() -> FileResponse:
        """The agent console."""
        return FileResponse(STATIC / "console.html")

    @api.get("/supervisor", include_in_schema=False)
    async def supervisor_view() -> FileResponse:
        """The supervisors' view: the queue, the agents and their load, reassigning."""
        return FileResponse(STATIC / "supervisor.html")

    @api.get("/dashboard", include_in_schema=False)
    async def dashboard() -> FileResponse:
        """The managers' dashboard: the reports API as tiles, charts and tables."""
        return FileResponse(STATIC / "dashboard.html")

    @api.get("/trainer", include_in_schema=False)
    async def trainer_page() -> FileResponse:
        """The bot trainers' page: the misunderstood messages grouped, labelled, set aside."""
        return FileResponse(STATIC / "trainer.html")

    @api.get("/trainer/models", include_in_schema=False)
    async def trainer_models_page() -> FileResponse:
        """The trainers' models and roll-out: train, compare, try on a share, promote."""
        return FileResponse(STATIC / "trainer-models.html")

    @api.get("/health", tags=["health"])
    async def health() -> JSONResponse:
        """Ready when the database, the state store and the Rasa server all answer."""
        checks = {
            "database": await _check(hub.db(lambda s: s.execute(text("SELECT 1")))),
            "state_store": await _check(hub.store.get("health-check")),
            "rasa": await hub.rasa.ready(),
        }
        ok = all(checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, 200 if ok else 503)

    return socketio.ASGIApp(sio, other_asgi_app=api)


async def _check(awaitable: Any) -> bool:
    try:
        await awaitable
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        logger.warning("health check failed: %r", error)
        return False
    return True


def run() -> None:
    """Serve the gateway (`python -m handover`)."""
    settings = HandoverSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    install_log_redaction()  # logs never carry dates of birth, codes or contact details
    # wsproto: the websockets package that Rasa pins is too old for this uvicorn.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, ws="wsproto")
