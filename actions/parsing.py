"""Reading identifiers out of what customers type ("it's ord 100001", "sw1a1aa please")."""

from __future__ import annotations

import re

from connectors.formats import format_postcode, is_uk_postcode

MAX_INPUT_CHARS = 200

_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[\s-](?=[0-9])")
_ACCOUNT = re.compile(r"(?<![0-9])3[0-9]{7}(?![0-9])")
_ORDER = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
# "I don't know it", "I've lost it", "je ne le connais pas", "j'ai oublié": in English and French.
_UNKNOWN = re.compile(
    r"\b(?:don['’]?t|do not|dunno|no idea|not sure|can['’]?t|cannot|forg[eo]t(?:ten)?|lost"
    r"|haven['’]?t|never (?:had|got))\b"
    r"|\b(?:sai[st] pas|connais pas|ai pas|(?:re)?trouve pas|rappelle pas|souviens (?:pas|plus)"
    r"|aucune id[ée]e|oubli[ée]e?|perdu|jsp|chais pas)\b",
    re.IGNORECASE,
)


def _clip(text: str | None) -> str:
    return (text or "")[:MAX_INPUT_CHARS]


def find_account_number(text: str | None) -> str | None:
    """An 8-digit account number starting with 3, spaces or dashes inside allowed."""
    match = _ACCOUNT.search(_BETWEEN_DIGITS.sub("", _clip(text)))
    return match.group(0) if match else None


def find_order_number(text: str | None) -> str | None:
    """An order number as `ORD-123456`, from "ORD-123456", "ord 123456", "#123456" or "123456"."""
    match = _ORDER.search(_clip(text))
    return f"ORD-{match.group(1)}" if match else None


def find_postcode(text: str | None) -> str | None:
    """A UK postcode written as people do (`SW1A 1AA`)."""
    for match in _POSTCODE.finditer(_clip(text)):
        candidate = match.group(1) + match.group(2)
        if is_uk_postcode(candidate):
            return format_postcode(candidate)
    return None


def says_unknown(text: str | None) -> bool:
    """Whether the customer says they don't know, don't have or can't find what was asked."""
    return _UNKNOWN.search(_clip(text)) is not None
