"""The gateway's API documentation, Swagger UI served by the gateway itself: /docs works offline.

`make install` fetches the pinned npm package swagger-ui-dist into build/vendor/swagger-ui,
which the gateway serves at /vendor/swagger-ui. FastAPI's page starts Swagger UI with one
inline script: that page alone gets a policy allowing exactly that script, by its SHA-256
(handover/headers.py), so every other page keeps `script-src 'self'`. ReDoc is not served: it
would need a second bundle and inline styles, and Swagger UI documents the same schema.

Who sees it: the development environment only. Elsewhere /docs and /openapi.json answer 404:
the API serves the console and the bot, and production need not publish a map of it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from handover.config import HandoverSettings
from handover.headers import docs_policy

DOCS_URL = "/docs"
OPENAPI_URL = "/openapi.json"
ASSETS_URL = "/vendor/swagger-ui"  # main.py serves build/vendor at /vendor
BUNDLE = "swagger-ui-bundle.js"
ASSETS = (BUNDLE, "swagger-ui.css", "favicon-32x32.png")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_enabled(settings: HandoverSettings) -> bool:
    """Whether this gateway publishes its schema and Swagger UI."""
    return settings.environment == "development"


def fastapi_docs_options(settings: HandoverSettings) -> dict[str, Any]:
    """FastAPI's own arguments: no CDN pages; the schema only where the docs are on."""
    return {
        "docs_url": None,
        "redoc_url": None,
        "openapi_url": OPENAPI_URL if docs_enabled(settings) else None,
    }


def script_hashes(html: str) -> list[str]:
    """CSP sources (`'sha256-…'`) of the page's inline scripts, as the browser hashes them."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def swagger_page(title: str, openapi_url: str) -> str:
    """Swagger UI's page with every asset from the gateway and no call to an outside validator."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=f"{ASSETS_URL}/{BUNDLE}",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        oauth2_redirect_url=None,  # bearer tokens only: no OAuth2 flow comes back to the page
        # The default validator (validator.swagger.io) would be fetched for a badge.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return bytes(page.body).decode()


def add_docs(api: FastAPI, vendor: Path) -> None:
    """Serve /docs on `api` if it publishes its schema (see `fastapi_docs_options`)."""
    if api.openapi_url is None:
        return
    page = swagger_page(f"{api.title} - API", api.openapi_url)
    headers = {"content-security-policy": docs_policy(script_hashes(page))}

    @api.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> Response:
        """Swagger UI for /openapi.json."""
        missing = [name for name in ASSETS if not (vendor / "swagger-ui" / name).is_file()]
        if missing:  # a blank page would hide why
            reason = f"Swagger UI is not installed ({', '.join(missing)}): run `make install`."
            return PlainTextResponse(reason, status_code=503)
        return HTMLResponse(page, headers=headers)
