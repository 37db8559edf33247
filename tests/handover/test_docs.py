"""/docs: Swagger UI from the gateway's own files, a policy allowing only its start-up script by
hash, and no schema or docs outside development. tests/e2e/test_docs_offline.py renders it."""

# The fixture `database` comes from test_api: an argument of that name is it.
# ruff: noqa: F811

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handover.config import HandoverSettings
from handover.docs import add_docs
from handover.headers import docs_policy
from handover.main import VENDOR, create_app
from tests.handover.test_api import database  # noqa: F401


class Page(HTMLParser):
    """The URLs a page loads and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        self._in_inline = tag == "script" and "src" not in found
        if self._in_inline:
            self.inline.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_inline = False

    def handle_data(self, data: str) -> None:
        if self._in_inline:
            self.inline[-1] += data


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def gateway(database: str, **overrides: str) -> TestClient:
    settings = HandoverSettings(database_url=database, rasa_url="http://127.0.0.1:9", **overrides)
    return TestClient(create_app(settings))


@pytest.fixture
def development(database: str) -> Iterator[TestClient]:
    with gateway(database, environment="development") as client:
        yield client


@pytest.fixture
def production(database: str) -> Iterator[TestClient]:
    real = {
        name: secrets.token_urlsafe(32)
        for name in HandoverSettings.__fields__
        if name.endswith(("_key", "_token", "_secret"))
    }
    with gateway(database, environment="production", **real) as client:
        yield client


def test_swagger_ui_comes_from_the_gateway_and_only_its_own_script_may_run(
    development: TestClient,
) -> None:
    answer = development.get("/docs")

    assert answer.status_code == 200
    page = parsed(answer.text)
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in page.urls
    assert "/vendor/swagger-ui/swagger-ui.css" in page.urls
    assert all(url.startswith("/") and not url.startswith("//") for url in page.urls), page.urls
    assert "validatorUrl" in answer.text and "validator.swagger.io" not in answer.text
    policy = directives(answer.headers["Content-Security-Policy"])
    assert len(page.inline) == 1
    digest = hashlib.sha256(page.inline[0].encode()).digest()
    assert policy["script-src"] == ["'self'", f"'sha256-{base64.b64encode(digest).decode()}'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        served = development.get(f"/vendor/swagger-ui/{asset}")
        assert served.status_code == 200, f"{asset}: `make install` fetches it"
        assert served.content == (VENDOR / "swagger-ui" / asset).read_bytes()
    schema = development.get("/openapi.json").json()
    assert "/api/agent/login" in schema["paths"]


def test_every_other_page_keeps_the_strict_policy(development: TestClient) -> None:
    docs_hash = directives(development.get("/docs").headers["Content-Security-Policy"])
    for path in ("/console", "/static/console.html", "/vendor/swagger-ui/swagger-ui.css", "/"):
        policy = directives(development.get(path).headers["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], path
        assert docs_hash["script-src"][1] not in policy["script-src"]


def test_redoc_and_the_oauth_redirect_are_not_served(development: TestClient) -> None:
    for path in ("/redoc", "/docs/oauth2-redirect"):
        answer = development.get(path)
        assert answer.status_code == 404, path
        assert directives(answer.headers["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_production_publishes_neither_the_docs_nor_the_schema(production: TestClient) -> None:
    for path in ("/docs", "/openapi.json", "/redoc"):
        answer = production.get(path)
        assert answer.status_code == 404, path
        assert directives(answer.headers["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert production.get("/health").status_code in (200, 503)  # the rest of the gateway is up


def test_without_make_install_the_page_says_what_is_missing(tmp_path: Path) -> None:
    api = FastAPI(title="Gateway", docs_url=None, redoc_url=None)
    add_docs(api, tmp_path)  # no swagger-ui folder there
    answer = TestClient(api).get("/docs")

    assert answer.status_code == 503
    assert "make install" in answer.text and "swagger-ui-bundle.js" in answer.text


def test_an_app_without_a_schema_gets_no_docs(tmp_path: Path) -> None:
    api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    add_docs(api, VENDOR)

    assert TestClient(api).get("/docs").status_code == 404


@pytest.mark.parametrize("sources", [[], ["'unsafe-inline'"], ["'sha256-short='"],
                                     ["'sha256-" + "A" * 43 + "=' 'unsafe-eval'"]])  # fmt: skip
def test_the_docs_policy_takes_hashes_and_nothing_else(sources: list[str]) -> None:
    with pytest.raises(ValueError):
        docs_policy(sources)


def test_the_docs_policy_names_each_hash() -> None:
    one, two = ("'sha256-" + base64.b64encode(bytes([n]) * 32).decode() + "'" for n in (1, 2))
    policy = docs_policy([one, two])

    assert re.search(rf"script-src 'self' {re.escape(one)} {re.escape(two)};", policy)
