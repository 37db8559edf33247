"""The handover packet read from the whole conversation: complaints and anger, earlier tickets,
the fallback path, quick replies, and redaction of what the summary quotes.

Conversations are built as Rasa records them: quick replies parsed by Rasa's own reader of
`/intent{...}` payloads, the actions' messages turned into bot events by Rasa's RemoteAction
(their template values in the metadata), the actions' events appended after them.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine

from actions.context import quoted, read_story
from actions.conversation import ActionHandleFallback
from actions.handover import ActionHandover
from actions.outage import ActionOpenFaultTicket
from actions.transcript import transcript
from tests import factories as f
from tests.actions.conftest import rasa_domain, responses

NOBODY = {"status": "unavailable", "why": "no agent online"}
QUEUED = {"status": "queued", "position": 1}
HANDOVER = f"{f.HANDOVER}/api/handover"
TICKETS = f"{f.CRM}/tickets"


class Chat:
    """One conversation's events, in the order Rasa records them."""

    def __init__(self, **slots: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.slots: dict[str, Any] = dict(slots)
        self.latest: dict[str, Any] = {}

    def _user(self, text: str, parse_data: dict[str, Any]) -> None:
        parse = {"text": text, "entities": [], **parse_data}
        event = UserUttered(text, parse["intent"], parse["entities"], parse, time.time())
        self.events.append(event.as_dict())
        self.latest = parse

    def says(self, text: str, intent: str, confidence: float = 0.9) -> None:
        """A typed message, with the intent the NLU gave it."""
        ranking = [{"name": intent, "confidence": confidence}]
        self._user(text, {"intent": ranking[0], "intent_ranking": ranking})

    def presses(self, payload: str) -> None:
        """A quick reply: its payload, parsed as Rasa's RegexMessageHandler parses it."""
        message = YAMLStoryReader.unpack_regex_message(
            Message({TEXT: payload}), rasa_domain(), entity_extractor_name="RegexMessageHandler"
        )
        self._user(payload, message.as_dict(only_output_properties=True))

    def sets(self, name: str, value: Any) -> None:
        self.events.append(
            {"event": "slot", "name": name, "value": value, "timestamp": time.time()}
        )
        self.slots[name] = value

    def tracker(self) -> Tracker:
        return Tracker(
            sender_id="test-conversation",
            slots=dict(self.slots),
            latest_message=self.latest,
            events=list(self.events),
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    async def run(self, action: Action, domain: dict[str, Any]) -> CollectingDispatcher:
        """Run `action` on the conversation so far; record its messages and events."""
        dispatcher = CollectingDispatcher()
        # As rasa_sdk's executor: an action's `run` may be a coroutine function or not.
        events = await call_potential_coroutine(action.run(dispatcher, self.tracker(), domain))
        rasa_tracker = DialogueStateTracker.from_events(
            "test-conversation",
            [SlotSet("language", self.slots.get("language", "en"))],
            slots=rasa_domain().slots,
        )
        nlg = TemplatedNaturalLanguageGenerator(rasa_domain().responses)
        said = await RemoteAction._utter_responses(
            [dict(m) for m in dispatcher.messages], CollectingOutputChannel(), nlg, rasa_tracker
        )
        self.events += [event.as_dict() for event in said]
        for event in events:
            self.events.append(dict(event))
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        return dispatcher

    def bot_texts(self) -> list[str]:
        return [e["text"] for e in self.events if e["event"] == "bot" and e.get("text")]


async def test_an_earlier_complaint_and_its_ticket_stay_in_the_packet(http, domain) -> None:
    """The tester's chat: angry and charged twice, a ticket as nobody was online; later an
    order, a quick reply, a date of birth, and a request for a person."""
    http.post(HANDOVER, json=NOBODY)
    created = http.post(TICKETS, json=f.ticket(ticket_id="TCK-000042"))
    chat = Chat()
    chat.says("I'm angry, you charged me twice this month!", "complain", 0.97)
    first = await chat.run(ActionHandover(), domain)
    assert responses(first) == ["utter_handover_complaint", "utter_handover_ticket"]
    assert created.last_request.json()["priority"] == "high"
    assert "Your reference is TCK-000042." in chat.bot_texts()[-1]

    chat.says("where is my order ORD-100001", "track_order")
    chat.sets("requested_slot", "verification_method")
    chat.presses('/inform{"verification_method": "dob"}')
    chat.sets("requested_slot", "date_of_birth")
    chat.says("14/03/1985", "inform")
    chat.sets("requested_slot", None)
    chat.says("can I talk to someone please", "request_human")
    asked = http.post(HANDOVER, json=QUEUED)
    second = await chat.run(ActionHandover(), domain)

    assert responses(second) == ["utter_handover_queued_position"], "no second apology"
    body = asked.last_request.json()
    assert body["reason"] == "sensitive_topic"
    context = body["context"]
    assert context["priority"] == "high"
    assert context["skill"] == "orders"
    assert context["summary"] == (
        "Unverified customer needs help with an order; a complaint or an upset customer. "
        'Complained: "I\'m angry, you charged me twice this month!". Earlier in this chat: '
        "ticket TCK-000042 (passed to the support team when nobody could take the chat)."
    )
    assert context["tickets"] == ["TCK-000042"]
    assert [(t["text"], t["intent"], t["confidence"]) for t in context["turns"]] == [
        ("I'm angry, you charged me twice this month!", "complain", 0.97),
        ("where is my order ORD-100001", "track_order", 0.9),
        ('/inform{"verification_method": "dob"}', "inform", 1.0),
        ("[date of birth]", "inform", 0.9),
        ("can I talk to someone please", "request_human", 0.9),
    ]
    assert "1985" not in str(body)


@pytest.mark.parametrize(
    ("language", "angry"),
    [
        ("en", "I'm really angry, you charged me twice on my bill!"),
        ("fr", "Je suis vraiment en colère, vous m'avez débité deux fois !"),
        ("fr", "J’en ai MARRE de vos factures"),
    ],
)
async def test_anger_the_nlu_read_as_a_task_raises_the_priority(
    http, domain, language: str, angry: str
) -> None:
    asked = http.post(HANDOVER, json=QUEUED)
    chat = Chat(language=language)
    chat.says(angry, "check_bill_balance", 0.99)  # what the model makes of it
    chat.says("and where is my order", "track_order")
    chat.says("agent please", "request_human")
    await chat.run(ActionHandover(), domain)
    body = asked.last_request.json()
    assert body["reason"] == "customer_request"
    assert body["context"]["priority"] == "high"
    assert body["context"]["summary"] == (
        "Unverified customer needs help with an order; asked for a person. "
        f'Also asked about their bill. Sounded upset: "{angry}".'
    )


async def test_a_calm_conversation_keeps_normal_priority(http, domain) -> None:
    asked = http.post(HANDOVER, json=QUEUED)
    chat = Chat()
    chat.says("how much do i owe, the last bill looked fine", "check_bill_balance")
    chat.presses("/affirm")
    chat.says("I want to talk to a human", "request_human")
    await chat.run(ActionHandover(), domain)
    context = asked.last_request.json()["context"]
    assert context["priority"] == "normal"
    assert context["tickets"] == []
    assert (
        context["summary"] == "Unverified customer needs help with their bill; asked for a person."
    )


@pytest.mark.parametrize("accept", ["button", "typed yes"])
async def test_two_misses_then_a_person_is_a_customer_request(http, domain, accept: str) -> None:
    asked = http.post(HANDOVER, json=QUEUED)
    chat = Chat()
    chat.says("get me one of your people", "nlu_fallback", 0.4)
    assert responses(await chat.run(ActionHandleFallback(), domain)) == ["utter_ask_rephrase"]
    chat.says("a real human being, not a machine", "nlu_fallback", 0.4)
    offered = await chat.run(ActionHandleFallback(), domain)
    assert responses(offered) == ["utter_still_not_understood", "utter_offer_human"]
    assert chat.slots["handover_reason"] == "repeated_fallback"
    if accept == "button":
        chat.presses("/request_human")  # "Yes, connect me"
    else:
        chat.says("yes", "affirm")
    await chat.run(ActionHandover(), domain)

    body = asked.last_request.json()
    assert body["reason"] == "customer_request"
    context = body["context"]
    assert context["priority"] == "normal"
    assert context["summary"] == (
        "Unverified customer needs help with something the assistant could not handle; "
        'asked for a person. Not understood before the offer of a person: "get me one of your '
        'people"; "a real human being, not a machine".'
    )
    last = (
        ("/request_human", "request_human", 1.0) if accept == "button" else ("yes", "affirm", 0.9)
    )
    assert [(t["text"], t["intent"], t["confidence"]) for t in context["turns"]] == [
        ("get me one of your people", "nlu_fallback", 0.4),
        ("a real human being, not a machine", "nlu_fallback", 0.4),
        last,
    ]


async def test_other_offers_keep_their_reason_and_misses_are_not_quoted(http, domain) -> None:
    asked = http.post(HANDOVER, json=QUEUED)
    chat = Chat()
    chat.says("blorp", "nlu_fallback", 0.4)
    chat.says("book me a flight to paris", "out_of_scope")
    chat.sets("pending_offer", "human")
    chat.sets("handover_reason", "out_of_scope")
    chat.says("yes", "affirm")
    await chat.run(ActionHandover(), domain)
    body = asked.last_request.json()
    assert body["reason"] == "out_of_scope"
    assert "blorp" not in body["context"]["summary"]


async def test_quick_replies_are_listed_with_the_intent_they_carry(http, domain) -> None:
    asked = http.post(HANDOVER, json=QUEUED)
    chat = Chat()
    chat.presses("/check_bill_balance")  # "Check my bill"
    chat.sets("requested_slot", "verification_method")
    chat.presses('/inform{"verification_method": "otp"}')
    assert chat.latest["entities"][0]["value"] == "otp"
    chat.sets("requested_slot", "otp_code")
    chat.says("482913", "inform", 0.62)
    chat.sets("requested_slot", None)
    chat.presses("/deny")  # "No, thanks" to the invoice lines
    # The gateway's hand-back reaches Rasa as a triggered intent: nobody typed it.
    chat.events.append(UserUttered.create_external("handback").as_dict())
    chat.presses("/request_human")
    await chat.run(ActionHandover(), domain)

    turns = asked.last_request.json()["context"]["turns"]
    assert [(t["text"], t["intent"], t["confidence"]) for t in turns] == [
        ("/check_bill_balance", "check_bill_balance", 1.0),
        ('/inform{"verification_method": "otp"}', "inform", 1.0),
        ("[code]", "inform", 0.62),
        ("/deny", "deny", 1.0),
        ("/request_human", "request_human", 1.0),
    ]
    lines = [line["text"] for line in transcript(chat.tracker()) if line["sender"] == "user"]
    assert lines == [t["text"] for t in turns], "the transcript has the same customer messages"


async def test_a_fault_ticket_of_this_chat_is_named(http, domain) -> None:
    http.post(TICKETS, json=f.ticket(ticket_id="TCK-000777"))
    asked = http.post(HANDOVER, json=QUEUED)
    chat = Chat(postcode="M1 1AE")
    chat.says("is there an outage at M1 1AE", "check_outage")
    chat.sets("pending_offer", "ticket")
    chat.presses("/affirm")  # "Yes, open a ticket"
    await chat.run(ActionOpenFaultTicket(), domain)
    chat.says("it still doesn't work, I want a person", "request_human")
    await chat.run(ActionHandover(), domain)
    context = asked.last_request.json()["context"]
    assert context["tickets"] == ["TCK-000777"]
    assert context["summary"].endswith(
        "Earlier in this chat: ticket TCK-000777 (fault report for an engineer)."
    )
    assert context["priority"] == "normal"


async def test_the_summary_never_quotes_a_date_of_birth_or_a_code(http, domain) -> None:
    http.post(HANDOVER, json=NOBODY)
    created = http.post(TICKETS, json=f.ticket())
    chat = Chat()
    chat.says("how much do i owe", "check_bill_balance")
    chat.sets("requested_slot", "date_of_birth")
    # Typed while the form asks for the date of birth: the message is the secret, whatever it is.
    chat.says("this is ridiculous, 14 March 1985", "nlu_fallback", 0.4)
    chat.sets("requested_slot", None)
    chat.says(
        "I'm furious: born 14/03/1985, your code 482913 never worked and I've been waiting for an "
        "hour on this useless chat",
        "complain",
    )
    await chat.run(ActionHandover(), domain)

    ticket = created.last_request.json()
    summary = ticket["description"]
    assert summary == (
        "Unverified customer needs help with their bill; a complaint or an upset customer. "
        "Complained: \"I'm furious: born [date of birth], your code [code] never worked and "
        "I've been…\"."
    )
    assert ticket["priority"] == "high"
    for secret in ("1985", "14 March", "482913", "ridiculous"):
        assert secret not in str(ticket), secret


def test_quotes_are_cut_after_a_whole_word_and_counted() -> None:
    long = "word " * 15 + "[date of birth] and the rest"  # the cut falls inside the token
    assert quoted([long, "second", "third", "fourth"]) == (
        f'"{"word " * 14}word…"; "second" (and 2 more)'
    )
    assert quoted(["short"]) == '"short"'


@pytest.mark.parametrize(
    ("text", "upset"),
    [
        ("I got a text saying my account is locked, is it a scam?", False),
        ("j'ai encore oublié mon mot de passe, la honte", False),
        ("the last bill looked fine, thanks", False),
        ("my download speed is awful", True),
        ("C'EST INADMISSIBLE", True),
        ("I’m fed up with these charges", True),
    ],
)
def test_angry_words_in_either_language(text: str, upset: bool) -> None:
    chat = Chat()
    chat.says(text, "check_outage")
    assert read_story(chat.tracker()).upset == ([text] if upset else [])
