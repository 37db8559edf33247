"""The trainer's inbox: what the bot misunderstood in a period, grouped by meaning.

Its messages come from several sources (`trainer.inbox_sources`: the NLU's fallbacks, doubtful
guesses and out-of-scope answers, misses before a hand-over, low-rated contacts, messages
agents flagged), each message tagged with every reason it is there, and are grouped with
`trainer.grouping`. Rasa's events are folded by the dashboard and `python -m handover reports
...`; this module refreshes nothing. A message belongs to the period its session started in
(see `trainer.inbox_sources` for the others); the language and channel filters apply, skill
and agent do not (a bot session has neither). The texts are stored redacted and are shown as
stored; nothing here logs them.

Each group lists its distinct texts (by key and language, as `trainer.states` keeps what the
trainer made of them) with their state, their reasons and the intent the NLU predicted most
often for them; the state filter keeps the groups with a new text ("new"), those whose texts
are all done or all ignored, or every group ("all"). The source and intent filters keep the
messages with one of the sources asked, or that predicted intent, before grouping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from sqlalchemy.engine import Engine

from reporting.kpis_contacts import Db, Scope
from reporting.nlu_misses import DEFAULT_LOW_CONFIDENCE
from reporting.session_counts import UNKNOWN
from trainer.grouping import Encode, group_by_meaning
from trainer.inbox_sources import SOURCES, Found, Source, found_messages
from trainer.states import Item, State, states_of

DEFAULT_LIMIT = 50  # groups shown; the rest are counted
MAX_EXAMPLES = 5
StateFilter = Literal["new", "done", "ignored", "all"]
STATE_FILTERS: tuple[StateFilter, ...] = ("new", "done", "ignored", "all")
GroupState = Literal["new", "done", "ignored", "mixed"]


@dataclass(frozen=True)
class InboxText:
    """One distinct text of a group: its key and language (`trainer.states`: "" for none), its
    most frequent spelling (of equally frequent ones, the first seen), its messages, its state,
    its messages per source, and the intent the NLU predicted most often for it (of equally
    frequent ones, the first by name) with its mean confidence (None where unknown)."""

    key: str
    language: str
    text: str
    messages: int
    state: State
    sources: dict[Source, int] = field(default_factory=dict)
    intent: str | None = None
    confidence: float | None = None


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
    sources: dict[Source, int] = field(default_factory=dict)  # its messages per source

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
    size guard (`messages` and `ungrouped` whatever their state, the source and intent filters
    applied). For the filters' choices: `sources`, the messages per source (every source, the
    intent filter applied), and `intents`, the messages per predicted intent (the source
    filter applied), most first."""

    scope: Scope
    messages: int
    total_groups: int
    ungrouped: int
    groups: tuple[InboxGroup, ...]
    sources: dict[Source, int] = field(default_factory=dict)
    intents: dict[str, int] = field(default_factory=dict)


def load_inbox(
    db: Db,
    scope: Scope,
    *,
    encode: Encode | None = None,
    limit: int = DEFAULT_LIMIT,
    state: StateFilter = "all",
    events: Engine | None = None,
    sources: Collection[Source] | None = None,
    intent: str | None = None,
    low_confidence: float = DEFAULT_LOW_CONFIDENCE,
) -> Inbox:
    """The messages of the period (`trainer.inbox_sources`; `events`: Rasa's, for the low-rated
    contacts' messages) with one of `sources` (None: any) and the predicted `intent` (None:
    any), grouped by meaning, the `limit` largest groups the `state` filter keeps first
    (`encode`: see `group_by_meaning`)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if state not in STATE_FILTERS:
        raise ValueError(f"state must be one of {', '.join(STATE_FILTERS)}, not {state!r}")
    wanted = set(SOURCES if sources is None else sources)
    if not wanted or not wanted <= set(SOURCES):
        raise ValueError(f"sources must be some of {', '.join(SOURCES)}")
    found = found_messages(db, scope, events=events, low_confidence=low_confidence)
    of_intent = [m for m in found if intent is None or m.intent == intent]
    of_sources = [m for m in found if m.sources & wanted]
    messages = [m for m in of_intent if m.sources & wanted]
    states = states_of(db, (m.item for m in messages))
    grouped = group_by_meaning([m.text for m in messages], encode=encode)
    groups = [
        _summary([messages[i] for i in group.members], group.representative,
                 group.cohesion, group.ungrouped, states)
        for group in grouped
    ]  # fmt: skip
    kept = [group for group in groups if group.shown_for(state)]
    return Inbox(
        scope=scope,
        messages=len(messages),
        total_groups=len(kept),
        ungrouped=sum(group.ungrouped for group in grouped),
        groups=tuple(kept[:limit]),
        sources={source: sum(source in m.sources for m in of_intent) for source in SOURCES},
        intents=dict(_ranked(Counter(m.intent for m in of_sources if m.intent is not None))),
    )


def _summary(
    messages: list[Found],
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
        sources=_per_source(messages),
    )


def _texts(messages: list[Found], states: dict[Item, State]) -> tuple[InboxText, ...]:
    by_item: dict[Item, list[Found]] = {}
    for message in messages:  # in time order: Counter keeps the first seen of equal counts first
        by_item.setdefault(message.item, []).append(message)
    texts = []
    for (key, language), found in by_item.items():
        spellings = Counter(m.text for m in found)
        intent, confidence = _predicted(found)
        texts.append(InboxText(
            key, language, spellings.most_common(1)[0][0], len(found),
            states.get((key, language), "new"), _per_source(found), intent, confidence,
        ))  # fmt: skip
    return tuple(sorted(texts, key=lambda t: (-t.messages, t.key, t.language)))


def _per_source(messages: list[Found]) -> dict[Source, int]:
    """Messages per source, in `SOURCES` order, the sources with none left out."""
    counts = Counter(source for m in messages for source in m.sources)
    return {source: counts[source] for source in SOURCES if counts[source]}


def _predicted(messages: list[Found]) -> tuple[str | None, float | None]:
    """The intent most often predicted, with its mean confidence over the messages that
    have one."""
    ranked = _ranked(Counter(m.intent for m in messages if m.intent is not None))
    if not ranked:
        return None, None
    intent = ranked[0][0]
    known = [m.confidence for m in messages if m.intent == intent and m.confidence is not None]
    return intent, (round(sum(known) / len(known), 4) if known else None)


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
