"""Grouping by meaning on the NLU's real sentence encoder (built once for the module); the
size guard and the encoder's checks on small fake vectors."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.encoders import Encode, encoder
from trainer import grouping
from trainer.grouping import THRESHOLD, MeaningGroup, group_by_meaning

BILL = [
    "How much do I owe on my bill this month?",
    "Combien je dois payer sur ma facture ce mois-ci ?",
    "what is my bill balance",
    "quel est le montant de ma facture",
]
PASSWORD = [
    "I forgot my password",
    "J'ai oublié mon mot de passe",
    "reset my password please",
    "réinitialiser mon mot de passe",
]


@pytest.fixture(scope="module")
def encode() -> Encode:
    return encoder("use")


class Counting:
    """An encoder that remembers the texts it was given."""

    def __init__(self, encode: Encode) -> None:
        self.encode = encode
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.encode(texts)


def texts_of(groups: list[MeaningGroup], texts: list[str]) -> list[set[str]]:
    return [{texts[i] for i in group.members} for group in groups]


def test_paraphrases_in_english_and_french_group_and_requests_stay_apart(
    encode: Encode,
) -> None:
    texts = [*BILL, *PASSWORD]
    groups = group_by_meaning(texts, encode=encode)
    assert sorted(texts_of(groups, texts), key=sorted) == sorted(
        [set(BILL), set(PASSWORD)], key=sorted
    )
    for group in groups:
        assert group.size == 4
        assert group.representative in {texts[i] for i in group.members}
        assert 0.5 < group.cohesion < 1.0


def test_the_representative_is_the_medoid(encode: Encode) -> None:
    texts = [*PASSWORD, "mot de passe oublié"]
    (group,) = group_by_meaning(texts, encode=encode)
    vectors = encode(texts)
    similarity = vectors @ vectors.T
    means = (similarity.sum(axis=1) - 1) / (len(texts) - 1)
    assert group.representative == texts[int(np.argmax(means))]
    assert group.cohesion == pytest.approx(float(means.max()), abs=1e-5)


def test_texts_identical_once_normalised_are_encoded_once_and_counted(encode: Encode) -> None:
    texts = ["Mot de passe oublié", "mot de passe oublie", "MOT DE PASSE OUBLIÉ", "Mot de passe oublié",
             "What is my bill balance?"]  # fmt: skip
    counting = Counting(encode)
    groups = group_by_meaning(texts, encode=counting)
    assert sorted(counting.seen) == ["Mot de passe oublié", "What is my bill balance?"]
    assert [(g.members, g.representative, g.cohesion) for g in groups] == [
        ((0, 1, 2, 3), "Mot de passe oublié", pytest.approx(1.0)),
        ((4,), "What is my bill balance?", 1.0),
    ]


def test_no_text_and_one_text(encode: Encode) -> None:
    counting = Counting(encode)
    assert group_by_meaning([], encode=counting) == []
    assert counting.seen == []
    assert group_by_meaning(["mon forfait"], encode=encode) == [
        MeaningGroup(members=(0,), representative="mon forfait", cohesion=1.0)
    ]


def test_hostile_texts_are_grouped_without_error(encode: Encode) -> None:
    texts = ["facture " * 1250, "mot de\ud800passe", "🙂🙂🙂", "\x1b[2J\x00", "", "   ", *BILL]
    groups = group_by_meaning(texts, encode=encode)
    members = sorted(i for group in groups for i in group.members)
    assert members == list(range(len(texts)))
    assert all(-1.0 <= group.cohesion <= 1.0 for group in groups)
    # Empty and blank texts read the same once normalised: one text.
    assert any({4, 5} <= set(group.members) for group in groups)


def test_the_same_texts_give_the_same_groups_in_any_order(encode: Encode) -> None:
    texts = [*BILL, *PASSWORD, "je veux parler à un conseiller", "I want to speak to a person"]
    first = group_by_meaning(texts, encode=encode)
    assert group_by_meaning(texts, encode=encode) == first
    backwards = list(reversed(texts))
    assert sorted(map(sorted, texts_of(group_by_meaning(backwards, encode=encode), backwards))) == (
        sorted(map(sorted, texts_of(first, texts)))
    )
    assert [g.size for g in first] == sorted((g.size for g in first), reverse=True)


def test_the_threshold_keeps_the_hold_out_intents_apart() -> None:
    # The module's table, at the threshold chosen: a change of encoder or method shows here.
    figures = grouping._check(THRESHOLD)
    assert figures["purity"] > 0.8
    assert figures["together"] > 0.8
    assert figures["both languages"] > 0.9


def fake(texts: list[str]) -> np.ndarray:
    """One of three directions per text, by its first letter: a, b, or anything else."""
    vectors = np.zeros((len(texts), 3), dtype=np.float32)
    for row, text in enumerate(texts):
        vectors[row, {"a": 0, "b": 1}.get(text[:1], 2)] = 1.0
    return vectors


def test_past_the_size_guard_the_rarest_texts_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(grouping, "MAX_TEXTS", 4)
    texts = ["ax", "ax", "ax", "ay", "ay", "bx", "bx", "by", "by", "az", "cx"]
    counting = Counting(fake)
    groups = group_by_meaning(texts, encode=counting)
    assert sorted(counting.seen) == ["ax", "ay", "bx", "by"]  # the four most frequent
    assert [(g.members, g.representative, g.ungrouped) for g in groups] == [
        ((0, 1, 2, 3, 4), "ax", False),
        ((5, 6, 7, 8), "bx", False),
        ((9,), "az", True),
        ((10,), "cx", True),
    ]


@pytest.mark.parametrize(
    "broken",
    [
        lambda texts: np.zeros((len(texts), 3)),
        lambda texts: np.full((len(texts), 3), np.nan),
        lambda texts: np.ones((len(texts) + 1, 3)),
        lambda texts: np.ones(len(texts)),
    ],
    ids=["zero", "nan", "too many", "flat"],
)
def test_an_encoder_gone_wrong_is_a_clear_error(broken: Encode) -> None:
    with pytest.raises(ValueError, match="the encoder returned"):
        group_by_meaning(["a", "b"], encode=broken)


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="text 1 is a bytes"):
        group_by_meaning(["a", b"b"], encode=fake)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="threshold"):
        group_by_meaning(["a"], encode=fake, threshold=3.0)
