"""Whole conversations in French through the running assistant: every flow answers in French.

A French widget's messages reach Rasa with the metadata {"language": "fr"} (the gateway's
`RasaClient.send`); `WidgetChat` sends them so through Rasa's REST channel, and one test goes
through the gateway's socket.io as widget.js does. Answers are checked against domain.yml: the
French variation of each expected response is there, and no English text of any response is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import requests
import yaml

from bot.stack import ROOT
from handover.canned import load_canned_responses
from handover.texts import HANDOVER_LINES, SKILL_NAMES, WITHOUT_THE_BOT
from tests.e2e.conftest import Chat
from tests.e2e.test_handover import Customer

pytestmark = pytest.mark.e2e

JANE = {"account": "30000001", "dob": "14/03/1985", "postcode": "BS7 8AE"}
PRIYA = {"account": "30000005", "email": "p***@example.com", "dob": "27/08/1992"}
CHLOE = {"account": "30000007", "dob": "19/05/1990"}  # her CRM record says French

# "1 234,50 £": a narrow no-break space between thousands, a no-break space before the symbol.
MONEY = r"\d{1,3}(?:\u202f\d{3})*,\d\d\u00a0£"
MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
DATE = rf"(?:1er|[1-9]|[12]\d|3[01]) (?:{MONTHS}) 20\d\d"
# Queued for a person when one is online, else a ticket: both are a handover.
HANDED_OVER = (
    "utter_handover_queued",
    "utter_handover_queued_position",
    "utter_handover_queued_wait",
    "utter_handover_ticket",
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


# -- what the assistant says in each language ---------------------------------------------


@cache
def responses() -> dict[str, dict[str, dict[str, Any]]]:
    """Each domain.yml response's variation by language; the one without a condition is English."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name, variations in domain["responses"].items():
        for variation in variations:
            conditions = variation.get("condition") or []
            language = next((c["value"] for c in conditions if c["name"] == "language"), "en")
            found.setdefault(name, {})[language] = variation
    return found


def texts(language: str, names: Iterable[str] | None = None) -> list[str]:
    """The texts and button titles of the responses `names` (all of them by default)."""
    found = []
    for name in responses() if names is None else names:
        variation = responses()[name][language]
        found += [variation["text"], *(b["title"] for b in variation.get("buttons", []))]
    return found


def gateway_texts(language: str) -> list[str]:
    """What the gateway and the agents' canned responses say in `language`."""
    canned = [r.text_fr if language == "fr" else r.text for r in load_canned_responses()]
    return [
        *HANDOVER_LINES[language].values(),
        *WITHOUT_THE_BOT[language].values(),
        *SKILL_NAMES[language].values(),
        *(text for text in canned if text),
    ]


def words(text: str) -> set[str]:
    """The lower-case words of `text` (two letters or more), without its {placeholders}."""
    return {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text)) if len(w) > 1}


def english_giveaways(english: Iterable[str], french: Iterable[str] = ()) -> set[str]:
    """The words of the `english` texts that no French text of the assistant uses."""
    vocabulary = set().union(*map(words, [*texts("fr"), *gateway_texts("fr"), *french]))
    return set().union(*map(words, english)) - vocabulary


@cache
def english_pieces() -> list[str]:
    """The English responses cut at placeholders and sentence ends: pieces of two words or
    more that no French response holds ("to pay by", "Expected delivery", "you're verified")."""
    french = "\n".join(texts("fr"))
    pieces = set()
    for text in texts("en"):
        for piece in re.split(r"\{\w+\}|[.?!:;]\s|\n", text):
            piece = piece.strip(' .?!:;,()"')
            if len(WORD.findall(piece)) >= 2 and piece not in french:
                pieces.add(piece)
    return sorted(pieces)


@cache
def all_english_giveaways() -> set[str]:
    return english_giveaways(texts("en"))


def english_in(answer: str, *, backend_text: bool = False) -> list[str]:
    """The English of domain.yml in `answer`: its sentences, and unless the answer quotes a
    back-end's own text (an incident's title, an order's updates), its words."""
    found = [piece for piece in english_pieces() if piece in answer]
    if not backend_text:
        found += sorted(words(answer) & all_english_giveaways())
    return found


def pattern(response: str, language: str = "fr", /, **values: str) -> re.Pattern[str]:
    """The response's text in `language`; placeholders match `values`, or any text."""
    parts = PLACEHOLDER.split(responses()[response][language]["text"])
    regex = "".join(
        re.escape(part) if i % 2 == 0 else re.escape(values[part]) if part in values else ".+?"
        for i, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


def assert_french(answer: str, /, *names: str, backend_text: bool = False, **values: str) -> None:
    """`answer` says each response `names` in French, and no English of domain.yml."""
    for name in names:
        assert pattern(name, **values).search(answer), f"no French {name} in {answer!r}"
    leaked = english_in(answer, backend_text=backend_text)
    assert not leaked, f"English {leaked} in a French answer: {answer!r}"


def assert_handed_over_in_french(answer: str) -> None:
    assert any(pattern(name).search(answer) for name in HANDED_OVER), answer
    assert_french(answer)


# -- customers ------------------------------------------------------------------------------


@dataclass
class WidgetChat(Chat):
    """A conversation from a widget that states its language: each message carries it as the
    gateway sends it to Rasa (handover/rasa.py, `RasaClient.send`)."""

    language: str = "fr"

    def say(self, text: str) -> list[dict[str, Any]]:
        body = {"sender": self.sender, "message": text, "metadata": {"language": self.language}}
        reply = requests.post(
            f"{self.stack.bot.rasa_url}/webhooks/rest/webhook", json=body, timeout=60
        )
        reply.raise_for_status()
        return reply.json()


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def titles(messages: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons") or []]


@pytest.fixture
def french(stack) -> WidgetChat:
    """A customer of the French widget (data-lang="fr")."""
    return WidgetChat(stack)


def verify(chat: Chat, account_message: str, method: str, dob: str) -> str:
    """Answer the verification questions in French; what the bot says after the date."""
    messages = chat.say(account_message)
    assert_french(joined(messages), "utter_ask_verification_method")
    assert titles(messages) == texts("fr", ["utter_ask_verification_method"])[1:]
    assert_french(chat.text(method), "utter_ask_date_of_birth")
    return chat.text(dob)


# -- the flows ------------------------------------------------------------------------------


def test_bill_balance_after_date_of_birth(french: WidgetChat) -> None:
    answer = french.text("Bonjour, je souhaiterais connaître le montant de ma facture, s'il vous plaît.")  # fmt: skip
    assert_french(answer, "utter_ask_account_number")
    account, method, dob = "Mon numéro de compte est le 30000001.", "Par ma date de naissance", "Je suis née le 14/03/1985."  # fmt: skip
    answer = verify(french, account, method, dob)
    assert_french(answer, "utter_verified_named", "utter_offer_invoice_lines", name="Jane")
    assert re.search(rf"Compte 30000001 : {MONEY} à régler au plus tard le {DATE}\.", answer)
    assert not re.search(r"£\s?\d", answer), "amounts are written the French way"
    answer = french.text("Oui, je veux bien voir le détail.")
    assert_french(answer, "utter_invoice_unpaid", backend_text=True)  # lines: see the last test
    assert re.search(rf"\nTotal : {MONEY} \(non réglée\)\.", answer)
    assert_french(french.text("Super, merci beaucoup pour votre aide !"), "utter_you_are_welcome")
    slots = french.slots()
    assert slots["date_of_birth"] is None and slots["verified"] is True
    assert (slots["language"], slots["language_source"]) == ("fr", "widget"), "Jane's CRM says en"


def test_a_date_of_birth_written_in_words(french: WidgetChat) -> None:
    assert_french(french.text("Bonjour, je voudrais consulter ma facture."), "utter_ask_account_number")  # fmt: skip
    answer = verify(french, PRIYA["account"], "ma date de naissance", "Je suis née le 27 août 1992.")  # fmt: skip
    assert_french(answer, "utter_verified_named", "utter_balance_clear", name="Priya")


def test_password_reset_with_a_one_time_code(french: WidgetChat, stack) -> None:
    answer = french.text("salut, j'arrive plus à me connecter, j'ai oublié mon mot de passe")
    assert_french(answer, "utter_ask_account_number")
    assert_french(french.text("c'est le 30000005"), "utter_ask_verification_method")
    answer = french.text("envoie-moi plutôt un code par sms")
    assert_french(answer, "utter_code_sent_sms", "utter_ask_otp_code")
    otp_id = french.slots()["otp_id"]
    code = requests.get(f"{stack.backends.crm_url}/_mock/otp/{otp_id}", timeout=5).json()["code"]
    answer = french.text(f"voilà : {code}")
    assert_french(answer, "utter_verified_named", name="Priya")
    assert_french(answer, "utter_password_reset_sent", sent_to=PRIYA["email"])
    assert code not in str(french.slots().values())


def test_order_number_in_the_first_message(french: WidgetChat) -> None:
    answer = french.text("Coucou ! elle arrive quand ma commande ORD-100001 ?")
    assert_french(answer, "utter_ask_delivery_postcode")
    assert "DPD" not in answer and "Transporteur" not in answer, "nothing before the postcode"
    answer = french.text(JANE["postcode"])
    assert_french(answer, "utter_order_status_shipped", "utter_order_updates", order_number="ORD-100001", backend_text=True)  # fmt: skip
    assert "Transporteur : DPD" in answer
    assert re.search(rf"Livraison prévue le {DATE}\.", answer)


def test_order_number_asked_then_corrected(french: WidgetChat) -> None:
    answer = french.text("Bonjour, je voudrais savoir où en est ma commande.")
    assert_french(answer, "utter_ask_order_number")
    assert_french(french.text("ORD-999999"), "utter_order_not_found", order_number="ORD-999999")
    answer = french.text("Excusez-moi, je me suis trompé : il s'agit de la commande ORD-100001.")
    assert_french(answer, "utter_ask_delivery_postcode")
    answer = french.text(JANE["postcode"])
    assert_french(answer, "utter_order_status_shipped", order_number="ORD-100001", backend_text=True)  # fmt: skip


def test_known_outage_at_a_postcode(french: WidgetChat) -> None:
    answer = french.text("y a une panne vers SW9 1AB ? ma box marche plus depuis ce matin")
    assert_french(answer, "utter_known_problem", "utter_no_report_needed", postcode="SW9 1AB", backend_text=True)  # fmt: skip
    assert "(services concernés : téléphone fixe, internet ; état : analyse en cours)" in answer


def test_faq(french: WidgetChat) -> None:
    answer = french.text(
        "Je pars en Espagne cet été. Est-ce que je pourrai utiliser mon forfait là-bas, "
        "et combien cela me coûtera-t-il ?"
    )
    assert_french(answer, "utter_faq/roaming")


def test_out_of_scope(french: WidgetChat) -> None:
    messages = french.say("tu pourrais me trouver une bonne pizzeria pas loin de chez moi ?")
    assert_french(joined(messages), "utter_out_of_scope", "utter_offer_human")
    assert titles(messages) == ["Oui, je veux bien", "Non, merci"]
    assert_french(french.text("non merci, ça ira"), "utter_anything_else")


def test_two_misunderstandings_in_a_row_offer_a_person(french: WidgetChat) -> None:
    # The NLU's own verdict, as the English test sends it: which French phrasings fall under the
    # threshold changes with every training, the dialogue that follows must not.
    assert_french(french.text("/nlu_fallback"), "utter_ask_rephrase")
    answer = french.text("/nlu_fallback")
    assert_french(answer, "utter_still_not_understood", "utter_offer_human")
    assert_handed_over_in_french(french.text("oui, s'il vous plaît"))


def test_a_complaint_is_passed_to_a_person(french: WidgetChat) -> None:
    answer = french.text(
        "C'est inadmissible : cela fait trois semaines que j'attends un technicien et personne "
        "ne me rappelle. Je souhaite déposer une réclamation."
    )
    assert_french(answer, "utter_handover_complaint")
    assert_handed_over_in_french(answer)


def test_billing_down_apologises_in_french(french: WidgetChat, fault) -> None:
    fault("billing", "error")
    french.text("Bonsoir, je voudrais connaître le solde de mon compte")
    answer = verify(french, JANE["account"], "date de naissance", JANE["dob"])
    assert_french(answer, "utter_backend_error_billing", "utter_offer_human")


def test_two_clear_english_messages_switch_a_french_widget_to_english(french: WidgetChat) -> None:
    assert_french(french.text("Bonjour !"), "utter_greet")
    # One English message is not yet enough (nlu/language.py): the answer stays French.
    assert_french(french.text("what are your opening hours?"), "utter_faq/opening_hours")
    assert french.slots()["language_pending"] == "en"
    answer = french.text("is there an outage near SW9 1AB at the moment?")
    assert pattern("utter_known_problem", "en", postcode="SW9 1AB").search(answer), answer
    assert not pattern("utter_known_problem", postcode="SW9 1AB").search(answer)
    assert "You don't need to report it" in answer
    answer = french.text("great, thank you very much")
    assert answer == responses()["utter_you_are_welcome"]["en"]["text"]
    slots = french.slots()
    assert (slots["language"], slots["language_source"]) == ("en", "detected")


def test_french_without_a_widget_language_gets_french_answers(chat: Chat) -> None:
    answer = chat.text(
        "Bonjour, je n'ai plus internet depuis ce matin, il y a une panne dans mon quartier ?"
    )
    assert_french(answer, "utter_ask_postcode")
    assert (chat.slots()["language"], chat.slots()["language_source"]) == ("fr", "detected")
    answer = chat.text(JANE["postcode"])
    assert_french(answer, "utter_no_incident", "utter_troubleshooting", "utter_offer_fault_ticket")  # fmt: skip
    assert_french(chat.text("oui, ouvrez un ticket s'il vous plaît"), "utter_fault_ticket_opened")


def test_a_customer_whose_record_says_french_is_answered_in_french_once_verified(
    chat: Chat,
) -> None:
    assert "account number" in chat.text("hi, can you check my bill please")
    assert "confirm your identity" in chat.text(CHLOE["account"])
    assert "date of birth" in chat.text("my date of birth")
    answer = chat.text(CHLOE["dob"])
    assert (chat.slots()["language"], chat.slots()["language_source"]) == ("fr", "customer")
    assert_french(answer, "utter_verified_named", "utter_balance_clear", name="Chloé")


def test_the_widget_language_reaches_the_bot_through_the_gateway(stack) -> None:
    customer = Customer(stack.bot.gateway_url)
    try:
        # widget.js states its language in each session request; this one restates it.
        customer.wait("session_confirm", consume=True)
        request = {"session_id": customer.session_id, "session_secret": customer.session_secret}
        customer.sio.emit("session_request", {**request, "language": "fr"})
        customer.wait("session_confirm", consume=True)
        customer.say("ORD-100001")  # no word: only the widget tells the language
        asked = customer.wait("bot_uttered", timeout=30, consume=True)[1]["text"]
        assert_french(asked, "utter_ask_delivery_postcode")
        status = customer.ask(JANE["postcode"], "ORD-100001")
        assert_french(status, "utter_order_status_shipped", order_number="ORD-100001")
    finally:
        customer.close()


def test_what_the_back_ends_say_reaches_a_french_customer_in_french(french: WidgetChat) -> None:
    assert_french(french.text("Bonjour, où en est ma commande ORD-100001 ?"), "utter_ask_delivery_postcode")  # fmt: skip
    order = french.text(JANE["postcode"])
    assert_french(order, "utter_order_updates", backend_text=True)
    outage = french.text("Et y a-t-il une panne près de SW9 1AB ?")
    assert_french(outage, "utter_known_problem", postcode="SW9 1AB", backend_text=True)
    assert_french(french.text("Je voudrais aussi voir ma facture"), "utter_ask_account_number")
    verify(french, JANE["account"], "ma date de naissance", JANE["dob"])
    invoice = french.text("oui")
    assert_french(invoice, "utter_invoice_unpaid", backend_text=True)
    leaked = {name: english_in(answer) for name, answer in
              (("order", order), ("outage", outage), ("invoice", invoice))}  # fmt: skip
    assert not any(leaked.values()), leaked
