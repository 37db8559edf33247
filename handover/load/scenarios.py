"""Realistic customers: what each says, in English or French, with the mock systems' own data.

Every script is a list of steps. A step the bot answers is timed (its first `bot_uttered`); a
step said to a person is not (the agent answers when they answer); `AWAIT_AGENT` waits for the
agent's first message and `AWAIT_BOT` for the agent to hand the conversation back.
Account numbers, dates of birth, order numbers and postcodes come from `connectors.mocks.seed`
for today, as the mock back-ends serve them: verifications succeed, orders are found.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from enum import Enum

from connectors.mocks.orders import with_delivery_postcodes
from connectors.mocks.seed import Dataset, build_dataset


class Expect(str, Enum):
    BOT = "bot"  # the bot answers: timed, lost if unanswered
    NOTHING = "nothing"  # said to a person: nobody has to answer at once
    AWAIT_AGENT = "await_agent"  # no message: wait for the agent's first words
    AWAIT_BOT = "await_bot"  # no message: wait until the agent hands back to the bot


@dataclass(frozen=True)
class Step:
    text: str
    expect: Expect = Expect.BOT


@dataclass(frozen=True)
class Script:
    kind: str
    language: str
    steps: tuple[Step, ...]


KINDS = ("bill", "password", "order", "outage", "faq", "smalltalk", "handover")
DEFAULT_WEIGHTS = {
    "bill": 15, "password": 10, "order": 20, "outage": 15, "faq": 20, "smalltalk": 10,
    "handover": 10,
}  # fmt: skip

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "hello": ("hi", "hello there", "good morning"),
        "bill": ("how much do i owe on my bill?", "can you check my bill please"),
        "password": ("I forgot my password", "I need to reset my password"),
        "by_birth": ("my date of birth",),
        "order": ("where is my order {order}?", "track my order {order}"),
        "outage": ("is there an outage at {postcode}?", "my internet is down at {postcode}"),
        "faq": (
            "what are your opening hours?", "what plans do you offer", "how can i pay",
            "how do i set up a direct debit", "can i use my phone abroad",
            "how do i activate my new sim", "how much data do i get",
        ),
        "smalltalk": ("how are you?", "are you a robot?", "thanks"),
        "person": ("I want to talk to a human", "can I speak to a person please"),
        "to_agent": ("thanks, my router keeps dropping the connection", "ok, thank you"),
        "thanks": ("thanks", "great, thank you very much"),
        "bye": ("bye", "goodbye"),
    },
    "fr": {
        "hello": ("Bonjour !", "bonsoir"),
        "bill": (
            "Bonjour, je voudrais consulter ma facture.",
            "je voudrais connaître le montant de ma facture",
        ),
        "password": ("j'ai oublié mon mot de passe", "je n'arrive plus à me connecter"),
        "by_birth": ("avec ma date de naissance",),
        "order": ("elle arrive quand ma commande {order} ?", "où en est ma commande {order} ?"),
        "outage": (
            "y a une panne vers {postcode} ?", "ma box ne marche plus, je suis au {postcode}",
        ),
        "faq": (
            "quels sont vos horaires", "quels forfaits proposez-vous", "comment je peux payer",
            "mettre en place le prélèvement automatique", "activer ma nouvelle carte SIM",
            "combien de data j'ai dans mon forfait",
        ),
        "smalltalk": ("ça va ?", "tu es un robot ?"),
        "person": ("Je voudrais parler à un conseiller", "j'aimerais parler à quelqu'un"),
        "to_agent": ("merci, ma box se déconnecte sans arrêt", "d'accord, merci"),
        "thanks": ("merci", "Super, merci beaucoup pour votre aide !"),
        "bye": ("au revoir", "bonne journée"),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Holder:
    """A customer of the mock systems: what they answer when asked to prove who they are."""

    account: str
    date_of_birth: str  # as typed: 14/03/1985
    postcode: str


@dataclass(frozen=True)
class Parcel:
    order: str
    postcode: str


@dataclass(frozen=True)
class MockData:
    holders: tuple[Holder, ...]
    parcels: tuple[Parcel, ...]

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> MockData:
        holders = tuple(
            Holder(number, holder.date_of_birth.strftime("%d/%m/%Y"),
                   holder.service_address.postcode)
            for number in sorted(dataset.accounts)
            if (holder := dataset.customer_for_account(number)) is not None
        )  # fmt: skip
        parcels = tuple(
            Parcel(order.order_number, order.delivery_postcode)
            # Where the orders mock says each goes: the holder's address unless it says otherwise.
            for order in sorted(
                with_delivery_postcodes(dataset).values(), key=lambda o: o.order_number
            )
            if order.delivery_postcode
        )
        return cls(holders, parcels)


def mock_data(today: date | None = None) -> MockData:
    """What the mock back-ends serve today (`python -m connectors.mocks` builds the same)."""
    return MockData.from_dataset(build_dataset(today or date.today()))


class Scenarios:
    """Draws scripts by weight and language; the same seed draws the same customers."""

    def __init__(
        self,
        data: MockData,
        weights: dict[str, float] | None = None,
        french_share: float = 0.3,
        seed: int | None = None,
    ) -> None:
        chosen = weights or DEFAULT_WEIGHTS
        unknown = set(chosen) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown scenarios {sorted(unknown)}; known: {', '.join(KINDS)}")
        if not any(w > 0 for w in chosen.values()):
            raise ValueError("give at least one scenario a weight above 0")
        self.data = data
        self.kinds = [k for k in chosen if chosen[k] > 0]
        self.weights = [chosen[k] for k in self.kinds]
        self.french_share = french_share
        self.rng = random.Random(seed)

    def draw(self) -> Script:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        language = "fr" if self.rng.random() < self.french_share else "en"
        return Script(kind, language, tuple(getattr(self, f"_{kind}")(language)))

    def _say(self, language: str, key: str, **values: str) -> Step:
        return Step(self.rng.choice(PHRASES[language][key]).format(**values))

    def _verified(self, language: str, key: str) -> list[Step]:
        holder = self.rng.choice(self.data.holders)
        return [
            self._say(language, key),
            Step(holder.account),
            self._say(language, "by_birth"),
            Step(holder.date_of_birth),
        ]

    def _bill(self, language: str) -> list[Step]:
        return [self._say(language, "hello"), *self._verified(language, "bill"),
                self._say(language, "thanks")]  # fmt: skip

    def _password(self, language: str) -> list[Step]:
        return [*self._verified(language, "password"), self._say(language, "thanks")]

    def _order(self, language: str) -> list[Step]:
        parcel = self.rng.choice(self.data.parcels)
        return [self._say(language, "order", order=parcel.order), Step(parcel.postcode),
                self._say(language, "thanks")]  # fmt: skip

    def _outage(self, language: str) -> list[Step]:
        postcode = self.rng.choice(self.data.holders).postcode
        return [self._say(language, "outage", postcode=postcode), self._say(language, "thanks")]

    def _faq(self, language: str) -> list[Step]:
        return [self._say(language, "hello"), self._say(language, "faq"),
                self._say(language, "faq"), self._say(language, "bye")]  # fmt: skip

    def _smalltalk(self, language: str) -> list[Step]:
        return [self._say(language, "hello"), self._say(language, "smalltalk"),
                self._say(language, "bye")]  # fmt: skip

    def _handover(self, language: str) -> list[Step]:
        to_agent = self._say(language, "to_agent")
        return [
            self._say(language, "hello"),
            self._say(language, "person"),
            Step("", Expect.AWAIT_AGENT),
            Step(to_agent.text, Expect.NOTHING),
            Step("", Expect.AWAIT_BOT),
            self._say(language, "faq"),
        ]


def parse_weights(text: str) -> dict[str, float]:
    """`bill=2,faq=1` -> {"bill": 2.0, "faq": 1.0}; scenarios left out weigh 0."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value) if sep else 1.0
        except ValueError:
            raise ValueError(f"weight of {name!r} is not a number: {value!r}") from None
    return weights
