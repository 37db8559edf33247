"""Security headers on every HTTP answer of the gateway, with a Content-Security-Policy per page.

- The console, the API and everything else: scripts, styles and connections to the gateway
  only (WebSockets included), and no framing (`frame-ancestors 'none'`, `X-Frame-Options`).
- The demo site (`/`): it stands for a customer's site, which may be shown in a frame; its
  inline `<style>` is allowed (styles only, never inline scripts).
- `/static/rasa-webchat.html`: the third-party widget's test page starts it with an inline
  script and the widget styles itself inline.
- `/docs`: FastAPI's Swagger UI loads from cdn.jsdelivr.net and starts with an inline script.

Widgets embedded in customers' sites load `/static/widget.js` with a `<script>` tag: the
host page's own policy applies to it, not ours.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'none'"
)
DEMO = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; form-action 'self'"
)
WEBCHAT_TEST_PAGE = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'{sockets}; object-src 'none'; base-uri 'none';"
    " frame-ancestors 'none'"
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
DOCS = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {SWAGGER_CDN};"
    f" style-src 'self' 'unsafe-inline' {SWAGGER_CDN}; img-src 'self' data: https:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def sockets_of(host: str | None) -> str:
    """WebSocket sources of the gateway itself (`'self'` does not cover ws: in older browsers)."""
    if not host or not _HOST.fullmatch(host):
        return ""
    return f" ws://{host} wss://{host}"


def policy_for(path: str, host: str | None) -> tuple[str, bool]:
    """The Content-Security-Policy for `path`, and whether framing is refused."""
    sockets = sockets_of(host)
    if path == "/":
        return DEMO.format(sockets=sockets), False
    if path == "/static/rasa-webchat.html":
        return WEBCHAT_TEST_PAGE.format(sockets=sockets), True
    if path in ("/docs", "/docs/oauth2-redirect", "/redoc"):
        return DOCS, True
    return STRICT.format(sockets=sockets), True


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response (not replacing any set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        policy, no_framing = policy_for(scope.get("path", ""), host)
        extra = {**ALWAYS, "content-security-policy": policy}
        if no_framing:
            extra["x-frame-options"] = "DENY"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                for name, value in extra.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
