"""`redact` on realistic customer messages, in English and French: what goes, what stays."""

import socket
import time

import pytest

from privacy.engine import MAX_CHARS, TOO_LONG, OfflineEmailRecognizer
from privacy.redaction import (
    pseudonym,
    redact,
    redact_answer,
    redact_message,
    redactor,
    secret_asked_by,
)

REDACTED = [
    # dates of birth, in the forms customers type them
    ("my date of birth is 14/03/1985", "my date of birth is [date of birth]"),
    ("14/03/85", "[date of birth]"),
    ("it's 14-03-1985 thanks", "it's [date of birth] thanks"),
    ("14.03.1985", "[date of birth]"),
    ("14 03 1985", "[date of birth]"),
    ("1985-03-14", "[date of birth]"),
    ("03/14/1985", "[date of birth]"),
    ("born on 14 March 1985", "born on [date of birth]"),
    ("March 14th, 1985", "[date of birth]"),
    ("the 2nd of November 1979", "the [date of birth]"),
    ("je suis né le 14 mars 1985", "je suis né le [date of birth]"),
    ("le 1er janvier 1990", "le [date of birth]"),
    ("Née le 2 juin 1941.", "Née le [date of birth]."),
    ("14 févr. 1985", "[date of birth]"),
    # one-time codes
    ("the code is 482913", "the code is [code]"),
    ("Code : 004512.", "Code : [code]."),
    ("voici le code 123456 merci", "voici le code [code] merci"),
    # cards (Luhn-valid test numbers)
    ("my card is 4111 1111 1111 1111", "my card is [card]"),
    ("carte 5555-5555-5555-4444", "carte [card]"),
    # emails
    ("mail me at jane.doe@example.com please", "mail me at [email] please"),
    ("écrivez à jean.dupont@orange.fr", "écrivez à [email]"),
    # phones
    ("call me on 07700 900123", "call me on [phone]"),
    ("my number is +44 7700 900123", "my number is [phone]"),
    ("landline 020 7946 0958", "landline [phone]"),
    ("mon portable : 06 12 34 56 78", "mon portable : [phone]"),
    ("+33 6 12 34 56 78", "[phone]"),
    ("06.12.34.56.78", "[phone]"),
    # postcodes in free text
    ("is there an outage at M14 6NQ?", "is there an outage at [postcode]?"),
    ("I live in sw1a 1aa", "I live in [postcode]"),
    (
        "j'habite au 12 rue de la Paix, 75002 Paris",
        "j'habite au 12 rue de la Paix, [postcode] Paris",
    ),
    ("code postal 69003", "code postal [postcode]"),
    # several at once
    (
        "account 30000001, dob 14/03/1985, email jane.doe@example.com, mobile 07700900123",
        "account 30000001, dob [date of birth], email [email], mobile [phone]",
    ),
]

KEPT = [
    "30000001",
    "my account number is 30000002",
    "where is my order ORD-100001",
    "track ORD-123456 please",
    "I paid £72.00 on 2026-11-01",
    "the bill of 14/11/2026 is wrong",  # a recent date is a service date, not a birth
    "£1,234.56 is too much",
    "call us on 0800 000 0123",  # a freephone number is the company's
    "open Mon-Fri 8:00-20:00",
    "ticket TCK-400001",
    "how much do I owe on my bill?",
    "combien je dois payer ce mois-ci ?",
    "I want to talk to a person",
    "",
    "   ",
]


@pytest.mark.parametrize(("said", "stored"), REDACTED)
def test_personal_data_is_replaced_by_a_readable_token(said: str, stored: str) -> None:
    assert redact(said) == stored


@pytest.mark.parametrize("said", KEPT)
def test_what_agents_need_is_kept(said: str) -> None:
    assert redact(said) == said


def test_french_pipeline_gives_the_same_answers() -> None:
    assert redact("né le 14 mars 1985, code 123456", language="fr") == (
        "né le [date of birth], code [code]"
    )
    assert redact("14/03/1985", language="xx") == "[date of birth]"  # unknown: English


def test_redaction_is_stable_when_applied_twice() -> None:
    once = redact(REDACTED[-1][0])
    assert redact(once) == once


def test_kinds_can_be_kept_on_request() -> None:
    assert redact("M14 6NQ", keep=frozenset({"POSTCODE"})) == "M14 6NQ"
    assert redact("M14 6NQ 14/03/1985", keep=frozenset({"POSTCODE"})) == "M14 6NQ [date of birth]"


def test_invalid_input_gets_a_clear_error_or_a_safe_answer() -> None:
    with pytest.raises(TypeError, match="takes a str"):
        redact(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a str"):
        redact(b"14/03/1985")  # type: ignore[arg-type]
    # A lone surrogate cannot be encoded; the rest is still redacted.
    assert redact("\ud800 14/03/1985") == "\ufffd [date of birth]"
    assert redact("\x00 code 123456\x1b") == "\x00 code [code]\x1b"


def test_huge_input_is_replaced_rather_than_analysed_or_passed_through() -> None:
    huge = "14/03/1985 " * (MAX_CHARS // 11 + 1)
    assert len(huge) > MAX_CHARS
    assert redact(huge) == TOO_LONG
    # Just under the limit: analysed, every date replaced.
    long = ("my dob is 14/03/1985. " * 2000)[: MAX_CHARS - 100]
    assert "1985" not in redact(long)


def test_a_call_costs_a_few_milliseconds() -> None:
    redactor()  # built once per process, not per call
    message = "account 30000001, date of birth 14/03/1985, jane.doe@example.com, 07700 900123"
    started = time.perf_counter()
    for _ in range(100):
        redact(message)
    per_call = (time.perf_counter() - started) / 100
    assert per_call < 0.02, f"{per_call * 1000:.1f} ms per call"


@pytest.mark.parametrize(
    ("question", "slot"),
    [
        ("What's your date of birth? (for example [date of birth])", "date_of_birth"),
        (
            "Sorry, I couldn't read that as a date of birth. Please type it like [date of birth].",
            "date_of_birth",
        ),
        ("Quelle est votre date de naissance ?", "date_of_birth"),
        ("Please type the 6-digit code.", "otp_code"),
        ("The code has 6 digits. Please type it as you got it.", "otp_code"),
        ("Saisissez le code à 6 chiffres.", "otp_code"),
        ("Please choose: your date of birth, or a one-time code sent to you.", None),
        ("What's your account number?", None),
        (None, None),
    ],
)
def test_which_bot_questions_ask_for_a_secret(question: str | None, slot: str | None) -> None:
    assert secret_asked_by(question) == slot


def test_an_answer_to_a_secret_question_is_replaced_whole() -> None:
    # "fourteenth of march" has no digits: only the context gives it away.
    assert redact_answer("fourteenth of march eighty-five", "date_of_birth") == "[date of birth]"
    assert redact_answer("four eight two nine one three", "otp_code") == "[code]"
    assert redact_answer("fourteenth of march eighty-five", "account_number") == (
        "fourteenth of march eighty-five"
    )
    question = "What's your date of birth? (for example [date of birth])"
    assert redact_message("14031985", sender="user", question=question) == "[date of birth]"
    assert redact_message("14031985", sender="user", question="Anything else?") == "14031985"
    # The bot's and agents' words are redacted too, never replaced whole.
    assert redact_message("Your code: 123456", sender="agent", question=question) == (
        "Your code: [code]"
    )


def test_pseudonym_hides_the_identifier_but_tells_records_apart() -> None:
    session_id = "5f0c1e2a9b8d4c7e8f6a5b4c3d2e1f00"
    assert session_id not in pseudonym(session_id)
    assert len(pseudonym(session_id)) == 10
    assert pseudonym(session_id) == pseudonym(session_id) != pseudonym(session_id + "x")


def test_email_domains_are_checked_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    recognizer = OfflineEmailRecognizer()
    assert recognizer.validate_result("jean.dupont@orange.fr")
    assert recognizer.validate_result("jane.doe@example.com")
    assert not recognizer.validate_result("someone@localhost")
