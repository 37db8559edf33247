"""Personal data and secrets out of free text, before anything is stored, logged or sent on.

`redact(text)` is the one function every writer calls (gateway database, Rasa tracker store,
CRM tickets, logs). Detection is Microsoft Presidio with pattern recognizers only, on blank
spaCy pipelines (`privacy.engine`; nothing is downloaded at run time). What is replaced:

- full dates at least 16 years old (dates of birth; recent and future dates, such as a bill's
  due date, are service dates that agents need) -> `[date of birth]`
- 6-digit one-time codes -> `[code]`; card numbers passing the Luhn check -> `[card]`
- emails -> `[email]`; UK and French phone numbers (not freephone ones) -> `[phone]`
- UK and French postcodes in free text -> `[postcode]`

Kept on purpose: account numbers (8 digits starting with 3) and order numbers (ORD-123456).
A customer's answer to a question for their date of birth or code is replaced whole
(`redact_answer`), whatever it looks like.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from privacy.engine import Redactor

LANGUAGES = ("en", "fr")
# Slots whose values are secrets: the answer to their question is replaced whole.
SECRET_SLOTS = {"date_of_birth": "[date of birth]", "otp_code": "[code]"}
_ASKS_DOB = re.compile(
    r"date of birth ?\?|as a date of birth|date de naissance ?\?|comme une date de naissance",
    re.IGNORECASE,
)
_ASKS_CODE = re.compile(
    r"\b(?:6|six)[- ]digit code|code has (?:6|six) digits|code (?:à|a) (?:6|six) chiffres"
    r"|saisissez le code",
    re.IGNORECASE,
)

_redactor: Redactor | None = None
_lock = threading.Lock()
_building = threading.local()


def redactor() -> Redactor:
    """The process's redactor, built on first use from blank pipelines (a few seconds, once:
    processes that redact call it at start-up)."""
    global _redactor
    if _redactor is None:
        with _lock:
            if _redactor is None:
                import spacy  # here: seconds to import (see privacy.engine)

                from privacy.engine import Redactor, build_analyzer

                _building.active = True
                try:
                    pipelines = {language: spacy.blank(language) for language in LANGUAGES}
                    _redactor = Redactor(build_analyzer(pipelines))
                finally:
                    _building.active = False
    return _redactor


def building_here() -> bool:
    """Whether this thread is building the redactor: what it logs meanwhile is Presidio's own
    news, and redacting it would wait for the redactor being built (a deadlock)."""
    return getattr(_building, "active", False)


def redact(text: str, language: str = "en", keep: frozenset[str] = frozenset()) -> str:
    """Replace dates of birth, codes, cards, emails, phones and postcodes in `text`.

    `keep` names kinds to leave in place (keys of `privacy.engine.TOKENS`, e.g. "POSTCODE").
    Raises `TypeError` for anything but a `str`.
    """
    if not isinstance(text, str):
        raise TypeError(f"redact() takes a str, not {type(text).__name__}")
    return redactor().redact(text, language, keep)


def redact_answer(text: str, asked_slot: str | None, language: str = "en") -> str:
    """A customer's message: whole when it answers a question for a secret slot, else `redact`."""
    if asked_slot in SECRET_SLOTS:
        return SECRET_SLOTS[asked_slot]
    return redact(text, language)


def secret_asked_by(question: str | None) -> str | None:
    """The secret slot that a bot message asks for ("date_of_birth", "otp_code"), if any."""
    if not question:
        return None
    if _ASKS_DOB.search(question):
        return "date_of_birth"
    if _ASKS_CODE.search(question):
        return "otp_code"
    return None


def redact_message(text: str, *, sender: str, question: str | None = None) -> str:
    """A chat message as stored: a customer's answer to the bot's `question` for a secret is
    replaced whole; anything else goes through `redact`."""
    if sender == "user":
        return redact_answer(text, secret_asked_by(question))
    return redact(text)


def pseudonym(identifier: str) -> str:
    """A short stand-in for an identifier (e.g. a session id) where the identifier must not
    appear, such as a ticket's subject: it tells records apart without giving the id away."""
    return hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()[:10]
