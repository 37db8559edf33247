"""Every response of the domain exists in English and French, and Rasa renders both."""

from __future__ import annotations

import re
from typing import Any, get_args, get_type_hints

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import utter_in
from actions.outage import SERVICE_NAMES
from connectors.billing import Invoice, PaymentMethod
from connectors.models import Channel
from connectors.network import Incident, Service
from connectors.orders import OrderStatus
from tests.actions.conftest import PLACEHOLDER, ROOT, render

RESPONSES: dict[str, list[dict[str, Any]]] = yaml.safe_load((ROOT / "domain.yml").read_text())[
    "responses"
]
FRENCH = [{"type": "slot", "name": "language", "value": "fr"}]
# The back ends whose clients raise `ConnectorError`s (`identity` also for the attempt store).
SYSTEMS = ("crm", "billing", "orders", "network", "identity")
# What must read the same in both languages: phone numbers, links, email addresses.
KEPT = re.compile(r"\b0800 \d{3} \d{4}\b|https?://\S+[\w/]|[\w.]+@[\w.-]+\w")


def variation(name: str, language: str) -> dict[str, Any]:
    """The one variation of a response for `language` (English: the one without a condition)."""
    found = [
        v for v in RESPONSES[name] if v.get("condition") == (FRENCH if language == "fr" else None)
    ]
    assert len(found) == 1, f"{name}: {len(found)} variations in {language}"
    return found[0]


def placeholders(text: str) -> set[str]:
    return {match[1:-1] for match in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_one_english_default_and_one_french_variation(name: str) -> None:
    english, french = variation(name, "en"), variation(name, "fr")
    assert len(RESPONSES[name]) == 2, "no other variation, nor other conditions"
    assert english["text"] != french["text"]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_both_languages_take_the_same_values_and_buttons(name: str) -> None:
    english, french = variation(name, "en"), variation(name, "fr")
    assert placeholders(french["text"]) == placeholders(english["text"])
    assert KEPT.findall(french["text"]) == KEPT.findall(english["text"])
    payloads = [[b["payload"] for b in v.get("buttons", [])] for v in (english, french)]
    assert payloads[0] == payloads[1], "payloads are the same in both languages"
    titles = [[b["title"] for b in v.get("buttons", [])] for v in (english, french)]
    assert not set(titles[0]) & set(titles[1]), "buttons have French titles"


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_rasa_renders_the_variation_of_the_conversations_language(name: str, language: str) -> None:
    expected = variation(name, language)
    values = {key: f"<{key}>" for key in placeholders(expected["text"])}
    draft = render({"response": name, **values}, language)
    assert draft["text"] == expected["text"].format(**values)
    # Rasa formats payloads as it formats texts: `{{` in the domain is a brace sent.
    buttons = [{**b, "payload": b["payload"].format()} for b in expected.get("buttons", [])]
    assert draft.get("buttons", []) == buttons


def test_every_response_an_action_sends_is_in_the_domain() -> None:
    sources = "\n".join(path.read_text() for path in (ROOT / "actions").glob("*.py"))
    sent = set(re.findall(r'response="(utter_\w+)"', sources))
    assert len(sent) > 50
    assert sent <= set(RESPONSES)


def test_every_value_a_sentence_depends_on_has_its_response() -> None:
    def literal(model: Any, field: str) -> tuple[str, ...]:
        return get_args(get_type_hints(model)[field])

    expected = {
        *(f"utter_balance_{s}{d}" for s in ("due", "overdue") for d in ("", "_undated")),
        *(f"utter_last_payment_{method}" for method in get_args(PaymentMethod)),
        *(f"utter_invoice_{status}" for status in literal(Invoice, "status")),
        *(f"utter_code_sent_{channel}" for channel in get_args(Channel)),
        *(f"utter_backend_error_{system}" for system in SYSTEMS),
        *(f"utter_order_status_{status}" for status in get_args(OrderStatus)),
        *(f"utter_order_delivery_{known}" for known in ("carrier", "tracking", "eta")),
        *(f"utter_order_delivery_{known}_eta" for known in ("carrier", "tracking")),
        *(f"utter_open_orders_{form}" for form in ("one", "other")),
        *(f"utter_incident_{s}{e}" for s in literal(Incident, "status") for e in ("", "_eta")),
    }
    sources = "\n".join(path.read_text() for path in (ROOT / "actions").glob("*.py"))
    assert expected <= set(RESPONSES)
    assert {name for name in expected if f'response="{name}"' not in sources} == set()


def test_actions_say_nothing_that_is_not_in_the_domain() -> None:
    for path in (ROOT / "actions").glob("*.py"):
        source = path.read_text()
        # utter_in renders a domain response itself, for the action that switches language.
        allowed = (
            source.count('utter_message(text=variation["text"]')
            if path.name == "formatting.py"
            else 0
        )
        assert source.count("utter_message(text") == allowed, path.name


def test_the_line_that_switches_language_is_already_in_the_new_one() -> None:
    domain = Domain.load(str(ROOT / "domain.yml")).as_dict()
    dispatcher = CollectingDispatcher()
    utter_in(dispatcher, domain, "utter_verified_named", "fr", name="Chloé")
    utter_in(dispatcher, domain, "utter_verified_named", "en", name="Jane")
    utter_in(dispatcher, domain, "utter_verified", None)
    assert [m["text"] for m in dispatcher.messages[:2]] == [
        "Merci Chloé, votre identité est confirmée.",
        "Thanks Jane, you're verified.",
    ]
    assert dispatcher.messages[2]["response"] == "utter_verified"


def test_every_service_has_a_name_in_both_languages() -> None:
    for language, names in SERVICE_NAMES.items():
        assert set(names) == set(get_args(Service)), language
