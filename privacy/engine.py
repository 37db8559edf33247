"""Presidio's analyzer and anonymizer with this project's pattern recognizers.

Imported on first use by `privacy.redaction.redactor()`: importing spaCy takes seconds (it
loads TensorFlow when installed, as Rasa's is), which processes that never redact should not pay.
The spaCy pipelines are blank (a tokenizer, no model) and passed in: nothing is downloaded.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import phonenumbers
import tldextract
from presidio_analyzer import (
    AnalyzerEngine,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from spacy.language import Language

TOKENS = {
    "DATE_OF_BIRTH": "[date of birth]",
    "OTP_CODE": "[code]",
    "CREDIT_CARD": "[card]",
    "EMAIL_ADDRESS": "[email]",
    "PHONE_NUMBER": "[phone]",
    "POSTCODE": "[postcode]",
}
# Longer texts are not analysed (the cost grows with the length) but replaced: fail closed.
MAX_CHARS = 20_000
TOO_LONG = "[removed: too long to check for personal data]"
# Customers are adults: a date less than this many years ago is a service date, not a birth.
MIN_AGE_YEARS = 16
MIN_SCORE = 0.3

_MONTHS = (
    r"jan(?:uary|vier|v)?|feb(?:ruary)?|f[ée]v(?:rier|r)?|mar(?:ch|s)?|apr(?:il)?|avr(?:il)?"
    r"|may|mai|june?|juin|july?|juil(?:let)?|aug(?:ust)?|ao[uû]t|sep(?:t(?:ember|embre)?)?"
    r"|oct(?:ober|obre)?|nov(?:ember|embre)?|d[ée]c(?:ember|embre)?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er)?"
_KEPT = re.compile(r"(?<![\w-])3\d{7}(?!\w)|\bORD-\d{6}\b", re.IGNORECASE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_YEAR = re.compile(r"\d{4}|\d{2}$")
# What a question for a secret looks like, in the bot's words (English and French).


class _Patterns(PatternRecognizer):
    """A pattern recognizer whose entity and patterns are class attributes."""

    ENTITY = ""
    PATTERNS: list[Pattern] = []

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=self.PATTERNS,
            supported_language=supported_language,
        )


class FullDateRecognizer(_Patterns):
    """Full dates (day, month and year) in numeric, ISO, English and French forms."""

    ENTITY = "DATE_OF_BIRTH"

    PATTERNS = [
        Pattern("d/m/y or m/d/y", r"\b\d{1,2}([/.\-])\d{1,2}\1(?:\d{4}|\d{2})\b", 0.6),
        Pattern("d m yyyy", r"\b\d{1,2} \d{1,2} (?:19|20)\d{2}\b", 0.5),
        Pattern("yyyy-mm-dd", r"\b(?:19|20)\d{2}([/.\-])\d{1,2}\1\d{1,2}\b", 0.6),
        Pattern(
            "day month year",
            rf"\b{_DAY}(?:\s+of)?\s+(?:{_MONTHS})\.?,?\s+(?:\d{{4}}|'\d{{2}})\b",
            0.7,
        ),
        Pattern("month day year", rf"\b(?:{_MONTHS})\.?\s+{_DAY},?\s+\d{{4}}\b", 0.7),
    ]

    def validate_result(self, pattern_text: str) -> bool:
        """Reject recent and future dates: a bill's due date is not a date of birth."""
        return _year_of(pattern_text) <= date.today().year - MIN_AGE_YEARS


def _year_of(text: str) -> int:
    years = _YEAR.findall(text.replace("'", " ").split()[-1]) or _YEAR.findall(text)
    found = next((y for y in years if len(y) == 4), None)
    if found is None:
        # A 2-digit year in the past century unless it is this century's past: 85 -> 1985.
        short = int(re.findall(r"\d{2}", text)[-1])
        return 2000 + short if 2000 + short <= date.today().year else 1900 + short
    return int(found)


class OtpRecognizer(_Patterns):
    """6-digit one-time codes, not part of an order number, an amount or a longer number."""

    ENTITY = "OTP_CODE"

    PATTERNS = [Pattern("6 digits", r"(?<![\w£€$.,/-])\d{6}(?![\w/-]|[.,]\d)", 0.5)]


class PostcodeRecognizer(_Patterns):
    """UK postcodes, and French ones beside a town name or after "code postal"."""

    ENTITY = "POSTCODE"

    PATTERNS = [
        Pattern("UK", r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d(?-i:[A-Z]{2}|[a-z]{2}))\b", 0.6),
        Pattern("FR before town", r"\b(?:0[1-9]|[1-8]\d|9[0-8])\d{3}(?=\s+(?-i:[A-ZÉÈ])\w)", 0.5),
        Pattern(
            "FR after label",
            r"(?<=\b(?:code postal|cp|postcode|post code)\s*:?\s*)\d{5}\b",
            0.6,
        ),
    ]


class PhonePatternRecognizer(_Patterns):
    """UK and French phone numbers by their written forms, in the ranges phonenumbers rejects.

    The demo customers' numbers (07700 900xxx) lie in Ofcom's range reserved for fiction, which
    phonenumbers does not count as valid; customers type them all the same.
    """

    ENTITY = "PHONE_NUMBER"

    PATTERNS = [
        Pattern("UK mobile", r"(?<![\w+])(?:(?:\+|00)44\s?|0)7\d{3}\s?\d{3}\s?\d{3}\b", 0.6),
        Pattern(
            "UK geographic",
            r"(?<![\w+])(?:(?:\+|00)44\s?|0)[123]\d{2,3}\s?\d{3}\s?\d{3,4}\b",
            0.5,
        ),
        # 08 numbers are companies' (numéros verts, shared cost): not personal data.
        Pattern("FR", r"(?<![\w+])(?:(?:\+|00)33\s?|0)[1-79](?:[\s.-]?\d{2}){4}\b", 0.6),
    ]


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer, checking domains against tldextract's bundled suffix list.

    The default extractor fetches the public suffix list from the network on first use.
    """

    # No URLs and no cache: the snapshot shipped with tldextract; plus the reserved "example".
    _domains = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, extra_suffixes=("example", "test")
    )

    def validate_result(self, pattern_text: str) -> bool:
        return self._domains(pattern_text.rsplit("@", 1)[-1]).fqdn != ""


class PersonalPhoneRecognizer(PhoneRecognizer):
    """UK and French phone numbers; freephone and shared-cost numbers are companies', kept."""

    _COMPANY_TYPES = {
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.UAN,
    }

    def __init__(self, supported_language: str) -> None:
        # "GB", not Presidio's default "UK", which phonenumbers does not know.
        super().__init__(supported_language=supported_language, supported_regions=("GB", "FR"))

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        return [
            result
            for result in super().analyze(text, entities, nlp_artifacts)
            if not self._company_number(text[result.start : result.end])
        ]

    def _company_number(self, number: str) -> bool:
        for region in self.supported_regions:
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.number_type(parsed) in self._COMPANY_TYPES:
                return True
        return False


class LoadedSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around pipelines already loaded by the caller (no download)."""

    def __init__(self, pipelines: dict[str, Language]) -> None:
        # Blank pipelines find no named entities: an empty mapping says so (and spares the
        # warnings Presidio logs when the mapping is left out).
        nothing = NerModelConfiguration(
            model_to_presidio_entity_mapping={}, low_score_entity_names=[], labels_to_ignore=[]
        )
        super().__init__(
            models=[{"lang_code": lang, "model_name": "-"} for lang in pipelines],
            ner_model_configuration=nothing,
        )
        self.nlp = dict(pipelines)

    def load(self) -> None:
        """Nothing to load: the pipelines were passed in."""


def build_analyzer(pipelines: dict[str, Language]) -> AnalyzerEngine:
    """An analyzer with this module's pattern recognizers, for each language of `pipelines`."""
    languages = list(pipelines)
    registry = RecognizerRegistry(supported_languages=languages)
    for language in languages:
        for recognizer in (
            FullDateRecognizer(language),
            OtpRecognizer(language),
            CreditCardRecognizer(supported_language=language),
            OfflineEmailRecognizer(supported_language=language),
            PersonalPhoneRecognizer(language),
            PhonePatternRecognizer(language),
            PostcodeRecognizer(language),
        ):
            registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry, nlp_engine=LoadedSpacyNlpEngine(pipelines), supported_languages=languages
    )


class Redactor:
    """Presidio's analyzer and anonymizer, built once and shared by every call."""

    def __init__(self, analyzer: AnalyzerEngine) -> None:
        self.analyzer = analyzer
        self.anonymizer = AnonymizerEngine()
        self.operators = {
            entity: OperatorConfig("replace", {"new_value": token})
            for entity, token in TOKENS.items()
        }

    def redact(self, text: str, language: str = "en", keep: frozenset[str] = frozenset()) -> str:
        """`text` with the personal data listed in `privacy.redaction`'s docstring replaced.

        `keep` names kinds (keys of `TOKENS`, e.g. "POSTCODE") to leave in place.
        """
        if not isinstance(text, str):
            raise TypeError(f"redact() takes a str, not {type(text).__name__}")
        if len(text) > MAX_CHARS:
            return TOO_LONG
        # A lone surrogate cannot be encoded (spaCy would raise); it carries no meaning anyway.
        text = _SURROGATE.sub("\ufffd", text)
        if not any(ch.isdigit() or ch == "@" for ch in text):
            return text  # every recognizer needs a digit or an "@": skip the analysis
        language = language if language in self.analyzer.supported_languages else "en"
        found = self.analyzer.analyze(
            text,
            language=language,
            entities=[entity for entity in TOKENS if entity not in keep],
            score_threshold=MIN_SCORE,
        )
        kept = [match.span() for match in _KEPT.finditer(text)]
        found = [result for result in found if not _overlaps(result, kept)]
        if not found:
            return text
        return self.anonymizer.anonymize(text, found, operators=self.operators).text


def _overlaps(result: RecognizerResult, kept: list[tuple[int, int]]) -> bool:
    """Whether a finding touches a kept span (an account or order number: agents need them)."""
    return any(start < result.end and result.start < end for start, end in kept)
