"""Base model shared by every contract model, and the texts back-ends carry in two languages."""

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal, get_args

from pydantic import BaseModel, validator
from pydantic.fields import ModelField

Channel = Literal["sms", "email"]
# The languages the assistant speaks, as the back-ends name them (ISO 639-1 codes).
Language = Literal["en", "fr"]
LANGUAGES: frozenset[str] = frozenset(get_args(Language))

logger = logging.getLogger(__name__)


def _iso_utc(value: datetime) -> str:
    # The contract writes timestamps with a `Z`; naive datetimes are taken to be UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class ContractModel(BaseModel):
    """Immutable model that serialises timestamps the way the contract writes them."""

    class Config:
        frozen = True
        json_encoders = {datetime: _iso_utc}


def text_in(default: str, translations: Mapping[str, str], language: str) -> str:
    """A back-end's text in `language` if it sent one, else its default (English) text."""
    return translations.get(language) or default


def _known_translations(cls: type[BaseModel], value: Any, field: ModelField) -> dict[str, str]:
    # A translation is a nicety on top of the default text: one that is broken is dropped (and
    # logged) so the customer still gets the default text, rather than the whole answer failing.
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        logger.warning("%s.%s is not a map: ignored", cls.__name__, field.name)
        return {}
    kept: dict[str, str] = {}
    dropped: list[str] = []
    for language, text in value.items():
        if language in LANGUAGES and isinstance(text, str) and text.strip():
            kept[language] = text
        else:
            dropped.append(repr(language)[:20])
    if dropped:
        logger.warning(
            "%s.%s: ignored the entries %s (a language is one of %s, a text a non-empty string)",
            cls.__name__,
            field.name,
            ", ".join(dropped[:10]),
            sorted(LANGUAGES),
        )
    return kept


def translations_of(field: str) -> Any:
    """Validator for a `*_translations` field: a map of language code to text.

    Only the languages in `LANGUAGES` with a non-empty string are kept; anything else the
    back-end sent there (another language, a number, a list instead of a map) is ignored.
    """
    return validator(field, pre=True, allow_reuse=True)(_known_translations)
