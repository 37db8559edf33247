"""The conversation's language (en or fr), decided again on each customer message.

Order: the language the widget stated (its data-lang) when nothing is decided yet; then the
verified customer's CRM language, which another action sets (source "customer"); then what
the customer writes, identified by lingua among English and French only.

A customer who changes language is followed, whatever set the language before, but with
hysteresis: a message without language evidence (an order number, "ok", an emoji, a single
short word) changes nothing; a clear message in the other language only makes it pending,
and a second one in a row switches (a long, very confident message switches at once). A
clear message in the current language drops the pending one.

Pure functions of the previous state and the message: no Rasa here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES: Final = ("en", "fr")
WIDGET: Final = "widget"
DETECTED: Final = "detected"
CODES: Final = {Language.ENGLISH: "en", Language.FRENCH: "fr"}

# Only the start of a long message is read: enough for a verdict, and a bounded cost.
MAX_DETECTION_CHARS: Final = 1000
# Thresholds, tuned on made-up customer messages (tests/nlu/test_language.py). Between two
# languages lingua's best confidence is at least 0.5. Short French typed without accents often
# scores only 0.55-0.85, and one accented name makes English look French ("the café in
# Montréal": 1.0), which is why a switch takes two clear messages.
# Enough to choose a language when none is chosen yet: one word of 5 letters will do
# ("bonjour", "thanks"), not "ok" or "oui".
START_CONFIDENCE: Final = 0.75
START_LETTERS: Final = 5
# Enough to count towards a switch: a few words, confidently in one language.
CLEAR_CONFIDENCE: Final = 0.8
CLEAR_WORDS: Final = 3
CLEAR_LETTERS: Final = 10
# Enough to switch at once: a long message with no doubt about it.
DECISIVE_CONFIDENCE: Final = 0.97
DECISIVE_WORDS: Final = 10

# A token with a digit, an @ or a URL is a reference, an amount, an address, not language.
_NOT_LANGUAGE = re.compile(r"\d|@|://|^www\.", re.IGNORECASE)
# Letters, with the apostrophes and hyphens inside words ("quelqu'un", "peut-être").
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


@dataclass(frozen=True)
class Evidence:
    """What one message says about its language."""

    language: str | None = None
    confidence: float = 0.0
    words: int = 0
    letters: int = 0

    @property
    def enough_to_start(self) -> bool:
        """Enough to choose the language of a conversation that has none yet."""
        return (
            self.language is not None
            and self.confidence >= START_CONFIDENCE
            and self.letters >= START_LETTERS
        )

    @property
    def clear(self) -> bool:
        """Enough to count towards a switch, or to confirm the current language."""
        return (
            self.language is not None
            and self.confidence >= CLEAR_CONFIDENCE
            and self.words >= CLEAR_WORDS
            and self.letters >= CLEAR_LETTERS
        )

    @property
    def decisive(self) -> bool:
        """Enough to switch on its own."""
        return (
            self.clear and self.confidence >= DECISIVE_CONFIDENCE and self.words >= DECISIVE_WORDS
        )


NO_EVIDENCE: Final = Evidence()


@dataclass(frozen=True)
class LanguageState:
    """The three slots: the language, what decided it, and a switch on its way."""

    language: str | None = None
    source: str | None = None
    pending: str | None = None


def build_detector(*, preload: bool) -> LanguageDetector:
    """A detector that knows only English and French (its models ship in lingua's wheel).

    Without `preload`, lingua loads each n-gram model on the first text that needs it.
    """
    builder = LanguageDetectorBuilder.from_languages(*CODES)
    return (builder.with_preloaded_language_models() if preload else builder).build()


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The process's detector, built on first use.

    Preloaded: the first message pays for all the models at once (nlu/bench_language.py)
    instead of several early messages each waiting for the models their words need.
    """
    return build_detector(preload=True)


def known(language: object) -> str | None:
    """`language` if it is one the assistant speaks."""
    return language if isinstance(language, str) and language in LANGUAGES else None


def words(text: str) -> list[str]:
    """The message's words, without references, numbers, addresses, emoji or punctuation."""
    kept = [token for token in text.split() if not _NOT_LANGUAGE.search(token)]
    return _WORD.findall(" ".join(kept))


def clean(text: object) -> str:
    """The text as lingua can read it: a string, valid Unicode, composed, not too long."""
    if not isinstance(text, str):
        return ""
    # Lone surrogates (from JSON "\ud800") cannot be encoded, so lingua could not take them.
    text = text[:MAX_DETECTION_CHARS].encode("utf-8", "ignore").decode("utf-8")
    return unicodedata.normalize("NFC", text)


def is_payload(text: object) -> bool:
    """A button's payload (/intent{...}), which says nothing of the customer's language."""
    return isinstance(text, str) and text.lstrip().startswith("/")


def assess(text: object) -> Evidence:
    """The language of one customer message, and how much to trust it."""
    if is_payload(text):
        return NO_EVIDENCE
    found = words(clean(text))
    if not found:
        return NO_EVIDENCE
    best = detector().compute_language_confidence_values(" ".join(found))[0]
    if best.value <= 0:  # lingua knows none of it
        return NO_EVIDENCE
    letters = sum(len(word) for word in found)
    return Evidence(CODES[best.language], best.value, len(found), letters)


def decide(state: LanguageState, *, text: object, widget: object = None) -> LanguageState:
    """The language after the customer's message `text`, sent from a widget in `widget`."""
    if known(state.language) is None:
        stated = known(widget)
        state = LanguageState(stated, WIDGET) if stated else LanguageState()
    elif known(state.pending) in (None, state.language):  # nothing valid on its way
        state = replace(state, pending=None)
    evidence = assess(text)
    if state.language is None:
        if evidence.enough_to_start:
            return LanguageState(evidence.language, DETECTED)
        return state
    if not evidence.clear:
        return state
    if evidence.language == state.language:
        return replace(state, pending=None)
    if evidence.decisive or state.pending == evidence.language:
        return LanguageState(evidence.language, DETECTED)
    return replace(state, pending=evidence.language)
