"""The trainer's inbox: what the bot misunderstood in a period, grouped by meaning.

Reads `misunderstood_texts` (filled from Rasa's events by `reporting.session_facts`; the
dashboard and `python -m handover reports ...` fold them, this module refreshes nothing) and
groups the texts with `trainer.grouping`. As the dashboard's "misunderstood" figure
(`reporting.bot_kpis.misunderstood`), a message belongs to the period its session started in;
the language and channel filters apply, skill and agent do not (a bot session has neither).
The texts are stored redacted and are shown as stored; nothing here logs them.

Each group lists its distinct texts (by key and language, as `trainer.states` keeps what the
trainer made of them) with their state; the state filter keeps the groups with a new text
("new"), those whose texts are all done or all ignored, or every group ("all").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from sqlalchemy import select

from reporting.kpis_contacts import Db, Scope
from reporting.session_counts import UNKNOWN
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from trainer.grouping import Encode, group_by_meaning
from trainer.states import Item, State, language_key, states_of, text_key

DEFAULT_LIMIT = 50  # groups shown; the rest are counted
MAX_EXAMPLES = 5
StateFilter = Literal["new", "done", "ignored", "all"]
STATE_FILTERS: tuple[StateFilter, ...] = ("new", "done", "ignored", "all")
GroupState = Literal["new", "done", "ignored", "mixed"]


@dataclass(frozen=True)
class InboxText:
    """One distinct text of a group: its key and language (`trainer.states`: "" for none), its
    most frequent spelling (of equally frequent ones, the first seen), its messages, its state."""

    key: str
    language: str
    text: str
    messages: int
    state: State


@dataclass(frozen=True)
class InboxGroup:
    """Messages that mean the same: how many, from how many conversations, when.

    `examples` are the group's other spellings, most frequent first (at most `MAX_EXAMPLES`);
    `languages` as Rasa recorded them (`UNKNOWN` when it had none). `ungrouped`: one of the
    rarest texts, past `trainer.grouping.MAX_TEXTS`, not compared with the others. `key` is the
    representative's text key; `texts` every distinct text, most messages first, then by key
    and language.
    """

    representative: str
    messages: int
    conversations: int
    languages: tuple[str, ...]
    first: datetime
    last: datetime
    cohesion: float
    examples: tuple[str, ...]
    ungrouped: bool = False
    key: str = ""
    texts: tuple[InboxText, ...] = ()

    @property
    def state(self) -> GroupState:
        """Its texts' state when they share one, else "mixed" (no texts: "new")."""
        found = {text.state for text in self.texts} or {"new"}
        return found.pop() if len(found) == 1 else "mixed"  # type: ignore[return-value]

    def shown_for(self, wanted: StateFilter) -> bool:
        """Whether the filter keeps it: "new" a new text, "done"/"ignored" all texts so."""
        if wanted == "all":
            return True
        if wanted == "new":
            return any(text.state == "new" for text in self.texts) or not self.texts
        return self.state == wanted


@dataclass(frozen=True)
class Inbox:
    """A period's misunderstood messages: the largest `groups`, out of `total_groups` the
    state filter kept; `ungrouped` counts the distinct texts left out of the comparison by the
    size guard (`messages` and `ungrouped` whatever their state)."""

    scope: Scope
    messages: int
    total_groups: int
    ungrouped: int
    groups: tuple[InboxGroup, ...]


@dataclass(frozen=True)
class _Message:
    sender_id: str
    at: float
    language: str | None
    text: str
    folded: str

    @property
    def item(self) -> Item:
        return text_key(self.folded), language_key(self.language)


def load_inbox(
    db: Db,
    scope: Scope,
    *,
    encode: Encode | None = None,
    limit: int = DEFAULT_LIMIT,
    state: StateFilter = "all",
) -> Inbox:
    """The misunderstood messages of the sessions begun in the scope's period, grouped by
    meaning, the `limit` largest groups the `state` filter keeps first (`encode`: see
    `group_by_meaning`)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if state not in STATE_FILTERS:
        raise ValueError(f"state must be one of {', '.join(STATE_FILTERS)}, not {state!r}")
    messages = _messages(db, scope)
    states = states_of(db, (m.item for m in messages))
    found = group_by_meaning([m.text for m in messages], encode=encode)
    groups = [
        _summary([messages[i] for i in group.members], group.representative,
                 group.cohesion, group.ungrouped, states)
        for group in found
    ]  # fmt: skip
    kept = [group for group in groups if group.shown_for(state)]
    return Inbox(
        scope=scope,
        messages=len(messages),
        total_groups=len(kept),
        ungrouped=sum(group.ungrouped for group in found),
        groups=tuple(kept[:limit]),
    )


def _messages(db: Db, scope: Scope) -> list[_Message]:
    texts = MISUNDERSTOOD_TEXTS.c
    query = (
        select(texts.sender_id, texts.at, texts.language, texts.text, texts.folded)
        .where(texts.started >= scope.start.timestamp(), texts.started < scope.end.timestamp())
        .order_by(texts.id)  # one order on every database: groups' ties fall the same way
    )
    if scope.language is not None:
        query = query.where(texts.language == scope.language)
    if scope.channel is not None:
        query = query.where(texts.channel == scope.channel)
    return [_Message(*row) for row in db.execute(query)]


def _summary(
    messages: list[_Message],
    representative: str,
    cohesion: float,
    ungrouped: bool,
    states: dict[Item, State],
) -> InboxGroup:
    spellings = Counter(m.text for m in messages if m.text != representative)
    ranked = sorted(spellings.items(), key=lambda item: (-item[1], item[0]))
    times = [m.at for m in messages]
    return InboxGroup(
        representative=representative,
        messages=len(messages),
        conversations=len({m.sender_id for m in messages}),
        languages=tuple(sorted({m.language or UNKNOWN for m in messages})),
        first=datetime.fromtimestamp(min(times), timezone.utc),
        last=datetime.fromtimestamp(max(times), timezone.utc),
        cohesion=cohesion,
        examples=tuple(text for text, _ in ranked[:MAX_EXAMPLES]),
        ungrouped=ungrouped,
        key=next(m.item[0] for m in messages if m.text == representative),
        texts=_texts(messages, states),
    )


def _texts(messages: list[_Message], states: dict[Item, State]) -> tuple[InboxText, ...]:
    spellings: dict[Item, Counter[str]] = {}
    for message in messages:  # in id order: Counter keeps the first seen of equal counts first
        spellings.setdefault(message.item, Counter())[message.text] += 1
    texts = [
        InboxText(key, language, found.most_common(1)[0][0], found.total(),
                  states.get((key, language), "new"))
        for (key, language), found in spellings.items()
    ]  # fmt: skip
    return tuple(sorted(texts, key=lambda t: (-t.messages, t.key, t.language)))
