"""A first message that is only an order number or an account number (data/rules.yml)."""

from __future__ import annotations

import pytest
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateBillForm, ValidateOrderForm, ValidatePasswordForm
from actions.orders import ActionTrackOrder
from tests import factories as f
from tests.actions.conftest import make_tracker, rasa_domain, render, rendered, slot_events

ASK_POSTCODE = {
    "en": "To show you this order, please tell me the postcode it's being delivered to.",
    "fr": "Pour afficher cette commande, merci de m'indiquer le code postal de l'adresse de "
    "livraison.",
}
ASK_TASK = {
    "en": "Thanks, I've noted your account number. What would you like to do?",
    "fr": "Merci, j'ai bien noté votre numéro de compte. Que souhaitez-vous faire ?",
}


def order_number_alone(**slots: object):
    """The order form activated by "ORD-100001": the number is already extracted."""
    return make_tracker(
        slots,
        text="ORD-100001",
        entities={"order_number": "ORD-100001"},
        candidates={"order_number": "ORD-100001"},
    )


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_an_order_number_alone_goes_on_to_its_delivery_postcode(
    http, dispatcher, domain, language: str
) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order())
    events = await ValidateOrderForm().run(
        dispatcher, order_number_alone(language=language), domain
    )
    slots = slot_events(events)
    assert slots == {"order_number": "ORD-100001", "requested_slot": "delivery_postcode"}
    asked = render({"response": "utter_ask_delivery_postcode"}, language)["text"]
    assert asked == ASK_POSTCODE[language]


async def test_an_order_number_alone_from_its_verified_owner_is_shown(http, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order())
    owner = {"verified": True, "customer_id": "CUS-00001", "language": "fr"}
    form = slot_events(
        await ValidateOrderForm().run(CollectingDispatcher(), order_number_alone(**owner), domain)
    )
    assert form["requested_slot"] is None
    dispatcher = CollectingDispatcher()
    await ActionTrackOrder().run(dispatcher, make_tracker({**owner, **form}), domain)
    assert rendered(dispatcher, "fr")[0] == (
        "La commande ORD-100001 a été expédiée et est en cours d'acheminement."
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_account_number_alone_asks_which_task_it_is_for(language: str) -> None:
    draft = render({"response": "utter_ask_task_for_account"}, language)
    assert draft["text"] == ASK_TASK[language]
    intents = []
    for button in draft["buttons"]:
        parsed = YAMLStoryReader.unpack_regex_message(
            Message(data={"text": button["payload"]}), rasa_domain()
        )
        intents.append(parsed.get("intent")["name"])
    assert intents == ["check_bill_balance", "reset_password", "track_order"]


KEPT = {"account_number": "30000001"}


@pytest.mark.parametrize(
    "form, expected",
    [
        (ValidateBillForm, {**KEPT, "requested_slot": "verification_method"}),
        (ValidatePasswordForm, {**KEPT, "requested_slot": "verification_method"}),
        # The order number comes first; the account number waits, untouched, in case it is needed.
        (ValidateOrderForm, {"requested_slot": "order_number"}),
    ],
)
async def test_the_task_chosen_keeps_the_account_number(dispatcher, domain, form, expected) -> None:
    # The form starts on the button's intent, the number from the first message still filled.
    tracker = make_tracker(text="/check_bill_balance", candidates=KEPT)
    events = await form().run(dispatcher, tracker, domain)
    assert slot_events(events) == expected
    assert dispatcher.messages == []
