"""`python -m bot.action_server`: rasa_sdk's action server, answering only Rasa.

rasa_sdk 3.6 authenticates no one and listens on every interface: anyone reaching `/webhook`
could run any action on a made-up tracker (`verified: true`). This serves the same Sanic app
on `BOT_ACTION_HOST` (loopback by default) and refuses every call without `BOT_ACTION_TOKEN`,
which Rasa sends as the `token` query parameter (the `token:` of endpoints.yml's
`action_endpoint`).
"""

from __future__ import annotations

import hmac
import sys
from types import ModuleType

from pydantic import ValidationError
from rasa_sdk import utils
from rasa_sdk.endpoint import create_app as create_sdk_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.common import close_backends
from bot.settings import BotSettings, describe
from connectors.settings import ConnectorSettings
from privacy.logging import install_log_redaction
from privacy.redaction import redactor

ACTIONS_PACKAGE = "actions"
# Readiness probes need no token; the answer is a bare {"status": "ok"}.
OPEN_PATHS = frozenset({"/health"})


def create_app(actions: str | ModuleType, *, token: str) -> Sanic:
    """rasa_sdk's app for `actions`, with every route but /health behind `token`."""
    if not token:
        raise ValueError("the action server needs a token (BOT_ACTION_TOKEN)")
    # No CORS: browsers have no business here, only the Rasa server.
    app = create_sdk_app(actions, cors_origins=None)
    expected = token.encode()

    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token", "").encode()
        if hmac.compare_digest(given, expected):
            return None
        return response.json({"error": "a valid token is required"}, status=401)

    app.register_middleware(require_token, "request")

    async def close_clients(app: Sanic, loop: object) -> None:
        await close_backends()  # the back-end clients this worker's loop built

    app.register_listener(close_clients, "after_server_stop")
    return app


def main() -> int:
    """Serve the `actions` package until stopped."""
    try:
        settings = BotSettings()
        # Built now, so that a placeholder gateway token stops the start, not the first handover.
        ConnectorSettings()
    except ValidationError as error:
        print(describe(error), file=sys.stderr)
        return 2
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    install_log_redaction()
    # The redactor takes a few seconds to build: here, before the port opens (so /health
    # answers only once the server is ready), not on the first handover's ticket. Sanic forks
    # its workers after this, and each inherits it.
    redactor()
    app = create_app(ACTIONS_PACKAGE, token=settings.action_token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    # No access log: each request's URL carries the token.
    app.run(
        settings.action_host,
        settings.action_port,
        workers=utils.number_of_sanic_workers(),
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
