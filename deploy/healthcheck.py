"""Health of one Switchboard process in a container: exit 0 when healthy, 1 otherwise.

`python deploy/healthcheck.py [gateway|rasa|actions]`; without a role, the role of the
container's PID 1 (the image runs one process per container), and 0 for a process that serves
nothing (the trainer's worker, a one-shot command). Standard library only, a timeout on every
call, and the settings' own variables with their defaults (bot/settings.py, handover/config.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

TIMEOUT_SECONDS = 4.0


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - loopback only
            return answer.status, answer.read()
    except (URLError, OSError):
        return 0, b""


def gateway() -> bool:
    """The gateway's /health: its database, its state store and a Rasa server answer."""
    port = os.environ.get("HANDOVER_PORT", "8000")
    return _get(f"http://127.0.0.1:{port}/health")[0] == 200


def actions() -> bool:
    """The action server's /health (open, no token)."""
    port = os.environ.get("BOT_ACTION_PORT", "5055")
    return _get(f"http://127.0.0.1:{port}/health")[0] == 200


def rasa(argv: list[str]) -> bool:
    """Rasa's /status (behind BOT_RASA_TOKEN), with a model loaded."""
    port = argv[argv.index("--port") + 1] if "--port" in argv else "5005"
    query = urlencode({"token": os.environ.get("BOT_RASA_TOKEN", "")})
    status, body = _get(f"http://127.0.0.1:{port}/status?{query}")
    if status != 200:
        return False
    try:
        return bool(json.loads(body).get("model_file"))
    except (ValueError, AttributeError):
        return False


def role_of(argv: list[str]) -> str | None:
    """Which process a command line starts, if it serves anything."""
    words = " ".join(Path(arg).name if i == 0 else arg for i, arg in enumerate(argv))
    if "handover serve" in words or words.endswith("-m handover"):
        return "gateway"
    if "bot.action_server" in words:
        return "actions"
    if "rasa run" in words:
        return "rasa"
    return None


def main(args: list[str]) -> int:
    pid1 = Path("/proc/1/cmdline").read_bytes().split(b"\0")
    argv = [arg.decode(errors="replace") for arg in pid1 if arg]
    role = args[0] if args else role_of(argv)
    checks = {"gateway": gateway, "actions": actions, "rasa": lambda: rasa(argv)}
    if role is None:
        return 0
    if role not in checks:
        print(f"unknown role {role!r}: gateway, rasa or actions", file=sys.stderr)
        return 2
    return 0 if checks[role]() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
