"""What happens in a seeded conversation: the bot's flows, a person's part, the customer's return.

`converse` plays one conversation on a `Story`: a greeting or not, one request among the
bot's (FAQ, bill, password, order, outage, with verification where the bot needs it), the
NLU missing some messages, offers of a person taken or declined, and the hand-over: a ticket
from the bot when nobody can take the chat (Rasa's REST channel, or the widget out of hours),
else the gateway's queue, where the customer is answered, gives up or the wait expires into a
ticket; an agent replies, transfers to a colleague or a skill, is gone (requeued), hands back
to the bot or closes with a wrap-up reason; the customer may rate, and may come back later
(a reopened contact on the widget). The shares are rough guesses at a telecom's chat.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from reporting.seed_story import SKILL_OF, Step, Story
from reporting.seed_texts import misunderstood

MAX_WAIT = 600.0  # HANDOVER_MAX_WAIT_SECONDS: then the gateway opens a ticket
# Opening hours of the support team by weekday (Monday 0), UTC: the hours utter_iamabot gives.
STAFFED = {0: (8, 20), 1: (8, 20), 2: (8, 20), 3: (8, 20), 4: (8, 20), 5: (9, 17)}
WRAP_UPS = (("resolved", 82), ("not_resolved", 12), ("duplicate", 4), ("spam", 2))
# Scores given by the customers who rate, by how the contact went.
SCORES = {
    "good": ((5, 50), (4, 27), (3, 11), (2, 5), (1, 7)),
    "bad": ((5, 6), (4, 10), (3, 22), (2, 25), (1, 37)),
}
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
class Team:
    """The agents (username, skills: none means every skill) and a supervisor."""

    agents: tuple[tuple[str, tuple[str, ...]], ...]
    supervisor: str

    def pick(self, rng: random.Random, skill: str | None, *, besides: str | None = None) -> str:
        """An agent who serves `skill`, other than `besides`."""
        able = [name for name, skills in self.agents
                if (not skills or skill in skills) and name != besides]  # fmt: skip
        return rng.choice(able or [name for name, _ in self.agents if name != besides])

    def skills(self) -> tuple[str, ...]:
        return tuple(sorted({skill for _, skills in self.agents for skill in skills}))


@dataclass(frozen=True)
class Handover:
    reason: str
    skill: str
    complaint: bool = False


def converse(s: Story, team: Team) -> None:
    """The whole conversation, from the first message to the customer's last return."""
    for visit in range(3):
        if visit:
            s.wait(s.rng.lognormvariate(math.log(3 * 3600), 1.3))  # back hours or days later
        asked = _bot_part(s)
        if asked is not None:
            _hand_over(s, team, asked)
        elif s.widget and s.rng.random() < 0.12:
            s.think()  # the customer presses "End chat"
            _ending(s, "ended", "resolved_by_bot")
        if s.rng.random() > (0.08 if visit == 0 else 0.2):
            return


def staffed(at: float) -> bool:
    """Whether agents are online at `at` (epoch seconds)."""
    moment = datetime.fromtimestamp(at, tz=timezone.utc)
    hours = STAFFED.get(moment.weekday())
    return hours is not None and hours[0] <= moment.hour < hours[1]


# -- the bot ----------------------------------------------------------------------------------


def _bot_part(s: Story) -> Handover | None:
    rng = s.rng
    s.topic = None
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
    if asked is None and flow != "hello" and rng.random() < 0.2:
        s.think()
        s.say("thank")
        s.bot("utter_you_are_welcome")
    if asked is None and rng.random() < 0.1:
        s.think()
        s.say("goodbye")
        s.bot("utter_goodbye")
    return asked


def _faq(s: Story) -> None:
    for topic in s.rng.sample(s.texts.faq_topics, k=s.rng.choice((1, 1, 1, 2))):
        s.say(f"faq/{topic}")
        s.bot(f"utter_faq/{topic}")
        s.think()


def _verified(s: Story, form: str, *then: Step) -> bool | Handover:
    """The bot asks for the account number and the date of birth; True when verified, or the
    hand-over the customer takes after a failure (False when they decline it)."""
    rng, account = s.rng, s.customer.account
    s.bot(form, "utter_ask_account_number")
    s.think()
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
        s.bot(("order_number", number), "action_track_order", "utter_order_not_found",
              *_offer_slots("order_not_found"))  # fmt: skip
        return _offer(s, "order_not_found")
    s.bot(("order_number", number), "action_track_order", s.rng.choice(ORDER_STATES))
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
        return _faq(s)
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
    "faq": _faq, "bill": _bill, "password": _password, "order": _order, "outage": _outage,
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


# -- a person ---------------------------------------------------------------------------------


def _hand_over(s: Story, team: Team, asked: Handover) -> None:
    """action_handover: the gateway queues the chat, or the bot opens a ticket."""
    rng = s.rng
    first = ("utter_handover_complaint",) if asked.complaint else ()
    slots = ("pending_offer", None), ("handover_reason", None)
    if not (s.widget and staffed(s.clock) and rng.random() > 0.02):
        ticket = "utter_handover_ticket" if rng.random() < 0.95 else "utter_handover_failed"
        s.bot("action_handover", *first, *slots, ticket)
        return

    def queue() -> None:
        if s.verified:
            s.identify(s.customer.id)
        s.skill, s.reason = asked.skill, asked.reason
        s.row("queued")

    told = rng.choice(("utter_handover_queued_wait", "utter_handover_queued_position"))
    s.bot("action_handover", queue, *first, *slots, told)
    if _waited(s, team):
        _with_agent(s, team, 0)


def _waited(s: Story, team: Team) -> bool:
    """In the queue until answered (True), given up or expired into a ticket; timed from the
    row that began the wait, as the gateway's watcher times the expiry."""
    rng = s.rng
    began = s.rows[-1]["at"].timestamp()
    busy = 1.8 if 10 <= datetime.fromtimestamp(began, tz=timezone.utc).hour < 16 else 1.0
    fate = rng.random()
    if fate < 0.15:
        s.until(began + min(rng.lognormvariate(math.log(150), 0.8), MAX_WAIT - 30))
        _ending(s, "ended", "abandoned")
        return False
    if fate < 0.15 + 0.08 * busy:
        s.until(began + MAX_WAIT + rng.uniform(0, 5))  # the watcher's next round
        _ending(s, "expired", "ticket")
        return False
    s.until(began + min(rng.lognormvariate(math.log(45 * busy), 0.9), MAX_WAIT - 30))
    s.holder = team.pick(rng, s.skill)
    supervisor = team.supervisor if rng.random() < 0.05 else None
    s.row("assigned", agent=s.holder, supervisor=supervisor)
    return True


def _with_agent(s: Story, team: Team, moves: int) -> None:
    rng = s.rng
    if rng.random() < 0.96:
        s.wait(rng.lognormvariate(math.log(25), 0.8))
        s.row("agent_replied", agent=s.holder)
    turn = rng.random()
    if moves < 2 and turn < 0.10:
        s.wait(rng.lognormvariate(math.log(200), 0.6))
        if turn < 0.06:  # to a colleague
            colleague = team.pick(rng, s.skill, besides=s.holder)
            s.row("transferred", agent=s.holder, to_agent=colleague)
            s.holder = colleague
            return _with_agent(s, team, moves + 1)
        s.skill = rng.choice([skill for skill in team.skills() if skill != s.skill])
        s.row("transferred", agent=s.holder)
        s.holder = None
        return _with_agent(s, team, moves + 1) if _waited(s, team) else None
    if moves < 2 and turn < 0.14:  # the agent's connection is gone
        s.wait(rng.uniform(60, 400))
        s.row("requeued", agent=s.holder)
        s.holder = None
        return _with_agent(s, team, moves + 1) if _waited(s, team) else None
    s.wait(rng.lognormvariate(math.log(360), 0.7))
    if turn < 0.20:
        return _handed_back(s)
    if turn < 0.29:
        return _ending(s, "ended", "ended_by_customer", agent=s.holder)
    wrap_up = rng.choices([w for w, _ in WRAP_UPS], [n for _, n in WRAP_UPS])[0]
    return _ending(s, "closed", "resolved_by_agent", agent=s.holder, wrap_up=wrap_up)


def _handed_back(s: Story) -> None:
    """The agent hands back: the gateway tells Rasa (slots, then the external intent)."""
    s.row("handed_back", agent=s.holder)
    s.holder = None
    s.wait(0.2)
    s.slot("pending_offer", None)
    s.slot("handover_reason", None)
    s.say("handback", "EXTERNAL: handback", confidence=1.0, external=True)
    s.bot("utter_handback")
    if s.rng.random() < 0.4:
        s.think()
        _faq(s)
    if s.rng.random() < 0.35:
        s.think()
        _ending(s, "ended", "resolved_by_bot")


def _ending(s: Story, kind: str, outcome: str, **columns: object) -> None:
    """The contact ends; the customer may rate it (the agent who had it is on the rating)."""
    rng = s.rng
    s.end(kind, outcome, **columns)
    share = {"resolved_by_agent": 0.4, "ended_by_customer": 0.2, "resolved_by_bot": 0.3}
    if rng.random() >= share.get(outcome, 0.06):
        return
    good = outcome == "resolved_by_bot" or columns.get("wrap_up") == "resolved"
    scores = SCORES["good" if good and rng.random() < 0.9 else "bad"]
    s.wait(rng.uniform(5, 90))
    score = rng.choices([n for n, _ in scores], [w for _, w in scores])[0]
    s.row("rated", agent=columns.get("agent"), score=score)
