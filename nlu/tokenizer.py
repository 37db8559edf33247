"""Whitespace tokens whose lemma is folded, so the n-gram featurizers see "réseau" in "RESEAU".

Customers type French without accents, in capitals, or with letters repeated for emphasis;
the count-vector featurizers read each token's lemma (`use_lemma`, on by default), so folding
it here makes those spellings share features without changing the text other parts read.
"""

from __future__ import annotations

import re
import unicodedata

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # letters only: "100001" stays


def fold(word: str) -> str:
    """Lower case, accents removed, a letter repeated three times or more kept twice."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return REPEATS.sub(r"\1\1", bare)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FoldingTokenizer(WhitespaceTokenizer):
    """Rasa's whitespace tokenizer, with folded lemmas."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = fold(token.text)
        return tokens
