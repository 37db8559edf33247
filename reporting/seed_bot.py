"""The bot's part of a seeded conversation: a greeting or not, one request among the bot's
(FAQ, bill, password, order, outage, with verification where the bot needs it), the NLU missing
some messages, a customer leaving mid-task, and offers of a person taken or declined
(`reporting.seed_flows` plays the rest). The shares are rough guesses at a telecom's chat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reporting.seed_story import SKILL_OF, Step, Story
from reporting.seed_texts import misunderstood

FLOWS: tuple[tuple[str, int], ...] = (
    ("faq", 30), ("bill", 11), ("password", 6), ("order", 8), ("outage", 10),
    ("fallback", 10), ("out_of_scope", 4), ("human", 13), ("complain", 4), ("hello", 4),
)  # fmt: skip
ORDER_STATES = ("utter_order_status_shipped", "utter_order_status_delivered",
                "utter_order_status_processing")  # fmt: skip
# Tasks and the bot's first question in each: a customer may ask for a person instead.
TASKS = (("check_bill_balance", "bill_form", "utter_ask_account_number"),
         ("reset_password", "password_form", "utter_ask_account_number"),
         ("track_order", "order_form", "utter_ask_account_number"),
         ("check_outage", "outage_form", "utter_ask_postcode"))  # fmt: skip
BALANCES = ("utter_balance_due", "utter_balance_clear", "utter_balance_overdue")


@dataclass(frozen=True)
class Handover:
    reason: str
    skill: str
    complaint: bool = False


def bot_part(s: Story) -> Handover | None:
    rng = s.rng
    s.topic, s.left = None, False
    flow = rng.choices([f for f, _ in FLOWS], [w for _, w in FLOWS])[0]
    if flow != "hello" and rng.random() < 0.2:
        s.say("greet")
        s.bot("utter_greet")
        s.think()
    if rng.random() < 0.03:
        s.say("bot_challenge")
        s.bot("utter_iamabot")
        s.think()
    asked = FLOW[flow](s)
    if s.left:  # nothing more said: the bot's abandonment
        return None
    if asked is None and flow != "hello" and rng.random() < 0.2:
        s.think()
        s.say("thank")
        s.bot("utter_you_are_welcome")
    if asked is None and rng.random() < 0.1:
        s.think()
        s.say("goodbye")
        s.bot("utter_goodbye")
    return asked


def faq(s: Story) -> None:
    for topic in s.rng.sample(s.texts.faq_topics, k=s.rng.choice((1, 1, 1, 2))):
        s.say(f"faq/{topic}")
        s.bot(f"utter_faq/{topic}")
        s.think()


def _verified(s: Story, form: str, *then: Step) -> bool | Handover:
    """The bot asks for the account number and the date of birth; True when verified, or the
    hand-over the customer takes after a failure (False when they decline it, or leave)."""
    rng, account = s.rng, s.customer.account
    s.bot(form, "utter_ask_account_number")
    s.think()
    if rng.random() < 0.05:  # gone without it: the form stays open, the request unanswered
        s.left = True
        return False
    entity = {"entity": "account_number", "start": 0, "end": len(account), "value": account,
              "extractor": "RegexEntityExtractor"}  # fmt: skip
    s.say("inform", account, entities=(entity,))
    s.bot(("account_number", account), form, "utter_ask_date_of_birth")
    s.think()
    s.say("inform", "[date of birth]")
    luck = rng.random()
    if luck < 0.06:
        s.bot(form, "utter_details_do_not_match", "utter_verification_locked",
              *_offer_slots("failed_verification"))  # fmt: skip
        return _offer(s, "failed_verification")
    if luck < 0.09:
        s.bot(form, "utter_backend_error_identity", *_offer_slots("backend_failure"))
        return _offer(s, "backend_failure")
    s.verified = True
    s.bot(form, ("verified", True), ("customer_id", s.customer.id), *then)
    return True


def _task(s: Story, intent: str, form: str, *then: Step) -> Handover | None:
    s.topic = SKILL_OF[intent]
    s.say(intent)
    if s.verified:  # verified earlier in this session: straight to the answer
        s.bot(*then)
        return None
    done = _verified(s, form, *then)
    return done if isinstance(done, Handover) else None


def _bill(s: Story) -> Handover | None:
    if s.rng.random() < 0.05:
        failure = ("action_check_bill_balance", "utter_backend_error_billing")
        asked = _task(s, "check_bill_balance", "bill_form", *failure,
                      *_offer_slots("backend_failure"))  # fmt: skip
        return asked or (_offer(s, "backend_failure") if s.verified else None)
    return _task(s, "check_bill_balance", "bill_form", "action_check_bill_balance",
                 s.rng.choice(BALANCES))  # fmt: skip


def _password(s: Story) -> Handover | None:
    return _task(s, "reset_password", "password_form", "action_reset_password",
                 "utter_password_reset_sent")  # fmt: skip


def _order(s: Story) -> Handover | None:
    asked = _task(s, "track_order", "order_form", "utter_ask_order_number")
    if asked is not None or not s.verified:
        return asked
    s.think()
    number = f"ORD-{s.rng.randrange(100000, 1000000)}"
    entity = {"entity": "order_number", "start": 0, "end": len(number), "value": number,
              "extractor": "RegexEntityExtractor"}  # fmt: skip
    s.say("inform", number, entities=(entity,))
    if s.rng.random() < 0.15:
        s.bot(("order_number", number), "order_form", "action_track_order", "utter_order_not_found",
              *_offer_slots("order_not_found"))  # fmt: skip
        return _offer(s, "order_not_found")
    s.bot(("order_number", number), "order_form", "action_track_order", s.rng.choice(ORDER_STATES))
    return None


def _outage(s: Story) -> Handover | None:
    rng = s.rng
    s.topic = "network"
    s.say("check_outage")
    s.bot("outage_form", "utter_ask_postcode")
    s.think()
    s.say("inform", "[postcode]")
    found = ("postcode", "[postcode]"), "outage_form", "action_check_outage"
    if rng.random() < 0.45:
        s.bot(*found, "utter_known_problem", "utter_incident_fixing_eta")
        return None
    s.bot(*found, "utter_no_incident", "utter_troubleshooting", "utter_offer_fault_ticket",
          ("pending_offer", "fault_ticket"))  # fmt: skip
    s.think()
    if rng.random() < 0.45:
        s.say("deny")
        s.bot("action_decline_offer", ("pending_offer", None), "utter_anything_else")
        return None
    s.say("affirm")
    if rng.random() < 0.93:
        s.bot("action_open_fault_ticket", ("pending_offer", None), "utter_fault_ticket_opened")
        return None
    # The CRM failed: the action ran, no ticket was opened; the bot offers a person.
    s.bot("action_open_fault_ticket", "utter_backend_error_crm", *_offer_slots("backend_failure"))
    return _offer(s, "backend_failure")


def _fallback(s: Story) -> Handover | None:
    s.say("nlu_fallback", misunderstood(s.rng, s.language), confidence=0.4)
    s.bot("action_handle_fallback", "utter_ask_rephrase")
    s.think()
    if s.rng.random() < 0.1:  # gone rather than rephrase: a miss is the last word
        s.left = True
        return None
    if s.rng.random() < 0.5:  # rephrased, and understood this time
        flow = s.rng.choice(("faq", "bill", "outage", "order", "human"))
        return FLOW[flow](s)
    s.say("nlu_fallback", misunderstood(s.rng, s.language), confidence=0.4)
    s.bot("action_handle_fallback", "utter_still_not_understood",
          *_offer_slots("repeated_fallback"))  # fmt: skip
    # Taking the offer is asking for a person: the bot gives the customer's request as reason.
    return _offer(s, "customer_request")


def _out_of_scope(s: Story) -> Handover | None:
    s.say("out_of_scope")
    s.bot("action_out_of_scope", "utter_out_of_scope")
    if s.rng.random() < 0.4:
        s.think()
        return faq(s)
    return None


def _human(s: Story) -> Handover:
    """Asking for a person: at once, or rather than answer the bot's first question."""
    if s.topic is None and s.rng.random() < 0.5:
        intent, form, question = s.rng.choice(TASKS)
        s.topic = SKILL_OF[intent]
        s.say(intent)
        s.bot(form, question)
        s.think()
    s.say("request_human")
    return Handover("customer_request", s.topic or "general")


def _complain(s: Story) -> Handover:
    s.say("complain")
    return Handover("sensitive_topic", s.topic or "general", complaint=True)


def _hello(s: Story) -> None:
    """A greeting and nothing asked."""
    s.say("greet")
    s.bot("utter_greet", "utter_how_can_i_help")


FLOW: dict[str, Callable[[Story], Handover | None]] = {
    "faq": faq, "bill": _bill, "password": _password, "order": _order, "outage": _outage,
    "fallback": _fallback, "out_of_scope": _out_of_scope, "human": _human,
    "complain": _complain, "hello": _hello,
}  # fmt: skip


def _offer_slots(reason: str) -> tuple[Step, ...]:
    return "utter_offer_human", ("pending_offer", "human"), ("handover_reason", reason)


def _offer(s: Story, reason: str) -> Handover | None:
    """The customer answers the bot's offer of a person (the buttons, or typed)."""
    s.think()
    if s.rng.random() < 0.35:
        s.say("deny", "/deny" if s.rng.random() < 0.7 else None, confidence=1.0)
        s.bot("action_decline_offer", ("pending_offer", None), "utter_anything_else")
        return None
    if s.rng.random() < 0.7:
        s.say("request_human", "/request_human", confidence=1.0)
    else:
        s.say("affirm")
    return Handover(reason, s.topic or "general")
