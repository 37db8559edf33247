"""One seeded conversation as both histories record it (`reporting.seed` decides what happens).

A `Story` writes what Rasa publishes through the redacting tracker store (`rasa_events`:
`action_session_start`, `session_started` and `action_listen` when a session starts; each
customer message with its intent, `input_channel` and, on the widget, the widget's language;
slots; actions; bot responses with their `utter_action`) and, on the widget only, what the
gateway's recorder writes (`conversation_events`: `reporting.events`' columns, one row per
lifecycle event and per assignment's first reply). Times advance as they would: the customer
thinks, the bot answers within a second, the gateway queues during the bot's hand-over.

A new Rasa session starts when the customer writes more than `SESSION_EXPIRY` after their
last message, as Rasa decides (`session_config` without carried-over slots).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from reporting.bot_facts import SESSION_EXPIRY
from reporting.events import WIDGET
from reporting.seed_texts import Texts

REST = "rest"  # Rasa's REST channel: its conversations never reach the gateway
EXPIRY = SESSION_EXPIRY.total_seconds()
GATEWAY_COLUMNS = ("agent", "to_agent", "outcome", "wrap_up", "score", "supervisor")
# Intents whose hand-over goes to a skill's queue (actions/context.py); others go to general.
SKILL_OF = {"check_bill_balance": "billing", "check_outage": "network", "track_order": "orders",
            "reset_password": "accounts"}  # fmt: skip
# The graph nodes of config.yml's policies, as Rasa names the one that predicted an action.
POLICIES = ("policy_1_RulePolicy", "policy_1_RulePolicy", "policy_0_MemoizationPolicy",
            "policy_2_CachedTEDPolicy")  # fmt: skip
# An action or response name, a slot (name, value), or what the gateway does meanwhile.
Step = str | tuple[str, Any] | Callable[[], None]


@dataclass(frozen=True)
class Customer:
    """Someone who writes: their CRM id, language, and whether the site vouches for them."""

    id: str
    language: str
    signed_in: bool
    account: str


class Story:
    """The events of one conversation (a Rasa sender; a gateway conversation on the widget)."""

    def __init__(
        self,
        rng: random.Random,
        texts: Texts,
        *,
        sender: str,
        channel: str,
        customer: Customer,
        at: float,
    ) -> None:
        self.rng, self.texts = rng, texts
        self.sender, self.channel, self.customer = sender, channel, customer
        self.language = customer.language
        self.clock = at
        self.rasa: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []
        self.last_user: float | None = None
        self.session_slots: set[str] = set()
        self.verified = False  # in this Rasa session (slots are not carried over)
        self.topic: str | None = None  # the skill of the task being talked about
        self.left = False  # walked away from the bot mid-task on this visit
        # The gateway's conversation row: what each recorded event carries.
        self.episode = 0
        self.open = False  # the gateway's contact: opened and not ended
        self.known_customer = customer.id if customer.signed_in else None
        self.skill: str | None = None
        self.reason: str | None = None
        self.holder: str | None = None  # the agent who has the contact, if any

    @property
    def widget(self) -> bool:
        return self.channel == WIDGET

    # -- time ---------------------------------------------------------------------------------

    def wait(self, seconds: float) -> float:
        """Move the clock on; returns the new time."""
        self.clock += max(seconds, 0.05)
        return self.clock

    def until(self, at: float) -> None:
        """Move the clock on to `at` (at least a moment on)."""
        self.wait(at - self.clock)

    def think(self) -> None:
        """The customer reads and types (most replies in 5-60 s)."""
        self.wait(min(self.rng.lognormvariate(2.8, 0.7), 600))

    def moment(self) -> None:
        """The bot or an action answers (well under a second)."""
        self.wait(self.rng.uniform(0.05, 0.6))

    # -- Rasa's events ------------------------------------------------------------------------

    def _event(self, kind: str, **fields: Any) -> None:
        self.rasa.append({"sender_id": self.sender, "event": kind, "timestamp": self.clock,
                          **fields})  # fmt: skip

    def _session(self) -> None:
        if self.last_user is not None and self.clock - self.last_user <= EXPIRY:
            return
        self._action("action_session_start", predicted=False)
        self._event("session_started")
        self._action("action_listen", predicted=False)
        self.session_slots = set()
        self.verified = False

    def _action(self, name: str, *, predicted: bool = True) -> None:
        """An action; one the policies predicted names its policy (not the session's start)."""
        policy = self.rng.choice(POLICIES) if predicted else None
        self._event("action", name=name, policy=policy, confidence=1.0 if predicted else None,
                    action_text=None, hide_rule_turn=False)  # fmt: skip

    def say(
        self,
        intent: str,
        text: str | None = None,
        *,
        confidence: float | None = None,
        entities: tuple[dict[str, Any], ...] = (),
        external: bool = False,
    ) -> None:
        """A customer message (or the gateway's external intent) with what the NLU made of it."""
        self._session()
        self.last_user = self.clock
        if self.widget and not external:
            self._customer_wrote()
        if text is None:
            text = self.texts.said(self.rng, self.language, intent)
        message_id = f"{self.rng.getrandbits(128):032x}"
        name, _, retrieval = intent.partition("/")
        if confidence is None:
            confidence = round(self.rng.uniform(0.62, 0.999), 4)
        ranked = {"name": name, "confidence": confidence}
        if retrieval:
            ranked = {**ranked, "full_retrieval_intent_name": intent}
        metadata: dict[str, Any] = {}
        if external:
            metadata = {"is_external": True}
        elif self.widget:
            metadata = {"language": self.language}
        parse_data = {"intent": ranked, "entities": list(entities), "text": text,
                      "message_id": message_id, "metadata": metadata,
                      "intent_ranking": [{"name": name, "confidence": confidence}]}  # fmt: skip
        self._event("user", text=text, parse_data=parse_data, input_channel=self.channel,
                    message_id=message_id, metadata=metadata)  # fmt: skip
        if "language" not in self.session_slots and not external:
            self.moment()
            self.slot("language", self.language)

    def slot(self, name: str, value: Any) -> None:
        self.session_slots.add(name)
        self._event("slot", name=name, value=value)

    def bot(self, *steps: Step) -> None:
        """The bot's next actions, then it listens: slots, actions and responses (`utter_*`).

        A response the policies predict is an action of its own (a FAQ's is `utter_faq`); one
        after a custom action in `steps` is that action's message: a bot event only.
        """
        custom = False
        for number, step in enumerate(steps):
            self.moment()
            if isinstance(step, tuple):
                self.slot(*step)
            elif callable(step):
                step()
            elif not step.startswith("utter_"):
                self._action(step)
                custom = True
                if step.endswith("_form"):
                    # As Rasa's forms: active while they ask for a slot, then deactivated.
                    later = steps[number + 1 :]
                    asks = any(isinstance(s, str) and s.startswith("utter_ask_") for s in later)
                    self._event("active_loop", name=step if asks else None)
            else:
                if not custom:
                    self._action(step.partition("/")[0])
                answer = self.texts.answer(self.language, step)
                data = {"elements": None, "quick_replies": None, "buttons": answer["buttons"],
                        "attachment": None, "image": None, "custom": None}  # fmt: skip
                self._event("bot", metadata={"utter_action": step}, text=answer["text"],
                            data=data)  # fmt: skip
        self.moment()
        self._action("action_listen")

    # -- the gateway's rows -------------------------------------------------------------------

    def row(self, kind: str, **columns: Any) -> None:
        """One `conversation_events` row, with what the conversation knows now."""
        row = {
            "conversation_id": self.sender,
            "episode": self.episode,
            "kind": kind,
            "at": datetime.fromtimestamp(self.clock, tz=timezone.utc),
            "customer_id": self.known_customer,
            "language": self.language,
            "channel": WIDGET,
            "skill": self.skill,
            "reason": self.reason,
            **dict.fromkeys(GATEWAY_COLUMNS),
        }
        row.update(columns)
        self.rows.append(row)

    def _customer_wrote(self) -> None:
        if self.open:
            return
        self.episode += 1
        self.open = True
        self.skill = self.reason = self.holder = None  # a new contact starts with the bot
        self.row("started" if self.episode == 1 else "reopened")
        self.wait(0.05)  # Rasa gets the message just after the gateway

    def end(self, kind: str, outcome: str, **columns: Any) -> None:
        """The contact ends (`closed`, `ended` or `expired`)."""
        self.row(kind, outcome=outcome, **columns)
        self.open = False
        self.holder = None

    def identify(self, customer_id: str) -> None:
        """The gateway learns the customer the bot verified, unless the site vouched already."""
        self.known_customer = self.known_customer or customer_id

    def events(self, until: float) -> list[dict[str, Any]]:
        """Rasa's events up to `until` (the seed's now): a chat still going is cut there."""
        return [event for event in self.rasa if event["timestamp"] < until]

    def gateway_rows(self, until: float) -> list[dict[str, Any]]:
        """The gateway's rows up to `until`."""
        cut = datetime.fromtimestamp(until, tz=timezone.utc)
        return [row for row in self.rows if row["at"] < cut]
