"""The words of seeded conversations (`reporting.seed`), in English and French.

What customers type is the NLU's own training data (data/nlu/<language>/*.yml), keeping only
the examples with no digit, `@` or annotation in them: those hold nothing the privacy module
would redact, so they read as the redacting tracker store stores them. What the bot answers is
domain.yml's responses in the conversation's language, their `{fields}` filled with values
that look redacted or made up. Messages the NLU could not place are written here: a few
messages, each in a few spellings, some already redacted ("[phone]"), for `misunderstood`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "fr")
_ANNOTATION = re.compile(r"\[[^\]]*\]\([^)]*\)|\{")
_FIELD = re.compile(r"\{(\w+)\}")
# The values of a response's fields: made up, or as the privacy module leaves them.
FIELDS: dict[str, dict[str, str]] = {
    "en": {"amount": "£42.50", "due_date": "14 December", "paid_on": "14 November",
           "ticket_id": "TCK-004217", "sent_to": "[email]", "validity": "30 minutes",
           "postcode": "[postcode]", "position": "2", "wait": "3 minutes", "minutes": "15 minutes"},
    "fr": {"amount": "42,50 €", "due_date": "14 décembre", "paid_on": "14 novembre",
           "ticket_id": "TCK-004217", "sent_to": "[email]", "validity": "30 minutes",
           "postcode": "[postcode]", "position": "2", "wait": "3 minutes", "minutes": "15 minutes"},
}  # fmt: skip
# Messages the NLU could not place, most frequent first: each a few spellings of one message.
MISUNDERSTOOD: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        ("my box is blinking orange", "My box is blinking orange!", "my box is blinkng orange"),
        ("the thing on the wall keeps beeping", "the thing on the wall keeps beeeeping"),
        ("can you do the thing from yesterday", "can u do the thing from yesterday"),
        ("please call me back on [phone]", "call me back on [phone] please"),
        ("what about the other line", "What about the other line?"),
        ("I already sent it to [email]", "already sent it to [email]"),
        ("the engineer never came", "the engineer never came!!"),
        ("is the fiber coming to my street", "is the fibre coming to my street?"),
        ("why is the light red", "why is the light red??"),
        ("my code [code] does not work",),
        ("sim says emergency only", "SIM says emergency calls only"),
        ("same as last time",),
    ),
    "fr": (
        ("ma box clignote orange", "Ma box clignote en orange", "ma box clignotte orange"),
        ("le truc au mur fait bip", "le truc au mur fait biiip"),
        ("vous pouvez refaire comme hier", "vous pouvez refaire comme hier ?"),
        ("rappelez-moi au [phone]", "rappelez moi au [phone] svp"),
        ("et pour l'autre ligne ?", "et pour l autre ligne"),
        ("j'ai déjà envoyé à [email]", "j'ai deja envoye a [email]"),
        ("le technicien n'est jamais venu", "le technicien n'est jamais venu !"),
        ("la fibre c'est pour quand", "la fibre c'est pour quand ?"),
        ("pourquoi le voyant est rouge", "Pourquoi le voyant est rouge ?"),
        ("mon code [code] ne marche pas",),
        ("la carte SIM dit appels d'urgence", "la sim dit appels d'urgence seulement"),
        ("comme la dernière fois",),
    ),
}


@dataclass(frozen=True)
class Texts:
    """Examples per (language, intent) and responses per (language, response)."""

    examples: dict[tuple[str, str], tuple[str, ...]]
    responses: dict[tuple[str, str], dict[str, Any]]

    def said(self, rng: random.Random, language: str, intent: str) -> str:
        """One thing a customer types for `intent` (a FAQ as "faq/roaming")."""
        return rng.choice(self.examples[language, intent])

    def answer(self, language: str, response: str) -> dict[str, Any]:
        """The response's text and buttons, as the bot sends them."""
        return self.responses[language, response]

    @cached_property
    def faq_topics(self) -> tuple[str, ...]:
        """The FAQ topics both languages have examples and answers for."""
        return tuple(
            sorted(
                intent.removeprefix("faq/")
                for language, intent in self.examples
                if language == "en"
                and intent.startswith("faq/")
                and ("fr", intent) in self.examples
                and ("en", f"utter_{intent}") in self.responses
            )
        )


def misunderstood(rng: random.Random, language: str) -> str:
    """A message the NLU could not place: earlier ones more often (a few dominate)."""
    groups = MISUNDERSTOOD[language]
    group = groups[min(int(rng.expovariate(0.35)), len(groups) - 1)]
    return group[0] if rng.random() < 0.6 else rng.choice(group)


@lru_cache(maxsize=1)
def texts(root: Path = ROOT) -> Texts:
    """The examples and responses of the project at `root`, read once."""
    return Texts(examples=_examples(root), responses=_responses(root))


def _examples(root: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    found: dict[tuple[str, str], list[str]] = {}
    for language in LANGUAGES:
        for path in sorted((root / "data" / "nlu" / language).glob("*.yml")):
            for block in _yaml(path).get("nlu") or []:
                if "intent" not in block:
                    continue
                kept = found.setdefault((language, block["intent"]), [])
                kept.extend(_clean(block.get("examples") or ""))
    return {key: tuple(values) for key, values in found.items() if values}


def _clean(examples: str) -> list[str]:
    lines = (line.strip().removeprefix("- ").strip() for line in examples.splitlines())
    return [
        line
        for line in lines
        if line and not _ANNOTATION.search(line) and "@" not in line
        and not any(c.isdigit() for c in line)
    ]  # fmt: skip


def _responses(root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    domain = _yaml(root / "domain.yml")
    found = {}
    for name, variants in domain["responses"].items():
        for language in LANGUAGES:
            variant = _variant(variants, language)
            if variant is not None:
                found[language, name] = _filled(variant, FIELDS[language])
    return found


def _variant(variants: Sequence[dict[str, Any]], language: str) -> dict[str, Any] | None:
    """The response's French variant for French, else the one without a condition."""
    plain = None
    for variant in variants:
        conditions = variant.get("condition") or []
        if not conditions:
            plain = plain or variant
        elif language != "en" and any(c.get("value") == language for c in conditions):
            return variant
    return plain


def _filled(variant: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    def fill(text: str) -> str:
        return _FIELD.sub(lambda match: values.get(match[1], match[0]), text)

    buttons = [
        {"title": b["title"], "payload": b["payload"].replace("{{", "{").replace("}}", "}")}
        for b in variant.get("buttons") or []
    ]
    return {"text": fill(variant.get("text") or ""), "buttons": buttons or None}


def _yaml(path: Path) -> Any:
    # libyaml's loader when PyYAML has it: ten times faster on the NLU files.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe loader
