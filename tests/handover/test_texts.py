"""The gateway's own lines: every language says the same things with the same placeholders."""

from __future__ import annotations

import string
import typing

import pytest

from handover.api.routes.conversations import Transfer
from handover.texts import HANDOVER_LINES, LANGUAGES, SKILL_NAMES, WITHOUT_THE_BOT, line


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("catalogue", [HANDOVER_LINES, WITHOUT_THE_BOT])
def test_every_language_has_the_same_lines_and_placeholders(catalogue: dict) -> None:
    assert set(catalogue) == set(LANGUAGES)
    english = {key: placeholders(text) for key, text in catalogue["en"].items()}
    for language in LANGUAGES:
        assert {key: placeholders(text) for key, text in catalogue[language].items()} == english


def test_every_skill_an_agent_can_transfer_to_has_a_french_name() -> None:
    skills = typing.get_args(Transfer.__fields__["skill"].outer_type_)
    assert skills and set(skills) <= set(SKILL_NAMES["fr"])


def test_a_line_in_a_language_not_offered_is_english() -> None:
    assert line("de", "joined", name="Sam") == "Sam from our support team has joined."
    assert line("fr", "to_skill", skill="billing").startswith(
        "Je vous transfère à notre service facturation :"
    )
