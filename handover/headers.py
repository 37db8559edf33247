"""Security headers on every HTTP answer of the gateway, with a Content-Security-Policy per page.

- The console, the API and everything else: scripts, styles and connections to the gateway
  only (WebSockets included), and no framing (`frame-ancestors 'none'`, `X-Frame-Options`).
- The demo site (`/`): it stands for a customer's site, which may be shown in a frame; its
  inline `<style>` is allowed (styles only, never inline scripts).
- `/static/rasa-webchat.html`: the third-party widget's test page starts it with an inline
  script and the widget styles itself inline.
- `/docs` (development only, handover/docs.py): Swagger UI from the gateway's /vendor, started
  by one inline script that its policy allows by hash alone (`docs_policy`); the route sets
  that header itself, and any other answer on the path gets the strict policy.

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
# Swagger UI draws its icons from data: URIs in its stylesheet, and calls only the gateway.
DOCS = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'none'"
)
_HASH = re.compile(r"'sha256-[A-Za-z0-9+/]{43}='")


def sockets_of(host: str | None) -> str:
    """WebSocket sources of the gateway itself (`'self'` does not cover ws: in older browsers)."""
    if not host or not _HOST.fullmatch(host):
        return ""
    return f" ws://{host} wss://{host}"


def docs_policy(script_hashes: list[str]) -> str:
    """The policy of the Swagger UI page: its own inline scripts, named by hash, and no other."""
    if not script_hashes or not all(_HASH.fullmatch(source) for source in script_hashes):
        raise ValueError("the docs page needs the 'sha256-…' source of each inline script")
    return DOCS.format(hashes=" ".join(script_hashes))


def policy_for(path: str, host: str | None) -> tuple[str, bool]:
    """The Content-Security-Policy for `path`, and whether framing is refused."""
    sockets = sockets_of(host)
    if path == "/":
        return DEMO.format(sockets=sockets), False
    if path == "/static/rasa-webchat.html":
        return WEBCHAT_TEST_PAGE.format(sockets=sockets), True
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
