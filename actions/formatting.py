"""Values that actions put into responses, written as each language writes them (Babel).

The sentences themselves live in domain.yml, one variation per language; actions pass these
values as template variables, already formatted for the conversation's language.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LOCALES = {"en": "en_GB", "fr": "fr_FR"}
# CLDR writes the pound "£GB" in French, to tell it from other pounds; our customers only ever
# pay in sterling, so they read the narrow symbol, placed where their language puts it.
NARROW_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
# French puts a space before a colon.
COLONS = {"en": ": ", "fr": " : "}

Plural = Literal["one", "other"]


def language_of(tracker: Tracker) -> str:
    """The conversation's language (the `language` slot), English until one is known."""
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE]))


def format_money(amount: Decimal | float, currency: str, *, language: str) -> str:
    """An amount as the customer reads it: `£1,234.50` in English, `1 234,50 £` in French."""
    locale = _locale(language)
    pattern = locale.currency_formats["standard"].pattern
    if currency in NARROW_SYMBOLS:
        pattern = pattern.replace("¤", NARROW_SYMBOLS[currency])
    return format_currency(amount, currency, format=pattern, locale=locale)


def format_long_date(value: date, *, language: str) -> str:
    """A date with the month in words: `5 December 2026`, `1er décembre 2026`."""
    text = format_date(value, format="long", locale=_locale(language))
    return _first_of_month(value, text, language)


def format_day_month(value: date, *, language: str) -> str:
    """Day and month without the year: `21 November`, `21 novembre`."""
    text = format_date(value, format="d MMMM", locale=_locale(language))
    return _first_of_month(value, text, language)


def _first_of_month(value: date, text: str, language: str) -> str:
    # French writes the first of the month as an ordinal ("1er décembre"); CLDR does not.
    if language == "fr" and value.day == 1 and text.startswith("1 "):
        return "1er" + text[1:]
    return text


def format_time_of_day(value: datetime, *, language: str) -> str:
    """Hours and minutes on the 24-hour clock: `18:00`."""
    return format_time(value, format="HH:mm", locale=_locale(language))


def format_moment(value: datetime, *, language: str) -> str:
    """A short day and time for a tracking event: `20 Nov 08:30`, `20 nov. 08:30`."""
    return format_datetime(value, format="dd MMM HH:mm", locale=_locale(language))


def format_minutes(minutes: int, *, language: str) -> str:
    """A number of minutes, in the right plural: `1 minute`, `4 minutes`."""
    return format_unit(minutes, "duration-minute", length="long", locale=_locale(language))


def format_count(count: int, *, language: str) -> str:
    """A whole number with the language's digit grouping."""
    return format_decimal(count, locale=_locale(language))


def plural_category(count: int, *, language: str) -> Plural:
    """Which of a response's `_one` and `_other` forms fits `count` (French: 0 and 1 are one).

    CLDR's rarer categories (French "many", for millions) read as "other".
    """
    return "one" if _locale(language).plural_form(count) == "one" else "other"


def labelled(label: str, value: str, *, language: str) -> str:
    """`label: value`, with the language's spacing around the colon."""
    return f"{label}{COLONS.get(language, COLONS[DEFAULT_LANGUAGE])}{value}"


def utter_in(
    dispatcher: CollectingDispatcher,
    domain: DomainDict,
    response: str,
    language: str | None,
    **values: str,
) -> None:
    """Send `response` in `language`, for the action that itself sets the conversation's language.

    Rasa renders an action's responses with the slots as they were before the action ran, so
    without this the line that confirms, say, a French customer's identity would come out in the
    language the conversation had until then.
    """
    for variation in domain.get("responses", {}).get(response, []) if language else []:
        conditions = variation.get("condition") or []
        stated = [c.get("value") for c in conditions if c.get("name") == "language"]
        if (stated or [DEFAULT_LANGUAGE])[0] == language and "text" in variation:
            dispatcher.utter_message(text=variation["text"].format(**values))
            return
    dispatcher.utter_message(response=response, **values)
