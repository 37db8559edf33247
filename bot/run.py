"""`python -m bot.run`: start the whole assistant; Ctrl-C stops every process."""

from __future__ import annotations

import signal
import sys
import time

from pydantic import ValidationError

from bot.settings import describe
from bot.stack import Stack


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    try:
        stack = Stack()
    except ValidationError as error:
        print(describe(error), file=sys.stderr)
        return 2
    except ValueError as error:  # a setting the stack reads itself (REDIS_URL)
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Explicit, because a shell starts background jobs with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start()
        print(
            f"\nReady. Customer demo site: {stack.bot.gateway_url}/ (?lang=fr in French), "
            f"agent console: {stack.bot.gateway_url}/console.\n"
            f"Rasa: {', '.join(stack.bot.rasa_urls)} (REST channel: /webhooks/rest/webhook; "
            f"HTTP API with BOT_RASA_TOKEN), action server: {stack.bot.action_url} "
            f"(Rasa only, with BOT_ACTION_TOKEN), mock back-ends: {stack.backends.crm_url} "
            "and the next ports.\n"
            "Chat with it from another terminal: `make chat`. Ctrl-C stops everything.",
            flush=True,
        )
        while (dead := stack.first_exited()) is None:
            time.sleep(1)
        print(f"{dead.name} stopped (exit code {dead.exited()}): stopping everything.")
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
