"""What happens in a seeded conversation: the bot's part, a person's part, the return.

`converse` plays one conversation on a `Story`: the bot's part (`reporting.seed_bot`), then the
hand-over when asked: a ticket from the bot when nobody can take the chat (Rasa's REST
channel, or the widget out of hours), else the gateway's queue, where the customer is answered,
gives up or the wait expires into a ticket; an agent replies, transfers to a colleague or a
skill, is gone (requeued), hands back to the bot or closes with a wrap-up reason; the customer
may rate, and may come back later (a reopened contact on the widget). The shares are rough
guesses at a telecom's chat.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone

from reporting.seed_bot import Handover, bot_part, faq
from reporting.seed_story import Story

MAX_WAIT = 600.0  # HANDOVER_MAX_WAIT_SECONDS: then the gateway opens a ticket
# Opening hours of the support team by weekday (Monday 0), UTC: the hours utter_iamabot gives.
STAFFED = {0: (8, 20), 1: (8, 20), 2: (8, 20), 3: (8, 20), 4: (8, 20), 5: (9, 17)}
WRAP_UPS = (("resolved", 82), ("not_resolved", 12), ("duplicate", 4), ("spam", 2))
# Scores given by the customers who rate, by how the contact went.
SCORES = {
    "good": ((5, 50), (4, 27), (3, 11), (2, 5), (1, 7)),
    "bad": ((5, 6), (4, 10), (3, 22), (2, 25), (1, 37)),
}


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


def converse(s: Story, team: Team) -> None:
    """The whole conversation, from the first message to the customer's last return."""
    for visit in range(3):
        if visit:
            s.wait(s.rng.lognormvariate(math.log(3 * 3600), 1.3))  # back hours or days later
        asked = bot_part(s)
        if asked is not None:
            _hand_over(s, team, asked)
        elif s.widget and not s.left and s.rng.random() < 0.12:
            s.think()  # the customer presses "End chat"
            _ending(s, "ended", "resolved_by_bot")
        if s.rng.random() > (0.08 if visit == 0 else 0.2):
            return


def staffed(at: float) -> bool:
    """Whether agents are online at `at` (epoch seconds)."""
    moment = datetime.fromtimestamp(at, tz=timezone.utc)
    hours = STAFFED.get(moment.weekday())
    return hours is not None and hours[0] <= moment.hour < hours[1]


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
        faq(s)
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
