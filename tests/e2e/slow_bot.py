"""A gateway process of its own in front of a fake Rasa server that answers only when told:
for what customers see and what is stored while the bot is slow, or the gateway restarts.

The fake Rasa (`HeldRasa`) serves Rasa's REST channel and `/status` on a free port in a thread
of the test process. While it holds, each message waits (the gateway's connection stays open)
until `release()`; it answers "Answer to: <message>". No model, no action server.
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bot.stack import Process
from tests.e2e.conftest import free_port

HOLD_SECONDS = 120  # the longest a held message waits for `release`


class HeldRasa:
    """Rasa's REST channel, answering when released; records every message it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        self.gate = threading.Event()
        self.gate.set()
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """The first `count` messages received; fails after `timeout` seconds."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"Rasa got {len(self.received)} messages, not {count}")
            return self.received[:count]

    def texts(self) -> list[str]:
        with self.arrived:
            return [body["message"] for body in self.received]

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        rasa = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _answer(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # /status: a model is loaded
                self._answer({"model_file": "held.tar.gz"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with rasa.arrived:
                    rasa.received.append(body)
                    rasa.arrived.notify_all()
                rasa.gate.wait(HOLD_SECONDS)
                with suppress(BrokenPipeError, ConnectionResetError):  # its gateway was killed
                    self._answer([{"text": f"Answer to: {body['message']}"}])

        return Handler


@dataclass
class Gateway:
    """A gateway process and what it logs."""

    url: str
    process: Process
    log: io.StringIO

    def stop(self) -> None:
        assert self.process.popen is not None
        self.process.popen.terminate()
        self.process.popen.wait(timeout=15)


def start_gateway(folder: Path, rasa: HeldRasa, port: int | None = None, **env: str) -> Gateway:
    """A gateway on `folder`'s database (the same one again after a restart), ready."""
    port = port or free_port()
    log = io.StringIO()
    process = Process(
        f"gateway-{port}",
        [sys.executable, "-m", "handover", "serve"],
        f"http://127.0.0.1:{port}/health",
        {
            "SWITCHBOARD_ENVIRONMENT": "development",
            "DATABASE_URL": f"sqlite:///{folder}/gateway.db",
            "REPORTING_EVENTS_URL": f"sqlite:///{folder}/rasa-events.db",
            "PRIVACY_TRACKER_STORE_URL": f"sqlite:///{folder}/rasa-trackers.db",
            "REDIS_URL": "",  # the state in memory: one gateway
            "HANDOVER_PORT": str(port),
            "HANDOVER_RASA_URL": rasa.url,
            **env,
        },
    )
    process.start(log)
    deadline = time.monotonic() + 60
    while not process.is_ready():
        assert time.monotonic() < deadline and process.exited() is None, log.getvalue()[-3000:]
        time.sleep(0.3)
    return Gateway(f"http://127.0.0.1:{port}", process, log)


@contextmanager
def held_rasa() -> Iterator[HeldRasa]:
    rasa = HeldRasa()
    try:
        yield rasa
    finally:
        rasa.close()
