"""The language decision: widget first, then detection with hysteresis, and any input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.language import (
    MAX_DETECTION_CHARS,
    LanguageState,
    assess,
    decide,
    detector,
    words,
)

UNSET = LanguageState()
FR_WIDGET = LanguageState("fr", "widget")
EN_WIDGET = LanguageState("en", "widget")

CLEAR_ENGLISH = [
    "I want to talk to someone",
    "my bill is too high this month",
    "can you check my balance please",
    "I never received my order",
    "how do I reset my password",
    "is there an outage in my area?",
    "please connect me to an agent",
    "I'd like to cancel my contract",
]
CLEAR_FRENCH = [
    "je veux parler à quelqu'un",
    "ma facture est trop élevée ce mois-ci",
    "pouvez-vous vérifier mon solde",
    "je n'ai jamais reçu ma commande",
    "comment réinitialiser mon mot de passe",
    "y a-t-il une panne dans mon quartier ?",
    "je voudrais résilier mon abonnement",
    "merci beaucoup pour votre aide",
]
# Nothing to tell the language by: acknowledgements, references, numbers, emoji, one word.
NO_EVIDENCE = [
    "", "   ", "ok", "OK!", "oui", "yes", "non", "no", "k", "?", "...", "ORD-100001",
    "ord-100001 ?", "ACC-20004512", "SW1A 1AA", "75008", "0612345678", "12/03/1985", "42 €",
    "😀", "👍👍", "jean.dupont@example.fr", "https://www.nimbus-telecom.example/stores",
    "merci", "thanks", "hello", "salut", "Paris",
]  # fmt: skip
LONG_ENGLISH = (
    "Hello, I have been trying to log in to my account all morning and the website keeps "
    "telling me that my password is wrong even though I changed it yesterday."
)
LONG_FRENCH = (
    "Bonjour, j'essaie de me connecter à mon compte depuis ce matin et le site me répète que "
    "mon mot de passe est incorrect alors que je l'ai changé hier soir."
)


def after(state: LanguageState, *texts: str, widget: object = None) -> LanguageState:
    """The state after the customer sends `texts`, one message at a time."""
    for text in texts:
        state = decide(state, text=text, widget=widget)
    return state


# -- one message ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", CLEAR_ENGLISH)
def test_clear_english_is_clear(text: str) -> None:
    evidence = assess(text)
    assert (evidence.language, evidence.clear) == ("en", True), evidence


@pytest.mark.parametrize("text", CLEAR_FRENCH)
def test_clear_french_is_clear(text: str) -> None:
    evidence = assess(text)
    assert (evidence.language, evidence.clear) == ("fr", True), evidence


@pytest.mark.parametrize("text", NO_EVIDENCE)
def test_a_message_without_language_is_no_evidence(text: str) -> None:
    evidence = assess(text)
    assert not evidence.clear and not evidence.decisive, evidence


@pytest.mark.parametrize("text", [LONG_ENGLISH, LONG_FRENCH])
def test_a_long_confident_message_is_decisive(text: str) -> None:
    assert assess(text).decisive


@pytest.mark.parametrize("text", CLEAR_ENGLISH + CLEAR_FRENCH)
def test_a_short_message_is_not_decisive(text: str) -> None:
    assert not assess(text).decisive


def test_references_numbers_and_addresses_are_not_words() -> None:
    text = "mon colis ORD-100001 pour SW1A 1AA, jean@example.fr www.example.fr 3 fois 😀"
    assert words(text) == ["mon", "colis", "pour", "fois"]
    assert words("quelqu'un peut-être l’été") == ["quelqu'un", "peut-être", "l’été"]


# -- the first messages ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language"), [(CLEAR_FRENCH[0], "fr"), (CLEAR_ENGLISH[0], "en")])
def test_without_a_widget_language_the_first_clear_message_decides(
    text: str, language: str
) -> None:
    assert decide(UNSET, text=text) == LanguageState(language, "detected")


@pytest.mark.parametrize(("text", "language"), [("bonjour", "fr"), ("thanks", "en")])
def test_one_unmistakable_word_is_enough_when_nothing_is_decided(text: str, language: str) -> None:
    assert decide(UNSET, text=text) == LanguageState(language, "detected")


@pytest.mark.parametrize("text", ["ok", "oui", "yes", "ORD-100001", "75008", "😀", "", "Paris"])
def test_without_evidence_the_language_stays_unset(text: str) -> None:
    assert decide(UNSET, text=text) == UNSET


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_widget_language_comes_first(language: str) -> None:
    assert decide(UNSET, text="ok", widget=language) == LanguageState(language, "widget")


def test_a_first_message_in_the_other_language_is_only_pending() -> None:
    assert decide(UNSET, text=CLEAR_ENGLISH[0], widget="fr") == LanguageState("fr", "widget", "en")


@pytest.mark.parametrize("widget", ["de", "FR", "", 5, ["fr"], {"fr": True}, None])
def test_a_language_the_assistant_does_not_speak_is_no_widget_language(widget: object) -> None:
    assert decide(UNSET, text="ok", widget=widget) == UNSET
    assert decide(UNSET, text=CLEAR_FRENCH[0], widget=widget) == LanguageState("fr", "detected")


# -- switching ------------------------------------------------------------------------------


def test_a_french_widget_user_who_writes_english_twice_gets_english() -> None:
    once = decide(FR_WIDGET, text=CLEAR_ENGLISH[0], widget="fr")
    assert once == LanguageState("fr", "widget", "en")
    assert decide(once, text=CLEAR_ENGLISH[1], widget="fr") == LanguageState("en", "detected")


def test_an_english_widget_user_who_writes_french_twice_gets_french() -> None:
    assert after(EN_WIDGET, *CLEAR_FRENCH[:2], widget="en") == LanguageState("fr", "detected")


@pytest.mark.parametrize("text", NO_EVIDENCE)
def test_messages_without_evidence_never_flip_and_keep_the_pending_switch(text: str) -> None:
    pending = LanguageState("fr", "widget", "en")
    assert after(pending, text, text, text, widget="fr") == pending
    assert after(FR_WIDGET, text, text, text, widget="fr") == FR_WIDGET


def test_no_evidence_between_two_english_messages_still_switches() -> None:
    state = after(FR_WIDGET, CLEAR_ENGLISH[0], "ok", "ORD-100001", CLEAR_ENGLISH[1], widget="fr")
    assert state == LanguageState("en", "detected")


def test_a_message_in_the_current_language_drops_the_pending_switch() -> None:
    state = after(FR_WIDGET, CLEAR_ENGLISH[0], CLEAR_FRENCH[0], CLEAR_ENGLISH[1], widget="fr")
    assert state == LanguageState("fr", "widget", "en")


@pytest.mark.parametrize(("start", "text", "language"), [(FR_WIDGET, LONG_ENGLISH, "en"), (EN_WIDGET, LONG_FRENCH, "fr")])  # fmt: skip
def test_one_long_confident_message_switches_at_once(
    start: LanguageState, text: str, language: str
) -> None:
    assert decide(start, text=text, widget=start.language) == LanguageState(language, "detected")


def test_the_widget_does_not_undo_a_switch() -> None:
    switched = LanguageState("en", "detected")
    assert after(switched, "ok", CLEAR_ENGLISH[2], widget="fr") == switched


def test_the_customers_crm_language_is_kept_until_they_write_another_one() -> None:
    crm = LanguageState("fr", "customer")
    assert after(crm, "ok", CLEAR_FRENCH[0], widget="en") == crm
    assert after(crm, *CLEAR_ENGLISH[:2], widget="en") == LanguageState("en", "detected")


def test_switching_back_needs_two_messages_again() -> None:
    english = after(FR_WIDGET, *CLEAR_ENGLISH[:2], widget="fr")
    assert decide(english, text=CLEAR_FRENCH[0], widget="fr") == LanguageState(
        "en", "detected", "fr"
    )
    assert after(english, *CLEAR_FRENCH[:2], widget="fr") == LanguageState("fr", "detected")


def test_an_unknown_language_in_the_slots_counts_as_none() -> None:
    assert decide(LanguageState("de", "widget"), text="ok", widget="fr") == FR_WIDGET
    assert decide(LanguageState("de", "detected", "xx"), text="ok") == UNSET
    assert decide(LanguageState("fr", "widget", "xx"), text="ok") == FR_WIDGET
    assert decide(LanguageState("fr", "widget", "fr"), text="ok") == FR_WIDGET


# -- button payloads and bad input ----------------------------------------------------------


@pytest.mark.parametrize(
    "payload", ["/affirm", " /request_human", '/inform{"text": "I want to talk to someone now"}']
)
def test_button_payloads_are_never_read(payload: str) -> None:
    assert assess(payload).language is None
    assert decide(UNSET, text=payload) == UNSET
    assert decide(LanguageState("fr", "widget", "en"), text=payload) == LanguageState(
        "fr", "widget", "en"
    )


@pytest.mark.parametrize(
    "text", [None, 42, b"I want to talk to someone", ["hello"], {"text": "hi"}]
)
def test_a_text_that_is_not_a_string_is_no_evidence(text: object) -> None:
    assert decide(FR_WIDGET, text=text) == FR_WIDGET
    assert decide(UNSET, text=text, widget="en") == EN_WIDGET


def test_invalid_unicode_is_read_without_it() -> None:
    text = "je veux \ud800parler à quelqu'un\udfff"
    assert assess(text).language == "fr"
    assert decide(UNSET, text="\ud83d") == UNSET


def test_decomposed_accents_read_like_composed_ones() -> None:
    decomposed = "ma facture est trop e\u0301leve\u0301e ce mois-ci"
    composed = "ma facture est trop élevée ce mois-ci"
    assert assess(decomposed).confidence == pytest.approx(assess(composed).confidence)


def test_a_huge_message_is_cut_before_detection() -> None:
    detector()  # built outside the timing
    huge = LONG_ENGLISH * 10_000  # about 1.5 MB
    start = time.perf_counter()
    evidence = assess(huge + LONG_FRENCH)
    assert time.perf_counter() - start < 0.5
    assert evidence.language == "en" and evidence.decisive
    assert assess("ok " * MAX_DETECTION_CHARS + CLEAR_FRENCH[0]).language != "fr"


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(), st.text(alphabet=st.characters(categories=("Cs", "Ll", "Zs"))), st.none()
    ),
    language=st.sampled_from([None, "en", "fr"]),
    source=st.sampled_from([None, "widget", "customer", "detected"]),
    pending=st.sampled_from([None, "en", "fr", "xx"]),
    widget=st.one_of(st.none(), st.text(max_size=3), st.sampled_from(["en", "fr"])),
)
def test_any_input_gives_a_valid_state(
    text: str | None, language: str | None, source: str | None, pending: str | None, widget: object
) -> None:
    state = decide(LanguageState(language, source, pending), text=text, widget=widget)
    assert state.language in (None, "en", "fr")
    assert state.pending in (None, "en", "fr")
    assert state.pending is None or state.pending != state.language
    if state.language is None:
        assert state == LanguageState()
