"""Folded lemmas: the spellings customers type share n-gram features with the training data."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.tokenizer import FoldingTokenizer, fold


@pytest.mark.parametrize(
    "typed, written",
    [
        ("RESEAU", "réseau"),
        ("facture", "FACTURÉE"[:-1]),
        ("ou", "où"),
        ("ca", "ça"),
        ("pleease", "pleeeeease"),
        ("noel", "Noël"),
    ],
)
def test_typed_and_written_forms_fold_together(typed: str, written: str) -> None:
    assert fold(typed) == fold(written)


def test_words_that_differ_stay_apart() -> None:
    assert fold("facture") != fold("fracture")
    assert fold("commande") != fold("command")


def test_the_text_and_spans_are_untouched() -> None:
    tokenizer = FoldingTokenizer(FoldingTokenizer.get_default_config())
    message = Message({TEXT: "Où est ma COMMANDE ORD-100001 ?"})
    tokens = tokenizer.tokenize(message, TEXT)
    assert [t.text for t in tokens] == ["Où", "est", "ma", "COMMANDE", "ORD-100001"]
    assert [t.lemma for t in tokens] == ["ou", "est", "ma", "commande", "ord-100001"]
    assert message.get(TEXT)[tokens[0].start : tokens[0].end] == "Où"


@pytest.mark.parametrize("text", ["", "🙂", "\u0301\u0301", "x" * 20_000, "ǅ ß ﬁ"])
def test_any_text_tokenizes(text: str) -> None:
    tokenizer = FoldingTokenizer(FoldingTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message({TEXT: text}), TEXT)
    assert all(isinstance(t.lemma, str) for t in tokens)
