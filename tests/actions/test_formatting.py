"""Values inside messages, as each language writes them (Babel)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from actions.formatting import (
    format_count,
    format_day_month,
    format_long_date,
    format_minutes,
    format_moment,
    format_money,
    format_time_of_day,
    labelled,
    language_of,
    plural_category,
)
from tests.actions.conftest import make_tracker

NBSP, NNBSP = "\u00a0", "\u202f"  # what Babel puts between digits, and before a currency


@pytest.mark.parametrize(
    "amount, currency, language, expected",
    [
        (1234.5, "GBP", "en", "£1,234.50"),
        (1234.5, "GBP", "fr", f"1{NNBSP}234,50{NBSP}£"),
        (Decimal("42.50"), "GBP", "fr", f"42,50{NBSP}£"),
        (Decimal("-5.00"), "GBP", "en", "-£5.00"),
        (Decimal("-5.00"), "GBP", "fr", f"-5,00{NBSP}£"),
        (Decimal("0"), "GBP", "en", "£0.00"),
        (Decimal("12.5"), "EUR", "en", "€12.50"),
        (Decimal("12.5"), "EUR", "fr", f"12,50{NBSP}€"),
    ],
)
def test_money(amount: Decimal | float, currency: str, language: str, expected: str) -> None:
    assert format_money(amount, currency, language=language) == expected


@pytest.mark.parametrize(
    "value, language, expected",
    [
        (date(2026, 12, 5), "en", "5 December 2026"),
        (date(2026, 12, 5), "fr", "5 décembre 2026"),
        (date(2026, 11, 1), "en", "1 November 2026"),
        (date(2026, 11, 1), "fr", "1er novembre 2026"),
        (date(2026, 11, 11), "fr", "11 novembre 2026"),
    ],
)
def test_long_dates(value: date, language: str, expected: str) -> None:
    assert format_long_date(value, language=language) == expected


def test_day_month_time_and_moment() -> None:
    eta = datetime(2026, 11, 21, 18, 0, tzinfo=timezone.utc)
    assert format_day_month(eta, language="en") == "21 November"
    assert format_day_month(eta, language="fr") == "21 novembre"
    assert format_day_month(date(2026, 3, 1), language="fr") == "1er mars"
    assert format_time_of_day(eta, language="fr") == "18:00"
    event = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
    assert format_moment(event, language="en") == "20 Nov 08:30"
    assert format_moment(event, language="fr") == "20 nov. 08:30"


@pytest.mark.parametrize(
    "minutes, language, expected",
    [
        (1, "en", "1 minute"),
        (4, "en", "4 minutes"),
        (1, "fr", "1 minute"),
        (30, "fr", "30 minutes"),
    ],
)
def test_minutes_take_the_plural(minutes: int, language: str, expected: str) -> None:
    assert format_minutes(minutes, language=language) == expected


@pytest.mark.parametrize(
    "count, language, expected",
    [
        (1, "en", "one"),
        (2, "en", "other"),
        (0, "en", "other"),
        (1, "fr", "one"),
        (0, "fr", "one"),  # French says "0 commande"
        (2, "fr", "other"),
        (1_000_000, "fr", "other"),  # CLDR's "many" reads as "other"
    ],
)
def test_plural_category(count: int, language: str, expected: str) -> None:
    assert plural_category(count, language=language) == expected


def test_counts_and_labels() -> None:
    assert format_count(12345, language="en") == "12,345"
    assert format_count(12345, language="fr") == f"12{NNBSP}345"
    assert labelled("- Plan", "£40.00", language="en") == "- Plan: £40.00"
    assert labelled("- Forfait", "40,00 £", language="fr") == "- Forfait : 40,00 £"


@pytest.mark.parametrize("slot, expected", [("fr", "fr"), ("en", "en"), (None, "en"), ("de", "en")])
def test_the_language_of_a_conversation(slot: str | None, expected: str) -> None:
    assert language_of(make_tracker({"language": slot})) == expected
