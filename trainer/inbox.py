"""The trainer's inbox: what the bot misunderstood in a period, grouped by meaning.

Reads `misunderstood_texts` (filled from Rasa's events by `reporting.session_facts`; the
dashboard and `python -m handover reports ...` fold them, this module refreshes nothing) and
groups the texts with `trainer.grouping`. As the dashboard's "misunderstood" figure
(`reporting.bot_kpis.misunderstood`), a message belongs to the period its session started in;
the language and channel filters apply, skill and agent do not (a bot session has neither).
The texts are stored redacted and are shown as stored; nothing here logs them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from reporting.kpis_contacts import Db, Scope
from reporting.session_counts import UNKNOWN
from reporting.session_tables import MISUNDERSTOOD_TEXTS
from trainer.grouping import Encode, group_by_meaning

DEFAULT_LIMIT = 50  # groups shown; the rest are counted
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class InboxGroup:
    """Messages that mean the same: how many, from how many conversations, when.

    `examples` are the group's other spellings, most frequent first (at most `MAX_EXAMPLES`);
    `languages` as Rasa recorded them (`UNKNOWN` when it had none). `ungrouped`: one of the
    rarest texts, past `trainer.grouping.MAX_TEXTS`, not compared with the others.
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


@dataclass(frozen=True)
class Inbox:
    """A period's misunderstood messages: the largest `groups`, out of `total_groups`;
    `ungrouped` counts the distinct texts left out of the comparison by the size guard."""

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


def load_inbox(
    db: Db, scope: Scope, *, encode: Encode | None = None, limit: int = DEFAULT_LIMIT
) -> Inbox:
    """The misunderstood messages of the sessions begun in the scope's period, grouped by
    meaning, the `limit` largest groups first (`encode`: see `group_by_meaning`)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    messages = _messages(db, scope)
    found = group_by_meaning([m.text for m in messages], encode=encode)
    return Inbox(
        scope=scope,
        messages=len(messages),
        total_groups=len(found),
        ungrouped=sum(group.ungrouped for group in found),
        groups=tuple(
            _summary([messages[i] for i in group.members], group.representative,
                     group.cohesion, group.ungrouped)
            for group in found[:limit]
        ),
    )  # fmt: skip


def _messages(db: Db, scope: Scope) -> list[_Message]:
    texts = MISUNDERSTOOD_TEXTS.c
    query = (
        select(texts.sender_id, texts.at, texts.language, texts.text)
        .where(texts.started >= scope.start.timestamp(), texts.started < scope.end.timestamp())
        .order_by(texts.id)  # one order on every database: groups' ties fall the same way
    )
    if scope.language is not None:
        query = query.where(texts.language == scope.language)
    if scope.channel is not None:
        query = query.where(texts.channel == scope.channel)
    return [_Message(*row) for row in db.execute(query)]


def _summary(
    messages: list[_Message], representative: str, cohesion: float, ungrouped: bool
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
    )
