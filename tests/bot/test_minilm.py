"""The NumPy MiniLM encoder against the figures published for all-MiniLM-L6-v2."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.featurizer import MiniLmFeaturizer
from bot.minilm import shared_encoder

# Cosine similarities printed by the sentence-transformers quickstart for this model.
PUBLISHED = [
    ("The cat sits outside", "The dog plays in the garden", 0.2838),
    ("A man is playing guitar", "A woman watches TV", -0.0327),
    ("The new movie is awesome", "The new movie is so great", 0.8939),
]


@pytest.mark.parametrize("first, second, expected", PUBLISHED)
def test_similarities_match_the_reference_implementation(first, second, expected) -> None:
    a, b = shared_encoder().encode([first, second])
    assert float(a.sentence @ b.sentence) == pytest.approx(expected, abs=1e-3)


def test_padding_in_a_batch_changes_nothing() -> None:
    alone = shared_encoder().encode(["hi"])[0].sentence
    batched = shared_encoder().encode(["hi", "a much longer message so the batch is padded"])[0]
    np.testing.assert_allclose(alone, batched.sentence, atol=1e-5)


@pytest.mark.parametrize("text", ["", "x" * 20_000, "🙂🙂🙂", "<script>alert(1)</script>"])
def test_any_text_gives_a_unit_vector(text: str) -> None:
    encoded = shared_encoder().encode([text])[0]
    assert encoded.sentence.shape == (384,)
    assert np.isfinite(encoded.sentence).all()


def test_featurizer_adds_token_and_sentence_features() -> None:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = MiniLmFeaturizer("minilm", MiniLmFeaturizer.get_default_config())
    message = Message({TEXT: "where's my parcel, ORD-100001?"})
    tokenizer.process([message])
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    tokens = message.get("text_tokens")
    assert sequence.features.shape == (len(tokens), 384)
    assert sentence.features.shape == (1, 384)
    assert np.abs(sequence.features).sum(axis=1).all(), "every token gets a vector"
