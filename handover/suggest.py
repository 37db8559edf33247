"""Agent assist: the bot's own answer to the customer's latest message, offered to the agent.

The NLU's reading of the message (Rasa's `POST /model/parse`) picks a response of the bot's
domain: for an FAQ (`faq/<topic>`, chosen by the ResponseSelector) the answer `utter_faq/<topic>`;
for a request the bot handles itself (bill, password, order, outage) the question the bot asks
first, which the agent can edit. Texts come from domain.yml, read once at start, in the
conversation's language (its French variation, `condition: language = fr`), else English.
Nothing is suggested below the confidence setting, for the fallback or out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from handover.texts import LANGUAGES

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
# libyaml's parser when PyYAML has it: 8 times faster on the 57 KB domain (36 ms).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FAQ_INTENT = "faq"  # the retrieval intent of config.yml's ResponseSelector
NEVER = frozenset({"nlu_fallback", "out_of_scope"})
# A request the bot serves itself: what it says first, which starts the same work by hand.
BUSINESS: dict[str, str] = {
    "check_bill_balance": "utter_ask_account_number",
    "reset_password": "utter_ask_account_number",
    "track_order": "utter_ask_order_number",
    "check_outage": "utter_ask_postcode",
}
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Suggestion:
    intent: str  # "faq/opening_hours", or a business intent
    confidence: float
    text: str
    language: str


def _language_of(variation: dict[str, Any]) -> str | None:
    """The language a response variation is for: None without a condition (the default),
    a language code when its only condition is the `language` slot, "" for anything else."""
    conditions = variation.get("condition")
    if not conditions:
        return None
    if isinstance(conditions, list) and len(conditions) == 1:
        condition = conditions[0]
        if (
            isinstance(condition, dict)
            and condition.get("type") == "slot"
            and condition.get("name") == "language"
            and condition.get("value") in LANGUAGES
        ):
            return str(condition["value"])
    return ""  # a condition on something else: not one to offer out of its context


def responses_by_language(domain: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each response's text by language: the first unconditioned variation is English."""
    found: dict[str, dict[str, str]] = {}
    for name, variations in (domain.get("responses") or {}).items():
        texts: dict[str, str] = {}
        for variation in variations or []:
            text = variation.get("text") if isinstance(variation, dict) else None
            if not isinstance(text, str) or not text.strip():
                continue
            language = _language_of(variation)
            key = DEFAULT_LANGUAGE if language is None else language
            if key:
                texts.setdefault(key, text)
        if texts:
            found[str(name)] = texts
    return found


class Suggester:
    """Turns a parse result into a suggestion, from the domain's responses."""

    def __init__(self, responses: dict[str, dict[str, str]], *, min_confidence: float) -> None:
        self._responses = responses
        self.min_confidence = min_confidence
        missing = sorted(set(BUSINESS.values()) - set(responses))
        if missing:
            # The mapping above names domain responses: a rename there must not go unnoticed.
            raise ValueError(f"the domain has no response {', '.join(missing)}")

    @classmethod
    def from_domain(cls, path: Path = DOMAIN_FILE, *, min_confidence: float) -> Suggester:
        try:
            stat = path.stat()
            responses = _responses(path, stat.st_mtime_ns, stat.st_size)
        except (OSError, yaml.YAMLError) as error:
            raise ValueError(f"cannot read the bot's domain {path}: {error}") from error
        return cls(responses, min_confidence=min_confidence)

    def text(self, response: str, language: str | None) -> str | None:
        """The response in `language`, else in English; None if the domain has no such one."""
        texts = self._responses.get(response, {})
        return texts.get(language or DEFAULT_LANGUAGE) or texts.get(DEFAULT_LANGUAGE)

    def suggest(self, parsed: dict[str, Any], language: str | None) -> Suggestion | None:
        """The reply to suggest for a parse result, or None when the NLU is not sure enough,
        fell back, or the message is not one the bot answers with a text of its own."""
        intent = parsed.get("intent") or {}
        name, confidence = intent.get("name"), intent.get("confidence")
        if not isinstance(name, str) or not isinstance(confidence, (int, float)):
            return None
        if name in NEVER or confidence < self.min_confidence:
            return None
        if name == FAQ_INTENT:
            name = _faq_key(parsed)
            if name is None:
                return None
            response = f"utter_{name}"
        elif name in BUSINESS:
            response = BUSINESS[name]
        else:
            return None
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        text = self.text(response, language)
        if text is None:
            return None
        return Suggestion(intent=name, confidence=float(confidence), text=text, language=language)


def _faq_key(parsed: dict[str, Any]) -> str | None:
    """The ResponseSelector's pick, e.g. "faq/opening_hours" (Rasa 3.6 puts it under
    `response_selector.<retrieval intent>.response.intent_response_key`)."""
    selectors = parsed.get("response_selector") or {}
    chosen = selectors.get(FAQ_INTENT) or selectors.get("default") or {}
    key = (chosen.get("response") or {}).get("intent_response_key")
    if isinstance(key, str) and key.startswith(FAQ_INTENT + "/"):
        return key
    return None


@lru_cache(maxsize=4)
def _responses(path: Path, mtime_ns: int, size: int) -> dict[str, dict[str, str]]:
    """The domain's responses by language, read once per version of the file (each gateway
    app reads it at start; tests start hundreds)."""
    domain = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}
    return responses_by_language(domain)
