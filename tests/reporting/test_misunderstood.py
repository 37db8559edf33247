"""Misunderstood messages: grouped by their folded text, shown by their most frequent
spellings, redacted once more (`bot_facts.grouped_misses`, `normalised`, `redacted`)."""

from __future__ import annotations

from collections import Counter

import pytest

from reporting import bot_facts
from reporting.bot_facts import Misunderstood, grouped_misses


def test_misunderstood_groups_by_folded_text_and_redacts_again() -> None:
    # (key, text, count) as reporting.bot_kpis.misunderstood selects them.
    rows = [
        ("reseau en panne", "réseau en panne", 2), ("reseau en panne", "RESEAU EN PANNE", 1),
        ("reseau en panne", "Réseau  en panne", 1),
        ("born [date of birth]", "born [date of birth]", 1),
        # Stored before a rule redacted dates: it reads as the group above once redacted.
        ("born 00/00/0000", "born 14/03/1985", 1),
        ("ligne 0 coupee", "ligne 2 coupée", 1), ("ligne 0 coupee", "ligne 3 coupee", 1),
        ("what is the meaning of life", "what is the meaning of life", 1),
    ]  # fmt: skip

    found = grouped_misses(rows)

    # réseau: 2 + 1 + 1 = 4, its most frequent spelling first; born: 1 + 1 = 2; ligne: 2
    # (ties by key); the meaning of life: 1.
    assert found == [
        Misunderstood(
            key="reseau en panne", text="réseau en panne", count=4,
            spellings=("réseau en panne", "RESEAU EN PANNE", "Réseau  en panne"),
        ),
        Misunderstood(
            key="born [date of birth]", text="born [date of birth]", count=2,
            spellings=("born [date of birth]",),
        ),
        Misunderstood(
            key="ligne 0 coupee", text="ligne 2 coupée", count=2,
            spellings=("ligne 2 coupée", "ligne 3 coupee"),
        ),
        Misunderstood(
            key="what is the meaning of life", text="what is the meaning of life", count=1,
            spellings=("what is the meaning of life",),
        ),
    ]  # fmt: skip
    assert "1985" not in repr(found)
    assert [group.key for group in grouped_misses(rows, top=1)] == ["reseau en panne"]
    with pytest.raises(ValueError, match="at least 1"):
        grouped_misses(rows, top=0)


def test_a_group_shows_its_most_frequent_spellings() -> None:
    # Eight spellings of one message, each once: all counted, MAX_SPELLINGS shown.
    spellings = ["box", "Box", "BOX", "bOx", "boX", "BOx", "bOX", "BoX"]
    ranked = [Counter({text: 1 for text in spellings})]

    (group,) = bot_facts._redacted(ranked, top=5)

    assert group.count == 8 and group.spellings == tuple(spellings[: bot_facts.MAX_SPELLINGS])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Où est   MA commande ?? ", "ou est ma commande ??"),
        ("ORD-123456\tperdue", "ord-000000 perdue"),
        ("c'est trooop lent", "c'est troop lent"),
        ("ÉLÉPHANT ½", "elephant 0⁄0"),
    ],
)
def test_normalised(text: str, expected: str) -> None:
    assert bot_facts.normalised(text) == expected


def test_normalised_folds_words_as_the_nlu_does() -> None:
    from nlu.tokenizer import fold  # loads Rasa's NLU: only here

    for word in ["Réseau", "RESEAUUUU", "façade", "Noël", "ÇA", "straße", "coooool"]:
        assert bot_facts.normalised(word) == fold(word), word


def test_texts_without_digits_or_at_signs_are_kept_without_the_redactor() -> None:
    from presidio_analyzer import PatternRecognizer

    from privacy.engine import PersonalPhoneRecognizer
    from privacy.redaction import redact, redactor

    # The shortcut holds while every rule needs a digit or an "@": pattern rules say so in
    # their regexes; the phone-number library finds numbers, which are digits.
    for recognizer in redactor().analyzer.registry.recognizers:
        if isinstance(recognizer, PatternRecognizer):
            for pattern in recognizer.patterns:
                assert any(mark in pattern.regex for mark in (r"\d", "@", "[0-9]")), pattern.name
        else:
            assert isinstance(recognizer, PersonalPhoneRecognizer), type(recognizer).__name__
    for text in ["born 14/03/1985", "call 07700 900123", "me@example.com", "code 123456"]:
        assert bot_facts.redacted(text) == redact(text) != text
    assert bot_facts.redacted("ma box clignote orange") == "ma box clignote orange"
