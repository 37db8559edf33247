"""`python -m bot.chat`: chat with the running assistant through Rasa's REST channel."""

from __future__ import annotations

import sys
import uuid

import requests
from pydantic import ValidationError

from bot.settings import BotSettings, describe


def show(messages: list[dict]) -> None:
    """Print the bot's messages and, numbered, its buttons."""
    for message in messages:
        if message.get("text"):
            print(f"bot> {message['text']}")
        for number, button in enumerate(message.get("buttons") or [], start=1):
            print(f"      [{number}] {button['title']}  ->  type: {button['payload']}")


def main() -> int:
    try:
        # The REST channel needs no token: it answers whoever reaches Rasa's address.
        url = f"{BotSettings().rasa_url}/webhooks/rest/webhook"
    except ValidationError as error:
        print(describe(error), file=sys.stderr)
        return 2
    sender = f"chat-{uuid.uuid4().hex[:8]}"
    print(f"Chatting as {sender} with {url}. Ctrl-D or /quit ends.")
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            return 0
        if text == "/quit":
            return 0
        if not text:
            continue
        try:
            reply = requests.post(url, json={"sender": sender, "message": text}, timeout=30)
            reply.raise_for_status()
        except requests.RequestException as error:
            print(f"The assistant is not answering ({error}). Is `make run` running?")
            continue
        show(reply.json())


if __name__ == "__main__":
    sys.exit(main())
